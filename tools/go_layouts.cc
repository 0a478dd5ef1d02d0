// go-layouts: a Go binary's runtime structure layouts, read from its DWARF.
//
//   go-layouts dump [--release go1.26] [--toolchain go1.26.11] BINARY TYPE...
//       JSON table (the format of engine/binary/layouts/go1.NN.json): each TYPE's size and every
//       field flattened into dotted paths, the sizes of the fields' types, and every integer
//       constant named runtime.* or internal/abi.*. Keys sorted; output is deterministic.
//   go-layouts field BINARY TYPE PATH      one field, via Layouts::load
//   go-layouts structs BINARY              the names of all struct types in the DWARF
//   go-layouts load BINARY [GOVERSION]     which source Layouts::load picks, and how long
//                                          the first query takes
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "elf_file.h"
#include "errors.h"
#include "layouts.h"
#include "layouts_dwarf.h"

using namespace goinspect;

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int usage() {
  std::cerr << "usage: go-layouts dump [--release R] [--toolchain V] BINARY TYPE...\n"
               "       go-layouts field BINARY TYPE PATH\n"
               "       go-layouts structs BINARY\n"
               "       go-layouts load BINARY [GOVERSION]\n";
  return 2;
}

std::unique_ptr<DwarfLayouts> dwarfOf(const ElfFile& elf) {
  auto d = DwarfLayouts::create(elf.dwarf());
  if (!d) throw Error(elf.path() + ": no DWARF (stripped?)");
  return d;
}

int dump(std::vector<std::string> args) {
  std::string release, toolchain;
  while (args.size() >= 2 && args[0].starts_with("--")) {
    if (args[0] == "--release") release = args[1];
    else if (args[0] == "--toolchain") toolchain = args[1];
    else return usage();
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty()) return usage();
  auto elf = ElfFile::open(args[0]);
  auto d = dwarfOf(*elf);
  std::set<std::string> wanted(args.begin() + 1, args.end());

  std::map<std::string, uint64_t> sizes;
  std::string out = "{\n";
  out += "  \"constants\": {";
  std::map<std::string, int64_t> consts = d->constants("runtime.");
  consts.merge(d->constants("internal/abi."));
  bool first = true;
  for (const auto& [name, v] : consts) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "    " + quote(name) + ": " + std::to_string(v);
  }
  out += "\n  },\n";
  if (!release.empty()) out += "  \"release\": " + quote(release) + ",\n";

  std::string types;
  first = true;
  for (const auto& t : wanted) {
    auto fields = d->fields(t);
    if (!fields) {
      std::cerr << "go-layouts: " << args[0] << ": no struct " << t << " (skipped)\n";
      continue;
    }
    std::map<std::string, FieldInfo> sorted;
    for (auto& [path, fi] : *fields) {
      sorted.try_emplace(path, fi);  // a repeated blank "_" keeps its first, as field() does
      if (!fi.type.empty()) sizes.try_emplace(fi.type, fi.size);
    }
    types += first ? "\n" : ",\n";
    first = false;
    types += "    " + quote(t) + ": {\n      \"fields\": {";
    bool ff = true;
    for (const auto& [path, fi] : sorted) {
      types += ff ? "\n" : ",\n";
      ff = false;
      types += "        " + quote(path) + ": {\"offset\": " + std::to_string(fi.offset) +
               ", \"size\": " + std::to_string(fi.size) + ", \"type\": " + quote(fi.type) + "}";
    }
    types += "\n      },\n      \"size\": " + std::to_string(d->size(t).value_or(0)) + "\n    }";
  }
  out += "  \"sizes\": {";
  first = true;
  for (const auto& [name, s] : sizes) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "    " + quote(name) + ": " + std::to_string(s);
  }
  out += "\n  },\n";
  if (!toolchain.empty()) out += "  \"toolchain\": " + quote(toolchain) + ",\n";
  out += "  \"types\": {" + types + "\n  }\n}\n";
  std::cout << out;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  std::string cmd = args[0];
  args.erase(args.begin());
  try {
    if (cmd == "dump") return dump(args);
    if (cmd == "structs" && args.size() == 1) {
      auto elf = ElfFile::open(args[0]);
      for (const auto& n : dwarfOf(*elf)->structNames()) std::cout << n << "\n";
      return 0;
    }
    if (cmd == "field" && args.size() == 3) {
      auto elf = ElfFile::open(args[0]);
      auto lay = Layouts::load(*elf, "");
      if (!lay) throw Error(args[0] + ": no layouts");
      auto f = lay->field(args[1], args[2]);
      if (!f) {
        std::cerr << args[1] << "." << args[2] << ": not found\n";
        return 1;
      }
      std::cout << "offset " << f->offset << " size " << f->size << " type " << f->type << "\n";
      return 0;
    }
    if (cmd == "load" && (args.size() == 1 || args.size() == 2)) {
      using clock = std::chrono::steady_clock;
      auto t0 = clock::now();
      auto elf = ElfFile::open(args[0]);
      auto t1 = clock::now();
      auto lay = Layouts::load(*elf, args.size() == 2 ? args[1] : "");
      auto t2 = clock::now();
      auto off = lay ? lay->offset("runtime.g", "sched.pc") : std::nullopt;
      auto t3 = clock::now();
      auto ms = [](auto a, auto b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
      };
      std::printf("source: %s\nopen ELF (libdw setup): %.1f ms\nload + index: %.1f ms\n"
                  "first field (runtime.g sched.pc = %lld): %.3f ms\n",
                  lay ? lay->source().c_str() : "(none)", ms(t0, t1), ms(t1, t2),
                  off ? static_cast<long long>(*off) : -1LL, ms(t2, t3));
      return lay ? 0 : 1;
    }
  } catch (const Error& e) {
    std::cerr << "go-layouts: " << e.what() << "\n";
    return 1;
  }
  return usage();
}
