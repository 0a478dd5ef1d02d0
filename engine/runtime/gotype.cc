#include "gotype.h"

#include "bounds.h"
#include "labels.h"

namespace goinspect {

namespace {
constexpr uint8_t kTFlagExtraStar = 1 << 1;  // internal/abi.TFlagExtraStar

// What reflect could print: UTF-8 without control characters (a struct tag in a type's
// name is quoted). Anything else is not a type name but what a damaged descriptor points at.
bool printableName(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return validUtf8(s) == s;
}
}  // namespace

TypeNames::TypeNames(const GoProgram& prog, Memory& mem) : mem_(mem) {
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
    if (ok && len <= bounds::kMaxString)
      if (auto s = mem_.bytes(p, len); s && printableName(*s)) {
        if ((*tflag & kTFlagExtraStar) && !s->empty() && (*s)[0] == '*') s->erase(0, 1);
        out = std::move(*s);
      }
  }
  cache_[type] = out;
  return out;
}

}  // namespace goinspect
