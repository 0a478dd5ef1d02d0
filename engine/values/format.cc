#include "format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace goinspect {

namespace {

bool elementKind(GoKind k) {
  return k == GoKind::Struct || k == GoKind::Array || k == GoKind::Slice || k == GoKind::Map ||
         k == GoKind::Chan;
}

void text(const Value& v, bool element, std::string& out);

void list(const Value& v, std::string& out) {
  out += '[';
  bool first = true;
  for (const auto& c : v.children) {
    if (!first) out += ", ";
    first = false;
    if (c.key) {
      text(*c.key, true, out);
      out += ": ";
    }
    text(*c.value, true, out);
  }
  if (v.more) out += fmt::format("{}...+{} more", first ? "" : ", ", v.more);
  out += ']';
}

void goids(const char* what, const std::vector<int64_t>& ids, std::string& out) {
  if (ids.empty()) return;
  out += fmt::format(", {}: [{}]", what, fmt::join(ids, ", "));
}

void text(const Value& v, bool element, std::string& out) {
  if (v.error) {
    out += fmt::format("<{}: {}>", v.unavailable ? "unavailable" : "error", *v.error);
    return;
  }
  // A composite's type, unless its container's type already says it.
  if (elementKind(v.kind) && !element) out += v.typeName + " ";
  switch (v.kind) {
    case GoKind::String:
      out += v.text;
      if (v.more) out += fmt::format("...+{} more", v.more);
      return;
    case GoKind::Pointer:
      if (v.nil) out += fmt::format("({})(nil)", v.typeName);
      else if (!v.children.empty()) {
        out += '&';
        text(*v.children[0].value, false, out);
      } else out += fmt::format("({})({})", v.typeName, v.text);
      return;
    case GoKind::UnsafePointer:
      out += fmt::format("unsafe.Pointer({})", v.nil ? "nil" : v.text);
      return;
    case GoKind::Func:
      out += v.nil ? "nil" : v.text;
      return;
    case GoKind::Interface:
      if (v.nil) {
        out += element ? "nil" : v.typeName + " nil";
        return;
      }
      out += fmt::format("{}({}) ", v.typeName, v.dynamicType);
      if (!v.children.empty()) text(*v.children[0].value, false, out);
      return;
    case GoKind::Struct:
      if (v.elided) {
        out += "{...}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < v.children.size(); i++) {
        if (i) out += ", ";
        out += v.children[i].name + ": ";
        text(*v.children[i].value, false, out);
      }
      out += '}';
      return;
    case GoKind::Array:
      if (v.elided) out += "[...]";
      else list(v, out);
      return;
    case GoKind::Slice:
      if (v.nil) {
        out += "nil";
        return;
      }
      out += fmt::format("len: {}, cap: {}, ", v.len.value_or(0), v.cap.value_or(0));
      if (v.elided) out += "[...]";
      else list(v, out);
      return;
    case GoKind::Map:
      if (v.nil) {
        out += "nil";
        return;
      }
      out += fmt::format("len: {}, ", v.len.value_or(0));
      if (v.elided) out += "[...]";
      else list(v, out);
      return;
    case GoKind::Chan:
      if (v.nil) {
        out += "nil";
        return;
      }
      out += fmt::format("len: {}, cap: {}, ", v.len.value_or(0), v.cap.value_or(0));
      if (v.closed) out += "closed, ";
      if (v.elided) out += "[...]";
      else list(v, out);
      goids("senders", v.senders, out);
      goids("receivers", v.receivers, out);
      return;
    default:
      out += v.text;
      return;
  }
}

}  // namespace

std::string formatText(const Value& v) {
  std::string out;
  text(v, false, out);
  return out;
}

const char* kindName(GoKind k) {
  static constexpr const char* kNames[] = {
      "invalid", "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
      "uint32", "uint64", "uintptr", "float32", "float64", "complex64", "complex128", "array",
      "chan", "func", "interface", "map", "ptr", "slice", "string", "struct", "unsafe.Pointer"};
  auto i = static_cast<size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "invalid";
}

nlohmann::json formatJson(const Value& v) {
  nlohmann::json j;
  j["type"] = v.typeName;
  j["kind"] = kindName(v.kind);
  j["value"] = formatText(v);
  // A value put together from registers or pieces apart (Memory::scratch) has no address.
  if (v.addr && !Memory::isScratch(*v.addr)) j["address"] = fmt::format("{:#x}", *v.addr);
  if (v.error) {
    j["available"] = false;
    j["reason"] = *v.error;
    return j;
  }
  if (v.nil) j["nil"] = true;
  if (v.len) j["len"] = *v.len;
  if (v.cap) j["cap"] = *v.cap;
  if (v.more) j["more"] = v.more;
  if (v.elided) j["elided"] = true;
  switch (v.kind) {
    case GoKind::Struct: {
      auto& fields = j["fields"] = nlohmann::json::array();
      for (const auto& c : v.children) {
        auto f = formatJson(*c.value);
        f["name"] = c.name;
        fields.push_back(std::move(f));
      }
      break;
    }
    case GoKind::Array:
    case GoKind::Slice:
    case GoKind::Chan: {
      auto& elems = j["elements"] = nlohmann::json::array();
      for (const auto& c : v.children) elems.push_back(formatJson(*c.value));
      if (v.kind == GoKind::Chan) {
        j["closed"] = v.closed;
        j["senders"] = v.senders;
        j["receivers"] = v.receivers;
      }
      break;
    }
    case GoKind::Map: {
      auto& entries = j["entries"] = nlohmann::json::array();
      for (const auto& c : v.children)
        entries.push_back({{"key", c.key ? formatJson(*c.key) : nlohmann::json()}, {"value", formatJson(*c.value)}});
      j["sorted"] = v.sorted;
      break;
    }
    case GoKind::Interface:
      if (!v.nil) {
        j["dynamic_type"] = v.dynamicType;
        if (!v.children.empty()) j["dynamic_value"] = formatJson(*v.children[0].value);
      }
      break;
    case GoKind::Pointer:
      if (!v.children.empty()) j["pointee"] = formatJson(*v.children[0].value);
      break;
    default:
      break;
  }
  return j;
}

}  // namespace goinspect
