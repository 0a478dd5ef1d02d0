// A Target whose memory is an executable image as the kernel would load it: each PT_LOAD
// segment at its address plus the load bias, file bytes up to p_filesz and zeros past it
// (bss), page-granular like a mapping, with a PIE's R_X86_64_RELATIVE relocations applied
// as the dynamic loader applies them. No threads, no symbols beyond the file's own.
//
//   ImageTarget t(img.path(), img.current(), img.currentSize(), bias, &relocs);
//   Memory mem(t);  auto prog = GoProgram::load(t, mem);
//
// The image is read from the bytes given (patched or not); its program headers are taken as
// they are, bounded by the image, since the harness must not be the thing that crashes.
#pragma once

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "target.h"

namespace goinspect::fuzz {

class ImageTarget : public Target {
 public:
  ImageTarget(std::string path, const uint8_t* image, size_t size, uint64_t bias,
              const std::vector<std::pair<uint64_t, uint64_t>>* relocs)
      : path_(std::move(path)), image_(image), size_(size), bias_(bias), relocs_(relocs) {
    Elf64_Ehdr eh;
    if (size < sizeof eh) return;
    std::memcpy(&eh, image, sizeof eh);
    if (eh.e_phentsize != sizeof(Elf64_Phdr)) return;
    for (uint64_t i = 0; i < eh.e_phnum && i < 64; i++) {
      uint64_t at = eh.e_phoff + i * sizeof(Elf64_Phdr);
      if (at > size || size - at < sizeof(Elf64_Phdr)) break;
      Elf64_Phdr ph;
      std::memcpy(&ph, image + at, sizeof ph);
      if (ph.p_type != PT_LOAD || ph.p_memsz == 0 || ph.p_memsz > (1ull << 32)) continue;
      Segment s;
      s.lo = ph.p_vaddr & ~kPage;
      s.hi = (ph.p_vaddr + ph.p_memsz + kPage) & ~kPage;
      if (s.hi <= s.lo) continue;
      s.vaddr = ph.p_vaddr;
      s.fileEnd = ph.p_vaddr + std::min(ph.p_filesz, ph.p_memsz);
      s.off = ph.p_offset;
      segs_.push_back(s);
    }
  }
  void disableMemory() { segs_.clear(); }

  bool readMemory(uint64_t addr, void* buf, size_t n) override {
    if (addr < bias_) return false;
    uint64_t a = addr - bias_;
    for (const Segment& s : segs_) {
      if (a < s.lo || a >= s.hi || n > s.hi - a) continue;
      auto* out = static_cast<uint8_t*>(buf);
      std::memset(out, 0, n);
      // The file part [vaddr, fileEnd) comes from offset off on.
      uint64_t from = std::max(a, s.vaddr), to = std::min(a + n, s.fileEnd);
      for (uint64_t v = from; v < to;) {
        uint64_t fo = s.off + (v - s.vaddr);
        if (fo >= size_) break;
        uint64_t take = std::min<uint64_t>(to - v, size_ - fo);
        std::memcpy(out + (v - a), image_ + fo, take);
        v += take;
      }
      if (relocs_) {
        auto it = std::lower_bound(relocs_->begin(), relocs_->end(), std::make_pair(a >= 7 ? a - 7 : 0, uint64_t{0}));
        for (; it != relocs_->end() && it->first < a + n; ++it) {
          uint64_t v = it->second + bias_;
          for (int k = 0; k < 8; k++)
            if (it->first + k >= a && it->first + k < a + n) out[it->first + k - a] = static_cast<uint8_t>(v >> (8 * k));
        }
      }
      return true;
    }
    return false;
  }
  std::vector<ThreadInfo> threads() override { return {}; }
  std::optional<uint64_t> lookupSymbol(const std::string&) override { return std::nullopt; }
  std::string executablePath() override { return path_; }
  uint64_t loadBias() override { return bias_; }
  uint64_t stopId() override { return 1; }

 private:
  static constexpr uint64_t kPage = 4095;
  struct Segment {
    uint64_t lo, hi;      // page-rounded link-time range
    uint64_t vaddr, fileEnd, off;
  };
  std::string path_;
  const uint8_t* image_;
  size_t size_;
  uint64_t bias_;
  const std::vector<std::pair<uint64_t, uint64_t>>* relocs_;
  std::vector<Segment> segs_;
};

}  // namespace goinspect::fuzz
