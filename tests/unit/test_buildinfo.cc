// readBuildInfo against what hello's own runtime/debug.ReadBuildInfo reports, for
// go1.21..go1.27 in four build modes (tests/unit/build-testbins.sh builds them).
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "buildinfo.h"
#include "elf_file.h"
#include "errors.h"

using goinspect::BuildInfo;
using goinspect::ElfFile;
using goinspect::parseGoVersion;
using goinspect::readBuildInfo;

namespace {

std::string helloPath(int minor, const std::string& mode) {
  return std::string(FIXTURE_DIR) + "/unit/go1." + std::to_string(minor) + "/" + mode + "/hello";
}

void requireFixture(const std::string& path) {
  if (!std::ifstream(path).good())
    FAIL(path << " is missing: run tests/unit/build-testbins.sh " << FIXTURE_DIR
              << " (builds the Go test binaries and their oracle files)");
}

struct Oracle {
  std::string runtimeVersion, goVersion, goVersionCmd, path;
  std::vector<std::pair<std::string, std::string>> settings;
};

// buildinfo.txt: "runtime.Version\t..", "goversion\t..", "path\t..", "setting\tkey\tvalue",
// and "go version\t.." from `go version FILE`.
Oracle readOracle(const std::string& path) {
  requireFixture(path);
  Oracle o;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    REQUIRE(line.rfind("error", 0) != 0);
    auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    std::string key = line.substr(0, tab), rest = line.substr(tab + 1);
    if (key == "runtime.Version") o.runtimeVersion = rest;
    else if (key == "goversion") o.goVersion = rest;
    else if (key == "go version") o.goVersionCmd = rest;
    else if (key == "path") o.path = rest;
    else if (key == "setting") {
      auto t2 = rest.find('\t');
      REQUIRE(t2 != std::string::npos);
      o.settings.emplace_back(rest.substr(0, t2), rest.substr(t2 + 1));
    }
  }
  return o;
}

}  // namespace

TEST_CASE("readBuildInfo reports what runtime/debug.ReadBuildInfo saw in hello", "[buildinfo]") {
  const int minor = GENERATE(21, 22, 23, 24, 25, 26, 27);
  const std::string mode = GENERATE(as<std::string>{}, "plain", "noopt", "stripped", "pie");
  INFO("go1." << minor << " " << mode);
  const std::string exe = helloPath(minor, mode);
  requireFixture(exe);
  Oracle want = readOracle(std::filesystem::path(exe).parent_path() / "buildinfo.txt");
  auto elf = ElfFile::open(exe);
  auto bi = readBuildInfo(*elf);
  REQUIRE(bi);
  CHECK(bi->goVersion == want.runtimeVersion);
  CHECK(bi->goVersion == want.goVersion);
  CHECK(bi->goVersion == want.goVersionCmd);
  CHECK(bi->goVersion.rfind("go1." + std::to_string(minor) + ".", 0) == 0);
  CHECK(bi->path == "example.com/hello");
  CHECK(bi->path == want.path);
  CHECK(bi->settings == want.settings);
  // The sentinels are gone: the text starts at the path line and ends with a newline.
  CHECK(bi->modInfo.rfind("path\texample.com/hello\nmod\texample.com/hello\t", 0) == 0);
  CHECK(bi->modInfo.back() == '\n');

  auto v = parseGoVersion(bi->goVersion);
  REQUIRE(v);
  CHECK(*v == std::make_pair(1, minor));
  CHECK(bi->setting("GOOS") == std::optional<std::string>("linux"));
  CHECK(bi->setting("GOARCH") == std::optional<std::string>("amd64"));
  CHECK(bi->setting("no-such-setting") == std::nullopt);
  // Values with spaces are quoted in the module info text and unquoted here.
  if (mode == "noopt") CHECK(bi->setting("-gcflags") == std::optional<std::string>("all=-N -l"));
  if (mode == "stripped") CHECK(bi->setting("-ldflags") == std::optional<std::string>("-s -w"));
  CHECK(bi->setting("-buildmode") == std::optional<std::string>(mode == "pie" ? "pie" : "exe"));
}

TEST_CASE("readBuildInfo gives nullopt for an ELF file that is not a Go program", "[buildinfo]") {
  auto self = ElfFile::open("/proc/self/exe");  // this C++ test binary
  CHECK_FALSE(readBuildInfo(*self).has_value());
}

TEST_CASE("readBuildInfo survives corrupted .go.buildinfo contents", "[buildinfo]") {
  const std::string exe = helloPath(26, "stripped");
  requireFixture(exe);
  std::ifstream in(exe, std::ios::binary);
  const std::vector<char> good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The blob starts at a 16-byte boundary with the magic.
  static const char kMagic[] = "\xff Go buildinf:";
  size_t at = std::string::npos;
  for (size_t off = 0; off + 64 < good.size(); off += 16)
    if (std::memcmp(good.data() + off, kMagic, 14) == 0) {
      at = off;
      break;
    }
  REQUIRE(at != std::string::npos);
  const auto tmp = std::filesystem::temp_directory_path() /
                   ("goinspect-buildinfo-" + std::to_string(::getpid()) + ".elf");
  std::mt19937_64 rng(99);
  size_t found = 0, absent = 0;
  for (int iter = 0; iter < 200; iter++) {
    std::vector<char> b = good;
    int flips = 1 + int(rng() % 6);
    for (int k = 0; k < flips; k++) {
      size_t off = at + rng() % 48;  // header, the version's length and text, the modinfo length
      b[off] = (rng() % 4 == 0) ? char(0xFF) : char(rng());
    }
    if (iter == 0) std::memset(b.data() + at + 32, 0xFF, 10);  // a 10-byte varint: too long
    if (iter == 1) b[at + 15] = 0;                              // pointer format, garbage pointers
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(b.data(), std::streamsize(b.size()));
    }
    auto elf = ElfFile::open(tmp);
    auto bi = readBuildInfo(*elf);
    (bi ? found : absent)++;
    if (bi) {
      CHECK(!bi->goVersion.empty());
      (void)parseGoVersion(bi->goVersion);
    }
  }
  std::filesystem::remove(tmp);
  INFO("found " << found << ", absent " << absent);
  CHECK(absent > 10);
}

TEST_CASE("parseGoVersion reads release, prerelease and experiment versions", "[buildinfo]") {
  using V = std::optional<std::pair<int, int>>;
  CHECK(parseGoVersion("go1.26.11") == V({1, 26}));
  CHECK(parseGoVersion("go1.27rc1") == V({1, 27}));
  CHECK(parseGoVersion("go1.21.0-X") == V({1, 21}));
  CHECK(parseGoVersion("go1.21") == V({1, 21}));
  CHECK(parseGoVersion("go1.22beta2") == V({1, 22}));
  CHECK(parseGoVersion("go1.21.13 X:boringcrypto") == V({1, 21}));
  CHECK(parseGoVersion("devel go1.23-1b2c3d4 Tue Jan 2 15:04:05 2024 +0000") == V({1, 23}));
  CHECK(parseGoVersion("go1") == V({1, 0}));
  CHECK(parseGoVersion("") == std::nullopt);
  CHECK(parseGoVersion("go") == std::nullopt);
  CHECK(parseGoVersion("1.26.1") == std::nullopt);
  CHECK(parseGoVersion("gox.y") == std::nullopt);
  CHECK(parseGoVersion("go1.") == std::nullopt);
  CHECK(parseGoVersion("devel +abcdef") == std::nullopt);
  CHECK(parseGoVersion("go1.999999999") == std::nullopt);
}
