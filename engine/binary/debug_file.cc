#include "debug_file.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "elf_file.h"

namespace goinspect {

namespace {

constexpr uint32_t kNtGnuBuildId = 3;

// The descriptor of the first note of a note section, if its name is `name`.
std::string noteDesc(const ElfFile& f, const char* section, const char* name) {
  const ElfSection* s = f.section(section);
  if (!s || s->data.size() < 12) return "";
  uint32_t namesz, descsz, type;
  std::memcpy(&namesz, s->data.data(), 4);
  std::memcpy(&descsz, s->data.data() + 4, 4);
  std::memcpy(&type, s->data.data() + 8, 4);
  uint64_t at = 12 + ((uint64_t{namesz} + 3) & ~uint64_t{3});
  if (namesz != std::strlen(name) + 1 || 12 + namesz > s->data.size() ||
      std::memcmp(s->data.data() + 12, name, namesz) != 0 || at > s->data.size() || descsz > s->data.size() - at)
    return "";
  if (std::string_view(name) == "GNU" && type != kNtGnuBuildId) return "";
  return std::string(reinterpret_cast<const char*>(s->data.data() + at), descsz);
}

std::string gnuBuildId(const ElfFile& f) { return noteDesc(f, ".note.gnu.build-id", "GNU"); }
std::string goBuildId(const ElfFile& f) { return noteDesc(f, ".note.go.buildid", "Go"); }

std::string hexOf(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// Why `candidate` is not exe's debug file ("" if it is): a build ID both have must agree.
std::string mismatch(const ElfFile& exe, const std::string& candidate) {
  std::unique_ptr<ElfFile> c;
  try {
    c = ElfFile::open(candidate, DebugSearch::none());
  } catch (const Error& e) {
    return e.what();
  }
  if (!c->dwarf()) return candidate + " has no DWARF either";
  for (auto id : {gnuBuildId, goBuildId}) {
    std::string a = id(exe), b = id(*c);
    if (!a.empty() && !b.empty() && a != b) return candidate + " is the debug file of another build (its build ID differs)";
  }
  return "";
}

// zlib's CRC-32, the one .gnu_debuglink holds, of a whole file; nullopt if unreadable.
std::optional<uint32_t> fileCrc(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  uLong crc = crc32(0, nullptr, 0);
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.data()), static_cast<uInt>(in.gcount()));
  return static_cast<uint32_t>(crc);
}

}  // namespace

DebugFileResult findDebugFile(const ElfFile& exe, const DebugSearch& search) {
  namespace fs = std::filesystem;
  DebugFileResult r;
  std::vector<std::string> looked;
  auto exists = [](const std::string& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
  };
  if (!search.enabled) return r;
  if (!search.file.empty() && search.file != exe.path()) {
    if (std::string why = mismatch(exe, search.file); !why.empty()) {
      r.looked = "the symbol file given: " + why;
      return r;
    }
    r.path = search.file;
    return r;
  }
  if (std::string id = gnuBuildId(exe); id.size() >= 2) {
    std::string h = hexOf(id);
    for (const std::string& d : search.dirs) {
      std::string p = fmt::format("{}/.build-id/{}/{}.debug", d, h.substr(0, 2), h.substr(2));
      looked.push_back(p);
      if (exists(p) && mismatch(exe, p).empty()) {
        r.path = p;
        return r;
      }
    }
  }
  if (const ElfSection* link = exe.section(".gnu_debuglink"); link && link->data.size() >= 8) {
    // NUL-terminated name, padded to 4 bytes, then the CRC-32.
    std::string name(reinterpret_cast<const char*>(link->data.data()), strnlen(reinterpret_cast<const char*>(link->data.data()), link->data.size()));
    size_t crcAt = (name.size() + 4) & ~size_t{3};
    if (!name.empty() && name.find('/') == std::string::npos && crcAt + 4 <= link->data.size()) {
      uint32_t want;
      std::memcpy(&want, link->data.data() + crcAt, 4);
      std::string dir = fs::path(exe.path()).parent_path().string();
      std::vector<std::string> candidates = {dir + "/" + name, dir + "/.debug/" + name};
      for (const std::string& d : search.dirs) candidates.push_back(d + dir + "/" + name);
      for (const std::string& p : candidates) {
        looked.push_back(p);
        if (exists(p) && fileCrc(p) == want && mismatch(exe, p).empty()) {
          r.path = p;
          return r;
        }
      }
    }
  }
  if (looked.empty()) r.looked = "it has neither a GNU build ID nor a .gnu_debuglink to find a separate debug file by";
  else r.looked = "no separate debug file at " + fmt::format("{}", fmt::join(looked, ", "));
  return r;
}

}  // namespace goinspect
