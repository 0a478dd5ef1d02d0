// The binary harness's seeds: fixture executables, read once, each kept in a memfd that
// the harness patches in place for one input and restores for the next (writing 2.5 MB per
// input would cost more than the engine's work on it).
//
//   Seed& s = seed(input.seed);                 // loads FIXTURE_DIR/unit/go1.NN/MODE/hello
//   SeedImage& img = s.image(inflated);         // the file, or with its debug sections inflated
//   img.begin();                                // the seed's bytes again
//   Region r = s.resolve(img, place);           // where a Place lies in this image
//   img.write(r.off + 3, bytes, 4);  img.truncate(n);
//   ElfFile::open(img.path());                  // /proc/self/fd/N
//
// An image's debug sections are inflated by default: the linker compresses them (zlib),
// and a patch to compressed bytes mostly tests zlib; kFlagCompressedDebug keeps them as
// written, so libelf's decompression is fuzzed too.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binary_input.h"
#include "goprogram.h"

namespace goinspect::fuzz {

// A byte range of an image; empty (size 0) when the seed has no such structure.
struct Region {
  uint64_t off = 0, size = 0;
};

struct SectionInfo {
  std::string name;
  uint64_t off = 0, size = 0, addr = 0, flags = 0;
  uint32_t type = 0;
};

// One image of a seed in its memfd, and what the harness changed in it.
class SeedImage {
 public:
  SeedImage(std::vector<uint8_t> bytes, const std::string& name);
  ~SeedImage();
  SeedImage(const SeedImage&) = delete;
  SeedImage& operator=(const SeedImage&) = delete;

  const std::string& path() const { return path_; }
  // The original bytes, and the current (patched, possibly truncated) ones.
  const std::vector<uint8_t>& original() const { return bytes_; }
  const uint8_t* current() const { return map_; }
  size_t currentSize() const { return size_; }

  void begin();  // undoes the last input's patches and truncation
  void write(uint64_t off, const void* data, uint64_t n);  // clipped to the file
  void truncate(uint64_t size);

  const std::vector<SectionInfo>& sections() const { return sections_; }
  const SectionInfo* section(std::string_view name) const;
  // The link-time address of a file offset inside an allocated section.
  std::optional<uint64_t> addressOf(uint64_t off) const;
  // The file offset of a link-time address inside a section with file contents.
  std::optional<uint64_t> offsetOf(uint64_t addr) const;

 private:
  std::vector<uint8_t> bytes_;
  std::vector<SectionInfo> sections_;
  std::string path_;
  int fd_ = -1;
  uint8_t* map_ = nullptr;
  size_t size_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> dirty_;
};

// What one function of the seed occupies (file offsets are the same in both images: only
// debug sections move when inflated).
struct FuncPlaces {
  Region record;                // _func and its arrays
  std::vector<Region> tables;   // pcsp, pcfile, pcln, pcdata[0..] (empty regions: absent)
  std::vector<Region> funcdata; // funcdata[0..] (empty: absent)
  Region code;
  uint64_t entry = 0, end = 0;  // link-time
};

class Seed {
 public:
  Seed(std::string path, std::string release, std::string mode);

  const std::string& path() const { return path_; }
  const std::string& release() const { return release_; }  // "go1.26"
  const std::string& mode() const { return mode_; }        // "plain", "noopt", "stripped", "pie"
  bool pie() const { return mode_ == "pie"; }
  bool hasDwarf() const { return mode_ != "stripped"; }
  // The runtime address the harness loads it at (non-zero for PIE, as the kernel would).
  uint64_t bias() const { return pie() ? kPieBias : 0; }
  static constexpr uint64_t kPieBias = 0x555555154000;

  SeedImage& image(bool inflated);
  Region resolve(const SeedImage& img, const Place& p) const;
  // The functions the harness always looks at, and those a patch named.
  const std::vector<uint32_t>& namedFuncs() const { return named_; }
  const FuncPlaces& func(uint32_t index) const { return funcs_.at(index); }
  uint32_t funcIndex(const Place& p) const;
  uint64_t textLo() const { return textLo_; }
  uint64_t textSize() const { return textSize_; }
  // R_X86_64_RELATIVE relocations of a PIE: link-time address, addend; sorted.
  const std::vector<std::pair<uint64_t, uint64_t>>& relocations() const { return relocs_; }

 private:
  void index(const GoProgram& prog, const SeedImage& img);
  std::string path_, release_, mode_;
  std::unique_ptr<SeedImage> images_[2];  // [0] as written, [1] debug inflated
  std::array<Region, kNumStructures> regions_{};  // in the as-written image
  std::vector<FuncPlaces> funcs_;
  std::vector<uint32_t> named_;     // indexes of kNamedFuncs found in this seed
  std::vector<uint32_t> withInline_;  // functions that have an inline tree
  uint64_t textLo_ = 0, textSize_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> relocs_;
};

// The seeds, by the input's first byte (modulo their number). Throws std::runtime_error if a
// fixture is missing: fuzzing from nothing would pass while testing nothing.
Seed& seed(uint8_t selector);
size_t seedCount();

// The functions the stripped-globals search reads (stripped.cc), then others the unwinder
// and commands look up by name; kRuntimeCode picks among the first kSearchedFuncs.
extern const char* const kNamedFuncs[];
extern const size_t kNamedFuncCount;
constexpr size_t kSearchedFuncs = 12;

}  // namespace goinspect::fuzz
