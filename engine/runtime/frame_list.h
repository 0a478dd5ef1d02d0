// A goroutine's logical frames, kept as a shape that every goroutine parked the same way
// shares (the same pcs and frame sizes give the same frames but for where the stack lies),
// plus the sp the frames are offset from: a million goroutines from fifty go statements
// keep fifty lists of frames.
//
//   FrameList fs = shapes.make(std::move(frames));   // interned
//   for (const Frame& f : fs) ...                      // reads like a const std::vector<Frame>
//   if (a.shape() == b.shape()) ...                   // the same frames, offsets and all
//
// Each Frame is made when read (a copy with its sp and fp put back), so nothing may keep a
// pointer into the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace goinspect {

struct Frame {
  std::string_view function;  // symbol name ("runtime.gopark")
  std::string_view file;
  int32_t line = 0;
  bool inlined = false;
  bool trap = false;    // pc is not a return address (symPC is pc itself): after sigpanic etc.
  uint64_t pc = 0;      // the physical frame's pc (what the runtime prints as pc=)
  uint64_t sp = 0;      // the physical frame's sp
  uint64_t fp = 0;      // the caller's sp (what the runtime prints as fp=)
  uint64_t entry = 0;   // entry of the physical function
};

class FrameList {
 public:
  FrameList() = default;
  // Not shared with any other list: for frames made one at a time (tests, a thread's).
  explicit FrameList(std::vector<Frame> frames);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Frame operator[](size_t i) const {
    Frame f = (*shape_)[i];
    f.sp += base_;
    f.fp += base_;
    return f;
  }
  // One field without making the Frame: for loops over every goroutine's frames.
  std::string_view function(size_t i) const { return (*shape_)[i].function; }
  uint64_t sp(size_t i) const { return (*shape_)[i].sp + base_; }
  uint64_t fp(size_t i) const { return (*shape_)[i].fp + base_; }
  Frame at(size_t i) const {
    if (i >= size_) throw std::out_of_range("FrameList::at");
    return (*this)[i];
  }
  Frame front() const { return (*this)[0]; }
  Frame back() const { return (*this)[size_ - 1]; }
  // The first n frames (all when n >= size()).
  void truncate(size_t n) {
    if (n < size_) size_ = n;
  }
  std::vector<Frame> toVector() const;
  // Lists with the same shape hold the same frames offset from their own sp; two lists made
  // apart may still hold equal frames.
  const void* shape() const { return shape_.get(); }
  // Not truncated: all of its shape's frames.
  bool whole() const { return !shape_ || size_ == shape_->size(); }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Frame;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Frame;
    iterator(const FrameList* l, size_t i) : l_(l), i_(i) {}
    Frame operator*() const { return (*l_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      iterator t = *this;
      ++i_;
      return t;
    }
    iterator operator+(difference_type n) const { return {l_, i_ + static_cast<size_t>(n)}; }
    difference_type operator-(const iterator& o) const {
      return static_cast<difference_type>(i_) - static_cast<difference_type>(o.i_);
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }

   private:
    const FrameList* l_;
    size_t i_;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size_}; }

 private:
  friend class FrameShapes;
  using Shape = std::vector<Frame>;  // sp and fp relative to base
  std::shared_ptr<const Shape> shape_;
  uint64_t base_ = 0;
  size_t size_ = 0;
};

// The shapes seen so far, so that equal ones are kept once. One per snapshot; the lists it
// made outlive it.
class FrameShapes {
 public:
  FrameList make(std::vector<Frame> frames) { return makeFrom(frames); }
  // The same from a vector the caller reuses (its sp and fp are made relative): copied only
  // when its shape is new, so a million unwinds of a few dozen shapes allocate nothing.
  FrameList makeFrom(std::vector<Frame>& frames);
  size_t count() const { return count_; }

 private:
  std::unordered_map<size_t, std::vector<std::shared_ptr<const FrameList::Shape>>> byHash_;
  size_t count_ = 0;
};

}  // namespace goinspect
