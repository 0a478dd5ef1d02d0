#include "core_target.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"

namespace goinspect {

std::unique_ptr<CoreTarget> CoreTarget::open(const std::string& exe, const std::string& core) {
  std::unique_ptr<CoreTarget> t(new CoreTarget());
  t->exe_ = exe;
  t->core_ = std::make_unique<CoreFile>(core);

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
  if (xe.e_type == ET_DYN && t->core_->phdrAddr()) {
    for (int i = 0; i < xe.e_phnum; i++) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, xe.e_phoff + i * sizeof ph) != sizeof ph) break;
      if (ph.p_type == PT_PHDR) t->bias_ = t->core_->phdrAddr() - ph.p_vaddr;
    }
  }
  ::close(fd);
  return t;
}

}  // namespace goinspect
