// Layouts: the DWARF reader lives in layouts_dwarf.cc; this file holds the built-in tables
// (engine/binary/layouts/go1.NN.json, embedded at build time) and the choice between the two.
#include "layouts.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <mutex>
#include <unordered_map>

#include "elf_file.h"
#include "errors.h"
#include "layouts_dwarf.h"
#include "layouts_tables.h"

namespace goinspect {

std::optional<uint64_t> Layouts::offset(std::string_view type, std::string_view path) const {
  if (auto f = field(type, path)) return f->offset;
  return std::nullopt;
}

bool Layouts::has(std::string_view type, std::string_view path) const {
  return field(type, path).has_value();
}

namespace {

struct TableData {
  std::string release;  // "go1.26"
  struct Type {
    uint64_t size = 0;
    std::unordered_map<std::string, FieldInfo> fields;
  };
  std::unordered_map<std::string, Type> types;
  std::unordered_map<std::string, uint64_t> sizes;  // other named types seen in fields
  std::unordered_map<std::string, int64_t> constants;
};

class TableLayouts final : public Layouts {
 public:
  explicit TableLayouts(std::shared_ptr<const TableData> d) : d_(std::move(d)) {}

  std::optional<FieldInfo> field(std::string_view type, std::string_view path) const override {
    auto t = d_->types.find(std::string(type));
    if (t == d_->types.end()) return std::nullopt;
    auto f = t->second.fields.find(std::string(path));
    if (f == t->second.fields.end()) return std::nullopt;
    return f->second;
  }
  std::optional<uint64_t> size(std::string_view type) const override {
    std::string key(type);
    if (auto t = d_->types.find(key); t != d_->types.end()) return t->second.size;
    if (auto s = d_->sizes.find(key); s != d_->sizes.end()) return s->second;
    return std::nullopt;
  }
  std::optional<int64_t> constant(std::string_view name) const override {
    auto c = d_->constants.find(std::string(name));
    if (c == d_->constants.end()) return std::nullopt;
    return c->second;
  }
  std::string source() const override { return "built-in table for " + d_->release; }

 private:
  std::shared_ptr<const TableData> d_;
};

// "go1.26.11", "go1.27rc1", "devel go1.27-abcdef", "go1.21.0-X:foo" → "go1.26"; "" if none.
std::string releaseOf(const std::string& v) {
  size_t p = v.find("go1.");
  if (p == std::string::npos) return "";
  size_t i = p + 4, j = i;
  while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j]))) j++;
  if (j == i) return "";
  return "go1." + v.substr(i, j - i);
}

std::shared_ptr<const TableData> parseTable(const std::string& release, const char* text) {
  auto j = nlohmann::json::parse(text);
  auto d = std::make_shared<TableData>();
  d->release = release;
  for (const auto& [tname, t] : j.at("types").items()) {
    auto& ty = d->types[tname];
    ty.size = t.at("size").get<uint64_t>();
    for (const auto& [path, f] : t.at("fields").items()) {
      FieldInfo fi;
      fi.offset = f.at("offset").get<uint64_t>();
      fi.size = f.at("size").get<uint64_t>();
      fi.type = f.at("type").get<std::string>();
      ty.fields.emplace(path, std::move(fi));
    }
  }
  if (j.contains("sizes"))
    for (const auto& [name, s] : j.at("sizes").items()) d->sizes.emplace(name, s.get<uint64_t>());
  for (const auto& [name, v] : j.at("constants").items())
    d->constants.emplace(name, v.is_number_unsigned()
                                   ? static_cast<int64_t>(v.get<uint64_t>())
                                   : v.get<int64_t>());
  return d;
}

}  // namespace

std::unique_ptr<Layouts> Layouts::fromTable(const std::string& goVersion) {
  std::string release = releaseOf(goVersion);
  if (release.empty()) return nullptr;
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TableData>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(release);
  if (it == cache.end()) {
    const char* text = nullptr;
    for (size_t i = 0; i < layout_tables::kTableCount; i++)
      if (release == layout_tables::kTables[i].release) text = layout_tables::kTables[i].json;
    if (!text) return nullptr;
    try {
      it = cache.emplace(release, parseTable(release, text)).first;
    } catch (const nlohmann::json::exception& e) {
      throw Error("built-in layout table for " + release + " is corrupt: " + e.what());
    }
  }
  return std::make_unique<TableLayouts>(it->second);
}

std::unique_ptr<Layouts> Layouts::fromDwarf(const ElfFile& elf) {
  return DwarfLayouts::create(elf.dwarf());
}

std::unique_ptr<Layouts> Layouts::load(const ElfFile& elf, const std::string& goVersion) {
  // DWARF only counts if it describes the runtime (a C library's DWARF, or one whose Go
  // units were dropped, would answer nothing).
  if (auto d = fromDwarf(elf); d && d->size("runtime.g")) return d;
  return fromTable(goVersion);
}

}  // namespace goinspect
