// The separate debug file of an executable whose DWARF was stripped into another file, found
// the way GDB and LLDB find it (GDB manual, "Separate Debug Files"):
//   - the file the user named (LLDB's `target symbols add`, GDB's `symbol-file`), if any;
//   - by GNU build ID: DIR/.build-id/xx/yyyy.debug for each debug directory (Debian's
//     -dbgsym packages install there, DIR being /usr/lib/debug);
//   - by .gnu_debuglink: NAME beside the executable, in its .debug/ folder, and under each
//     debug directory followed by the executable's folder; the file's CRC32 must match.
// A candidate whose build ID (GNU or Go) differs from the executable's is not its debug file.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace goinspect {

class ElfFile;

struct DebugSearch {
  std::string file;                               // the user's symbol file; "" if none
  std::vector<std::string> dirs{"/usr/lib/debug"};  // global debug directories
  bool enabled = true;                            // false: no search (a debug file itself)
  static DebugSearch none() { return {.file = {}, .dirs = {}, .enabled = false}; }
  bool operator<(const DebugSearch& o) const {
    return std::tie(file, dirs, enabled) < std::tie(o.file, o.dirs, o.enabled);
  }
};

struct DebugFileResult {
  std::optional<std::string> path;  // the debug file found
  std::string looked;               // where it looked (for the "has no DWARF" error), or why refused
};

DebugFileResult findDebugFile(const ElfFile& exe, const DebugSearch& search);

}  // namespace goinspect
