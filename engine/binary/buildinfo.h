// The Go version and build settings recorded in .go.buildinfo (Go 1.18+ format), which
// survives -ldflags=-s -w.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace goinspect {

class ElfFile;

struct BuildInfo {
  std::string goVersion;   // "go1.26.11"
  std::string modInfo;     // the raw module info text ("path\tcmd/x\nmod\t...\nbuild\tGOARCH=amd64 ...")
  std::string path;        // main package path, from modInfo's "path" line
  std::vector<std::pair<std::string, std::string>> settings;  // the "build" lines: key, value
  std::optional<std::string> setting(const std::string& key) const;
};

// nullopt when the file has no (readable) .go.buildinfo section.
std::optional<BuildInfo> readBuildInfo(const ElfFile& elf);

// Parses "go1.26.11", "go1.27rc1", "go1.21.0-X" into {1, 26}; nullopt if not a Go version.
std::optional<std::pair<int, int>> parseGoVersion(const std::string& v);

}  // namespace goinspect
