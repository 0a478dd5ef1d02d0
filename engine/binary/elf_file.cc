#include "elf_file.h"

#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace goinspect {

std::unique_ptr<ElfFile> ElfFile::open(const std::string& path, const DebugSearch& debug) {
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->path_ = path;
  f->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd_ < 0) throw Error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(f->fd_, &st) != 0 || st.st_size == 0) throw Error(path + ": cannot read the file");
  f->mapSize_ = static_cast<size_t>(st.st_size);
  f->map_ = mmap(nullptr, f->mapSize_, PROT_READ, MAP_PRIVATE, f->fd_, 0);
  if (f->map_ == MAP_FAILED) {
    f->map_ = nullptr;
    throw Error(path + ": cannot map the file");
  }
  elf_version(EV_CURRENT);
  // libelf gets its own descriptor-based handle: elf_memory() would let it decompress
  // DWARF sections in place, which faults on our read-only mapping.
  Elf* elf = elf_begin(f->fd_, ELF_C_READ_MMAP, nullptr);
  f->elf_ = elf;
  if (!elf || elf_kind(elf) != ELF_K_ELF) throw Error(path + ": not an ELF file");
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf, &eh)) throw Error(path + ": bad ELF header");
  f->type_ = eh.e_type;
  f->machine_ = eh.e_machine;

  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) throw Error(path + ": no section name table");
  const auto* base = static_cast<const uint8_t*>(f->map_);
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    ElfSection s;
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    s.name = name ? name : "";
    s.addr = sh.sh_addr;
    s.size = sh.sh_size;
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    // Sections with file contents that are not compressed map straight onto the file; a
    // header whose offset + size wraps around is no more inside it than one past its end.
    if (sh.sh_type != SHT_NOBITS && !(sh.sh_flags & SHF_COMPRESSED) && sh.sh_offset <= f->mapSize_ &&
        sh.sh_size <= f->mapSize_ - sh.sh_offset)
      s.data = {base + sh.sh_offset, sh.sh_size};
    if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
      Elf_Data* d = elf_getdata(scn, nullptr);
      size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
      for (size_t i = 0; d && i < n; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(d, static_cast<int>(i), &sym) || sym.st_value == 0) continue;
        const char* sn = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (sn && *sn) f->symbols_.try_emplace(std::string_view(sn), sym.st_value, sym.st_size);
      }
    }
    f->sections_.push_back(std::move(s));
  }
  // dwarf_begin_elf fails quietly (nullptr) when there is no DWARF: stripped binaries.
  f->dwarf_ = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
  if (!f->dwarf_) {
    DebugFileResult d = findDebugFile(*f, debug);
    if (d.path) f->debug_ = open(*d.path, DebugSearch::none());
    else f->debugLooked_ = d.looked;
  }
  return f;
}

ElfFile::~ElfFile() {
  if (dwarf_) dwarf_end(static_cast<Dwarf*>(dwarf_));
  if (elf_) elf_end(static_cast<Elf*>(elf_));
  if (map_) munmap(map_, mapSize_);
  if (fd_ >= 0) ::close(fd_);
}

const ElfSection* ElfFile::section(std::string_view name) const {
  for (const auto& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<uint64_t> ElfFile::symbol(std::string_view name) const {
  auto it = symbols_.find(name);
  if (it == symbols_.end()) return std::nullopt;
  return it->second.first;
}

std::optional<uint64_t> ElfFile::symbolSize(std::string_view name) const {
  auto it = symbols_.find(name);
  if (it == symbols_.end()) return std::nullopt;
  return it->second.second;
}

std::span<const uint8_t> ElfFile::bytesAt(uint64_t addr, uint64_t size) const {
  for (const auto& s : sections_) {
    if (s.data.empty() || !(s.flags & SHF_ALLOC)) continue;
    if (addr >= s.addr && addr - s.addr <= s.data.size() && size <= s.data.size() - (addr - s.addr))
      return s.data.subspan(addr - s.addr, size);
  }
  return {};
}

}  // namespace goinspect
