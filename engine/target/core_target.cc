#include "core_target.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

std::unique_ptr<CoreTarget> CoreTarget::open(const std::string& exe, const std::string& core) {
  std::unique_ptr<CoreTarget> t(new CoreTarget());
  t->exe_ = exe;
  t->fd_ = ::open(core.c_str(), O_RDONLY | O_CLOEXEC);
  if (t->fd_ < 0) throw Error(core + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(t->fd_, &st) != 0) throw Error(core + ": cannot stat");
  t->size_ = static_cast<size_t>(st.st_size);
  void* m = mmap(nullptr, t->size_, PROT_READ, MAP_PRIVATE, t->fd_, 0);
  if (m == MAP_FAILED) throw Error(core + ": cannot map");
  t->map_ = static_cast<const uint8_t*>(m);
  if (t->size_ < sizeof(Elf64_Ehdr)) throw Error(core + ": not an ELF core file");
  Elf64_Ehdr eh;
  std::memcpy(&eh, t->map_, sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_type != ET_CORE || eh.e_machine != EM_X86_64)
    throw Error(core + ": not a linux/amd64 ELF core file");
  // Every "inside the file" check compares with what is left of the file, never a sum a
  // damaged header could make wrap around 2^64.
  if (eh.e_phoff > t->size_ || uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr) > t->size_ - eh.e_phoff)
    throw Error(core + ": truncated (its program headers lie past the end of the file)");

  uint64_t phdrAddr = 0;  // AT_PHDR from the auxv note, for the load bias of a PIE
  uint32_t index = 1;
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    std::memcpy(&ph, t->map_ + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD) t->segs_.push_back({ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_offset});
    if (ph.p_type != PT_NOTE || ph.p_offset > t->size_ || ph.p_filesz > t->size_ - ph.p_offset) continue;
    size_t off = ph.p_offset, end = ph.p_offset + ph.p_filesz;
    while (off + sizeof(Elf64_Nhdr) <= end) {
      Elf64_Nhdr nh;
      std::memcpy(&nh, t->map_ + off, sizeof nh);
      size_t desc = off + sizeof nh + align4(nh.n_namesz);
      if (desc + nh.n_descsz > end) break;
      const uint8_t* d = t->map_ + desc;
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
        ti.selected = t->threads_.empty();
        t->threads_.push_back(ti);
      } else if (nh.n_type == NT_AUXV) {
        for (size_t a = 0; a + 16 <= nh.n_descsz; a += 16) {
          uint64_t type, val;
          std::memcpy(&type, d + a, 8);
          std::memcpy(&val, d + a + 8, 8);
          if (type == AT_PHDR) phdrAddr = val;
        }
      }
      off = desc + align4(nh.n_descsz);
    }
  }
  std::sort(t->segs_.begin(), t->segs_.end(), [](auto& a, auto& b) { return a.vaddr < b.vaddr; });

  // Load bias = where the program headers are (AT_PHDR) minus where they were linked
  // (PT_PHDR); Go links PIEs at 0x400000, not 0.
  // Only the executable's ELF and program headers are read here; the rest of the file is
  // the binary layer's (GoProgram opens it with libelf).
  int fd = ::open(exe.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(exe + ": " + std::strerror(errno));
  Elf64_Ehdr xe;
  if (pread(fd, &xe, sizeof xe, 0) != sizeof xe || std::memcmp(xe.e_ident, ELFMAG, SELFMAG) != 0) {
    ::close(fd);
    throw Error(exe + ": not an ELF file");
  }
  if (xe.e_type == ET_DYN && phdrAddr) {
    for (int i = 0; i < xe.e_phnum; i++) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, xe.e_phoff + i * sizeof ph) != sizeof ph) break;
      if (ph.p_type == PT_PHDR) t->bias_ = phdrAddr - ph.p_vaddr;
    }
  }
  ::close(fd);
  return t;
}

CoreTarget::~CoreTarget() {
  if (map_) munmap(const_cast<uint8_t*>(map_), size_);
  if (fd_ >= 0) ::close(fd_);
}

const uint8_t* CoreTarget::inPlace(uint64_t addr, size_t size) {
  auto it = std::upper_bound(segs_.begin(), segs_.end(), addr, [](uint64_t a, const Segment& s) { return a < s.vaddr; });
  if (it == segs_.begin()) return nullptr;
  const Segment& s = *--it;
  uint64_t off = addr - s.vaddr;
  // Within one segment's dumped bytes, and those within the file.
  if (off >= s.filesz || size > s.filesz - off) return nullptr;
  if (s.offset > size_ || off + size > size_ - s.offset) return nullptr;
  return reinterpret_cast<const uint8_t*>(map_) + s.offset + off;
}

bool CoreTarget::readMemory(uint64_t addr, void* buf, size_t size) {
  auto* out = static_cast<uint8_t*>(buf);
  while (size > 0) {
    auto it = std::upper_bound(segs_.begin(), segs_.end(), addr, [](uint64_t a, const Segment& s) { return a < s.vaddr; });
    if (it == segs_.begin()) return false;
    const Segment& s = *--it;
    if (addr >= s.vaddr + s.filesz) return false;  // past the dumped bytes (or not mapped)
    uint64_t off = addr - s.vaddr;
    size_t take = static_cast<size_t>(std::min<uint64_t>(size, s.filesz - off));
    if (s.offset > size_ || off + take > size_ - s.offset) return false;  // no sum to wrap around
    std::memcpy(out, map_ + s.offset + off, take);
    out += take;
    addr += take;
    size -= take;
  }
  return true;
}

}  // namespace goinspect
