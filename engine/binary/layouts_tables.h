// The per-release layout tables (engine/binary/layouts/go1.NN.json), embedded into the
// library at build time by engine/binary/layouts/CMakeLists.txt (the definitions are
// generated into the build directory).
#pragma once

#include <cstddef>

namespace goinspect::layout_tables {

struct Embedded {
  const char* release;  // "go1.26"
  const char* json;     // the file's text
};

// kTables[0 .. kTableCount): one per checked-in JSON, sorted by release.
extern const Embedded kTables[];
extern const std::size_t kTableCount;

}  // namespace goinspect::layout_tables
