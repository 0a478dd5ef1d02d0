#include "frame_list.h"

namespace goinspect {

namespace {

// Offsets sp and fp from the innermost frame's sp (unsigned arithmetic: exact either way).
uint64_t relativize(std::vector<Frame>& frames) {
  uint64_t base = frames.empty() ? 0 : frames[0].sp;
  for (Frame& f : frames) {
    f.sp -= base;
    f.fp -= base;
  }
  return base;
}

bool same(const Frame& a, const Frame& b) {
  return a.pc == b.pc && a.sp == b.sp && a.fp == b.fp && a.entry == b.entry && a.line == b.line &&
         a.inlined == b.inlined && a.trap == b.trap && a.function == b.function && a.file == b.file;
}

size_t hashOf(const std::vector<Frame>& frames) {
  uint64_t h = frames.size();
  for (const Frame& f : frames) {
    for (uint64_t x : {f.pc, f.sp, f.fp, static_cast<uint64_t>(f.line) << 2 | f.inlined << 1 | f.trap}) {
      h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    }
  }
  return static_cast<size_t>(h);
}

}  // namespace

FrameList::FrameList(std::vector<Frame> frames) {
  base_ = relativize(frames);
  size_ = frames.size();
  shape_ = std::make_shared<const Shape>(std::move(frames));
}

std::vector<Frame> FrameList::toVector() const {
  std::vector<Frame> out;
  out.reserve(size_);
  for (size_t i = 0; i < size_; i++) out.push_back((*this)[i]);
  return out;
}

FrameList FrameShapes::makeFrom(std::vector<Frame>& frames) {
  FrameList l;
  l.base_ = relativize(frames);
  l.size_ = frames.size();
  auto& bucket = byHash_[hashOf(frames)];
  for (const auto& s : bucket)
    if (s->size() == frames.size() && std::equal(s->begin(), s->end(), frames.begin(), same)) {
      l.shape_ = s;
      return l;
    }
  l.shape_ = std::make_shared<const FrameList::Shape>(frames.begin(), frames.end());
  bucket.push_back(l.shape_);
  count_++;
  return l;
}

}  // namespace goinspect
