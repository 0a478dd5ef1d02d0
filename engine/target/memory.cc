#include "memory.h"

namespace goinspect {

void Memory::syncStop() {
  uint64_t id = target_.stopId();
  if (id != stopId_) {
    pages_.clear();
    scratch_.clear();
    stopId_ = id;
  }
}

uint64_t Memory::scratch(const std::string& bytes) {
  if (scratch_.size() + bytes.size() + 16 > kMaxScratch) return 0;
  scratch_.resize((scratch_.size() + 15) & ~size_t{15});  // aligned, as a value would be
  uint64_t at = kScratchBase + scratch_.size();
  scratch_ += bytes;
  return at;
}

const Memory::Page& Memory::page(uint64_t base) {
  if (pages_.size() >= kMaxPages && !pages_.count(base)) pages_.clear();
  auto& slot = pages_[base];
  if (!slot) {
    slot = std::make_unique<Page>();
    // A page can be partly mapped (the end of a mapping); reads that touch a failed page
    // are retried uncached, for exactly their own bytes, by read().
    slot->ok = readTarget(base, slot->data.data(), kPage);
  }
  return *slot;
}

bool Memory::read(uint64_t addr, void* buf, size_t n) {
  if (n == 0) return true;
  if (addr + n < addr) return false;
  if (isScratch(addr)) {
    uint64_t off = addr - kScratchBase;
    if (off > scratch_.size() || n > scratch_.size() - off) return false;
    std::memcpy(buf, scratch_.data() + off, n);
    return true;
  }
  // Bytes already in our memory (a mapped core) need no cache of copies.
  if (const uint8_t* p = target_.inPlace(addr, n)) {
    std::memcpy(buf, p, n);
    return true;
  }
  // Big blocks (whole stacks) bypass the page cache: one target read instead of many.
  if (n > 4 * kPage) return readTarget(addr, buf, n);
  auto* out = static_cast<uint8_t*>(buf);
  uint64_t a = addr;
  size_t left = n;
  while (left > 0) {
    uint64_t base = a & ~(kPage - 1);
    const Page& p = page(base);
    size_t off = a - base;
    size_t take = std::min<size_t>(left, kPage - off);
    if (!p.ok) return readTarget(addr, buf, n);
    std::memcpy(out, p.data.data() + off, take);
    out += take;
    a += take;
    left -= take;
  }
  return true;
}

bool Memory::readTarget(uint64_t addr, void* buf, size_t n) {
  if (concurrent_) {
    if (target_.readConcurrently(addr, buf, n)) return true;
    if (fallback_ && fallback_(addr, buf, n)) return true;
    missed_ = true;
    return false;
  }
  if (target_.readMemory(addr, buf, n)) return true;
  return fallback_ && fallback_(addr, buf, n);
}

std::optional<std::string> Memory::bytes(uint64_t ptr, size_t len) {
  std::string s(len, '\0');
  if (len && !read(ptr, s.data(), len)) return std::nullopt;
  return s;
}

std::optional<std::string> Memory::goString(uint64_t addr, size_t maxLen) {
  auto ptr = u64(addr);
  auto len = u64(addr + 8);
  if (!ptr || !len || *len > maxLen) return std::nullopt;
  return bytes(*ptr, *len);
}

}  // namespace goinspect
