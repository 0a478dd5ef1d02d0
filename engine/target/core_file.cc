#include "core_file.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errors.h"

namespace goinspect {

namespace {
// struct elf_prstatus (linux/amd64): pr_pid at 32, pr_reg (user_regs_struct) at 112.
constexpr size_t kPrPid = 32, kPrReg = 112;
// user_regs_struct word indexes.
constexpr size_t kRbp = 4, kRip = 16, kRsp = 19, kFsBase = 21;

size_t align4(size_t n) { return (n + 3) & ~size_t(3); }
}  // namespace

CoreFile::CoreFile(const std::string& path) {
  // The destructor does not run for a constructor that throws: undo by hand.
  struct Undo {
    CoreFile* c;
    ~Undo() {
      if (!c) return;
      if (c->map_) munmap(const_cast<uint8_t*>(c->map_), c->size_);
      if (c->fd_ >= 0) ::close(c->fd_);
    }
  } undo{this};
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd_, &st) != 0) throw Error(path + ": cannot stat");
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < sizeof(Elf64_Ehdr)) throw Error(path + ": not an ELF core file");
  void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
  if (m == MAP_FAILED) throw Error(path + ": cannot map");
  map_ = static_cast<const uint8_t*>(m);
  Elf64_Ehdr eh;
  std::memcpy(&eh, map_, sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_type != ET_CORE || eh.e_machine != EM_X86_64)
    throw Error(path + ": not a linux/amd64 ELF core file");
  // Every "inside the file" check compares with what is left of the file, never a sum a
  // damaged header could make wrap around 2^64.
  if (eh.e_phoff > size_ || uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr) > size_ - eh.e_phoff)
    throw Error(path + ": truncated (its program headers lie past the end of the file)");

  uint32_t index = 1;
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    std::memcpy(&ph, map_ + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD) segs_.push_back({ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_offset});
    if (ph.p_type != PT_NOTE || ph.p_offset > size_ || ph.p_filesz > size_ - ph.p_offset) continue;
    size_t off = ph.p_offset, end = ph.p_offset + ph.p_filesz;
    while (off + sizeof(Elf64_Nhdr) <= end) {
      Elf64_Nhdr nh;
      std::memcpy(&nh, map_ + off, sizeof nh);
      size_t desc = off + sizeof nh + align4(nh.n_namesz);
      if (desc > end || nh.n_descsz > end - desc) break;
      const uint8_t* d = map_ + desc;
      if (nh.n_type == NT_PRSTATUS && nh.n_descsz >= kPrReg + 27 * 8) {
        ThreadInfo ti;
        int32_t pid;
        std::memcpy(&pid, d + kPrPid, 4);
        ti.tid = static_cast<uint64_t>(pid);
        ti.index = index++;
        uint64_t regs[27];
        std::memcpy(regs, d + kPrReg, sizeof regs);
        ti.regs = Registers{regs[kRip], regs[kRsp], regs[kRbp], regs[kFsBase], {}};
        // user_regs_struct's order (sys/user.h) for each DWARF register number.
        static constexpr size_t kUserRegOf[16] = {10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0};
        for (size_t r = 0; r < 16; r++) ti.regs->gpr[r] = regs[kUserRegOf[r]];
        // The kernel writes the thread that took the signal first (binfmt_elf.c
        // fill_note_info): it is the one a debugger selects on a core.
        ti.selected = threads_.empty();
        threads_.push_back(ti);
      } else if (nh.n_type == NT_AUXV) {
        for (size_t a = 0; a + 16 <= nh.n_descsz; a += 16) {
          uint64_t type, val;
          std::memcpy(&type, d + a, 8);
          std::memcpy(&val, d + a + 8, 8);
          if (type == AT_PHDR) phdrAddr_ = val;
        }
      }
      off = desc + align4(nh.n_descsz);
    }
  }
  std::sort(segs_.begin(), segs_.end(), [](auto& a, auto& b) { return a.vaddr < b.vaddr; });
  undo.c = nullptr;
}

CoreFile::~CoreFile() {
  if (map_) munmap(const_cast<uint8_t*>(map_), size_);
  if (fd_ >= 0) ::close(fd_);
}

const CoreFile::Segment* CoreFile::segmentOf(uint64_t addr) const {
  auto it = std::upper_bound(segs_.begin(), segs_.end(), addr, [](uint64_t a, const Segment& s) { return a < s.vaddr; });
  if (it == segs_.begin()) return nullptr;
  return &*--it;
}

const uint8_t* CoreFile::inPlace(uint64_t addr, size_t size) const {
  const Segment* s = segmentOf(addr);
  if (!s) return nullptr;
  uint64_t off = addr - s->vaddr;
  // Within one segment's dumped bytes, and those within the file.
  if (off >= s->filesz || size > s->filesz - off) return nullptr;
  if (s->offset > size_ || off + size > size_ - s->offset) return nullptr;
  return map_ + s->offset + off;
}

bool CoreFile::read(uint64_t addr, void* buf, size_t size) const {
  auto* out = static_cast<uint8_t*>(buf);
  while (size > 0) {
    const Segment* s = segmentOf(addr);
    if (!s || addr - s->vaddr >= s->filesz) return false;  // past the dumped bytes (or not mapped)
    uint64_t off = addr - s->vaddr;
    size_t take = static_cast<size_t>(std::min<uint64_t>(size, s->filesz - off));
    if (s->offset > size_ || off + take > size_ - s->offset) return false;  // no sum to wrap around
    std::memcpy(out, map_ + s->offset + off, take);
    out += take;
    addr += take;
    size -= take;
  }
  return true;
}

}  // namespace goinspect
