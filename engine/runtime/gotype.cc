#include "gotype.h"

namespace goinspect {

namespace {
constexpr uint8_t kTFlagExtraStar = 1 << 1;  // internal/abi.TFlagExtraStar
constexpr size_t kMaxName = 4096;
}  // namespace

TypeNames::TypeNames(const GoProgram& prog, Memory& mem) : prog_(prog), mem_(mem) {
  strOff_ = prog.offOpt("internal/abi.Type", "Str");
  tflagOff_ = prog.offOpt("internal/abi.Type", "TFlag");
  auto md = prog.global("runtime.firstmoduledata");
  auto t = prog.offOpt("runtime.moduledata", "types"), e = prog.offOpt("runtime.moduledata", "etypes");
  if (md && t && e) {
    types_ = mem.u64(*md + *t).value_or(0);
    etypes_ = mem.u64(*md + *e).value_or(0);
  }
}

std::optional<std::string> TypeNames::name(uint64_t type) {
  if (!type || !strOff_ || !tflagOff_ || !types_) return std::nullopt;
  auto it = cache_.find(type);
  if (it != cache_.end()) return it->second;
  std::optional<std::string> out;
  auto off = mem_.get<int32_t>(type + *strOff_);
  auto tflag = mem_.u8(type + *tflagOff_);
  if (off && tflag && *off >= 0 && types_ + *off < etypes_) {
    uint64_t p = types_ + static_cast<uint64_t>(*off) + 1;  // past the flags byte
    uint64_t len = 0;
    bool ok = false;
    for (int shift = 0; shift < 35; shift += 7) {  // a varint (encoding/binary's Uvarint)
      auto b = mem_.u8(p++);
      if (!b) break;
      len |= static_cast<uint64_t>(*b & 0x7f) << shift;
      if (!(*b & 0x80)) {
        ok = true;
        break;
      }
    }
    if (ok && len <= kMaxName)
      if (auto s = mem_.bytes(p, len)) {
        if ((*tflag & kTFlagExtraStar) && !s->empty() && (*s)[0] == '*') s->erase(0, 1);
        out = std::move(*s);
      }
  }
  cache_[type] = out;
  return out;
}

}  // namespace goinspect
