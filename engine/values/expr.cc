#include "expr.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "bounds.h"
#include "errors.h"
#include "format.h"
#include "literals.h"

namespace goinspect {

namespace {

// Entries a map lookup (m[k]) reads at most: it walks the map (it cannot hash without
// running code), keeping every key it read, some 500 bytes each.
constexpr uint64_t kMaxLookupEntries = 200'000;

// What a subexpression denotes: a place in target memory, or a value computed here.
struct Operand {
  TypeId type = 0;
  std::optional<uint64_t> addr;      // the value lives here
  std::optional<uint64_t> pointer;   // a computed pointer (&x, (*T)(0x...)): its value
  std::optional<int64_t> integer;    // a computed integer (a literal, len(x), s[i])
  std::optional<std::string> string; // a string literal
  std::string text;                  // the expression, for messages
  std::string unavailable;           // a variable with no value at this pc: why
};

// A value that lives at `addr`.
Operand place(TypeId type, uint64_t addr, std::string text) {
  Operand o;
  o.type = type;
  o.addr = addr;
  o.text = std::move(text);
  return o;
}

bool nameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == '-'; }

class Parser {
 public:
  Parser(ValueReader& r, const ExprScope& scope, std::string_view src) : r_(r), T_(r.types()), scope_(scope), s_(src) {}

  Operand parse() {
    Operand o = unary();
    skip();
    if (i_ != s_.size()) fail(fmt::format("unexpected '{}' at column {}", s_.substr(i_), i_ + 1));
    return o;
  }

 private:
  [[noreturn]] void fail(const std::string& why) { throw Error(why); }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) i_++;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      i_++;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(fmt::format("expected '{}' at column {}", c, i_ + 1));
  }
  const GoType& type(const Operand& o) { return T_.type(o.type); }

  Operand unary() {
    size_t start = (skip(), i_);
    if (eat('*')) {
      Operand o = unary();
      Operand d = deref(o);
      d.text = std::string(s_.substr(start, i_ - start));
      return d;
    }
    if (eat('&')) {
      Operand o = unary();
      if (!o.addr) fail(fmt::format("cannot take the address of {}", o.text));
      if (Memory::isScratch(*o.addr))
        fail(fmt::format("cannot take the address of {}: at this pc it is in registers or in pieces apart, "
                         "not in one place", o.text));
      Operand p;
      p.type = T_.pointerTo(o.type);
      p.pointer = *o.addr;
      p.text = std::string(s_.substr(start, i_ - start));
      return p;
    }
    return postfix(primary());
  }

  Operand postfix(Operand o) {
    for (;;) {
      skip();
      size_t start = i_;
      if (eat('.')) {
        if (eat('(')) {
          std::string tn = typeName();
          o = assertType(o, tn);
        } else {
          o = field(o, ident());
        }
      } else if (eat('[')) {
        Operand idx = indexOperand(o);
        expect(']');
        o = index(o, idx);
      } else {
        return o;
      }
      (void)start;
    }
  }

  // What goes between a[ and ]. A bare word that names nothing, on a map with string keys,
  // is most likely a key whose double quotes the debugger dropped: say how to keep them.
  Operand indexOperand(const Operand& base) {
    size_t at = i_;
    try {
      return unary();
    } catch (const Error& e) {
      const GoType& t = type(base);
      size_t end = s_.find(']', at);
      std::string word(s_.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
      bool bare = !word.empty() && word.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
      if (t.kind == GoKind::Map && T_.type(t.key).kind == GoKind::String && bare)
        fail(fmt::format("{}; for the key \"{}\" write {}[\"{}\"], and in LLDB or GDB put the whole expression "
                         "in single quotes (they drop double quotes from a command's words)",
                         e.what(), word, base.text, word));
      throw;
    }
  }

  std::string ident() {
    skip();
    size_t b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) i_++;
    if (b == i_) fail(fmt::format("expected a name at column {}", b + 1));
    return std::string(s_.substr(b, i_ - b));
  }

  // A type's name up to the ')' that closes it, brackets and parentheses nested.
  std::string typeName() {
    size_t b = i_;
    int nest = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '(' || c == '[' || c == '{') nest++;
      if (c == ')' || c == ']' || c == '}') {
        if (nest == 0) break;
        nest--;
      }
      i_++;
    }
    std::string t(s_.substr(b, i_ - b));
    expect(')');
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
    if (t.empty()) fail("expected a type name");
    return t;
  }

  TypeId lookupType(const std::string& name) {
    if (auto id = T_.byName(name)) return *id;
    if (name.starts_with("*"))
      if (auto e = T_.byName(name.substr(1))) return T_.pointerTo(*e);
    fail(fmt::format("no type {} in the program's DWARF", name));
  }

  Operand primary() {
    skip();
    size_t start = i_;
    if (i_ >= s_.size()) fail("expected an expression");
    char c = s_[i_];
    if (c == '(') {
      i_++;
      // (T)(x): a conversion when what is in parentheses names a type and a '(' follows.
      size_t save = i_;
      std::string inner = typeName();
      skip();
      if (i_ < s_.size() && s_[i_] == '(' && (inner.starts_with("*") || T_.byName(inner))) {
        TypeId t = lookupType(inner);
        i_++;
        Operand x = unary();
        expect(')');
        return convert(t, x, std::string(s_.substr(start, i_ - start)));
      }
      i_ = save;
      Operand o = unary();
      expect(')');
      return o;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') return number();
    if (c == '"' || c == '`') return stringLit();
    std::string name = qualified();
    if (name == "true" || name == "false") {  // Go's predeclared constants
      Operand b;
      b.integer = name == "true";
      b.type = T_.byName("bool").value_or(0);
      b.text = name;
      return b;
    }
    if (name == "string") {  // string(b) of a []byte
      expect('(');
      Operand x = unary();
      expect(')');
      return convert(lookupType("string"), x, fmt::format("string({})", x.text));
    }
    if (name == "len" || name == "cap") {
      expect('(');
      Operand x = unary();
      expect(')');
      return lenCap(name, x);
    }
    return variable(name);
  }

  Operand number() {
    size_t b = i_;
    if (s_[i_] == '-') i_++;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) i_++;
    std::string digits;
    for (char c : s_.substr(b, i_ - b))
      if (c != '_') digits += c;
    bool neg = !digits.empty() && digits[0] == '-';
    std::string_view d(digits);
    if (neg) d.remove_prefix(1);
    int base = 10;
    if (d.size() > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) base = 16, d.remove_prefix(2);
    else if (d.size() > 2 && d[0] == '0' && (d[1] == 'b' || d[1] == 'B')) base = 2, d.remove_prefix(2);
    else if (d.size() > 2 && d[0] == '0' && (d[1] == 'o' || d[1] == 'O')) base = 8, d.remove_prefix(2);
    uint64_t u = 0;
    auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), u, base);
    if (ec != std::errc() || p != d.data() + d.size() || d.empty())
      fail(fmt::format("not a number: {}", s_.substr(b, i_ - b)));
    Operand o;
    o.integer = neg ? -static_cast<int64_t>(u) : static_cast<int64_t>(u);
    o.type = T_.byName("int").value_or(0);
    o.text = std::string(s_.substr(b, i_ - b));
    return o;
  }

  Operand stringLit() {
    char q = s_[i_++];
    std::string out;
    size_t b = i_ - 1;
    while (i_ < s_.size() && s_[i_] != q) {
      char c = s_[i_++];
      if (c == '\\' && q == '"' && i_ < s_.size()) {
        char e = s_[i_++];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '\\': out += '\\'; break;
          case '"': out += '"'; break;
          case '0': out += '\0'; break;
          default: fail(fmt::format("unsupported escape \\{} in a string literal", e));
        }
      } else {
        out += c;
      }
    }
    if (i_ >= s_.size()) fail("unterminated string literal");
    i_++;
    Operand o;
    o.string = std::move(out);
    o.type = T_.byName("string").value_or(0);
    o.text = std::string(s_.substr(b, i_ - b));
    return o;
  }

  // A name with its package path and any selectors: "main.cfg.Shards", "example.com/x.V".
  std::string qualified() {
    size_t b = i_;
    while (i_ < s_.size() && (nameChar(s_[i_]) || s_[i_] == '.')) {
      // A '.' followed by '(' is a type assertion: not part of the name.
      if (s_[i_] == '.' && i_ + 1 < s_.size() && s_[i_ + 1] == '(') break;
      i_++;
    }
    if (b == i_) fail(fmt::format("unexpected '{}' at column {}", s_[i_], i_ + 1));
    return std::string(s_.substr(b, i_ - b));
  }

  // The longest dotted prefix of `name` that is a variable; the rest are field selectors.
  Operand variable(const std::string& name) {
    size_t slash = name.rfind('/');
    size_t from = slash == std::string::npos ? 0 : slash;
    std::vector<size_t> dots;
    for (size_t k = from; k < name.size(); k++)
      if (name[k] == '.') dots.push_back(k);
    dots.push_back(name.size());
    for (size_t k = dots.size(); k-- > 0;) {
      std::string head = name.substr(0, dots[k]);
      std::optional<Operand> o;
      if (scope_.local && head.find('.') == std::string::npos)
        if (auto p = scope_.local(head)) {
          o = Operand{};
          o->type = p->type;
          o->text = head;
          if (p->unavailable.empty()) o->addr = p->addr;
          else o->unavailable = p->unavailable;
        }
      if (!o) o = global(head);
      if (!o && head.find('.') == std::string::npos && head.find('/') == std::string::npos) o = global("main." + head);
      if (!o) continue;
      Operand cur = *o;
      size_t pos = dots[k];
      while (pos < name.size()) {
        size_t next = name.find('.', pos + 1);
        if (next == std::string::npos) next = name.size();
        cur = field(cur, name.substr(pos + 1, next - pos - 1));
        pos = next;
      }
      return cur;
    }
    std::string pkg = name.find('.') == std::string::npos ? "main" : name.substr(0, name.rfind('.'));
    auto known = T_.variablesOf(pkg);
    std::string hint;
    if (!known.empty()) {
      size_t n = std::min<size_t>(known.size(), 8);
      std::vector<std::string> some(known.begin(), known.begin() + n);
      hint = fmt::format(" (package {} has {}{})", pkg, fmt::join(some, ", "), known.size() > n ? ", ..." : "");
    }
    if (!T_.hasDwarf())
      fail(fmt::format("no variable {}: {} has no DWARF (a stripped binary?), where variables are found; "
                       "(*T)(0xADDR) reads a value, typed by the runtime's type descriptors",
                       name, r_.prog().elf().path()));
    fail(fmt::format("no variable {}{}", name, hint));
  }

  std::optional<Operand> global(const std::string& name) {
    auto v = T_.variable(name);
    if (!v) return std::nullopt;
    return place(v->type, v->addr + r_.prog().bias(), name);
  }

  // The operand's address; a variable that has none at this pc says why.
  uint64_t requireAddr(const Operand& o) {
    if (o.addr) return *o.addr;
    if (!o.unavailable.empty()) fail(fmt::format("{} is not available at this pc: {}", o.text, o.unavailable));
    fail(fmt::format("{} is not in memory", o.text));
  }

  uint64_t word(uint64_t addr, const std::string& what) {
    auto w = r_.mem().u64(addr);
    if (!w) fail(fmt::format("cannot read {} at {:#x}", what, addr));
    return *w;
  }

  // The pointer's value, whether computed or in memory.
  uint64_t pointerValue(const Operand& o) {
    if (o.pointer) return *o.pointer;
    return word(requireAddr(o), o.text);
  }

  Operand deref(const Operand& o) {
    const GoType& t = type(o);
    if (t.kind == GoKind::UnsafePointer) fail(fmt::format("cannot dereference {} (unsafe.Pointer): convert it, (*T)({})", o.text, o.text));
    if (t.kind != GoKind::Pointer) fail(fmt::format("cannot dereference {} (type {})", o.text, t.name));
    uint64_t p = pointerValue(o);
    if (!p) fail(fmt::format("nil pointer dereference: {} is nil", o.text));
    return place(t.elem, p, "*" + o.text);
  }

  // x.f, through one pointer, and into embedded fields (the shallowest match, as Go does).
  Operand field(Operand o, const std::string& name) {
    if (type(o).kind == GoKind::Pointer) o = deref(o);
    const GoType& t = type(o);
    if (t.kind != GoKind::Struct) {
      if (t.kind == GoKind::Interface)
        fail(fmt::format("{} is an interface ({}): assert its type first, {}.(T).{}", o.text, t.name, o.text, name));
      fail(fmt::format("{} (type {}) has no fields", o.text, t.name));
    }
    requireAddr(o);
    if (auto f = findField(o.type, name, 0))
      return place(f->second, *o.addr + f->first, o.text + "." + name);
    std::vector<std::string> names;
    for (const auto& f : t.fields) names.push_back(f.name);
    fail(fmt::format("{} (type {}) has no field {} (its fields: {})", o.text, t.name, name, fmt::join(names, ", ")));
  }

  // {offset, type} of a field or a promoted field of an embedded struct (not through
  // embedded pointers, which would need a read).
  std::optional<std::pair<uint64_t, TypeId>> findField(TypeId id, const std::string& name, int depth) {
    const GoType& t = T_.type(id);
    if (depth > 8 || t.kind != GoKind::Struct) return std::nullopt;
    for (const auto& f : t.fields)
      if (f.name == name) return std::pair{f.offset, f.type};
    for (const auto& f : t.fields)
      if (f.embedded)
        if (auto in = findField(f.type, name, depth + 1)) return std::pair{f.offset + in->first, in->second};
    return std::nullopt;
  }

  int64_t integer(const Operand& i) {
    if (i.integer) return *i.integer;
    const GoType& t = type(i);
    if (i.addr && t.kind >= GoKind::Int && t.kind <= GoKind::Uintptr) {
      Value v = r_.readAt(i.type, *i.addr, Limits{}, 0);
      if (v.error) fail(*v.error);
      // Decimal, or a uintptr's 0x...; an unsigned value past int64 is not an index.
      bool hex = v.text.starts_with("0x");
      const char* b = v.text.data() + (hex ? 2 : 0);
      const char* e = v.text.data() + v.text.size();
      int64_t n = 0;
      auto [p, ec] = std::from_chars(b, e, n, hex ? 16 : 10);
      if (ec != std::errc() || p != e) fail(fmt::format("index {} ({}) is out of range", i.text, v.text));
      return n;
    }
    fail(fmt::format("index {} is not an integer", i.text));
  }

  Operand index(Operand o, const Operand& idx) {
    if (type(o).kind == GoKind::Pointer && T_.type(type(o).elem).kind == GoKind::Array) o = deref(o);
    const GoType& t = type(o);
    std::string text = fmt::format("{}[{}]", o.text, idx.text);
    if (t.kind == GoKind::Map) return lookup(o, idx, text);
    int64_t i = integer(idx);
    auto check = [&](uint64_t len) {
      if (i < 0 || static_cast<uint64_t>(i) >= len) fail(fmt::format("index out of range [{}] with length {}", i, len));
    };
    if (!o.string) requireAddr(o);
    switch (t.kind) {
      case GoKind::Array:
        check(t.count);
        return place(t.elem, *o.addr + i * T_.type(t.elem).size, text);
      case GoKind::Slice: {
        uint64_t array = word(*o.addr, o.text), len = word(*o.addr + 8, o.text);
        check(len);
        return place(t.elem, array + i * T_.type(t.elem).size, text);
      }
      case GoKind::String: {
        Operand b;
        b.type = T_.byName("uint8").value_or(0);
        b.text = text;
        if (o.string) {
          check(o.string->size());
          b.integer = static_cast<uint8_t>((*o.string)[i]);
          return b;
        }
        uint64_t str = word(*o.addr, o.text), len = word(*o.addr + 8, o.text);
        check(len);
        auto byte = r_.mem().u8(str + i);
        if (!byte) fail(fmt::format("cannot read {} at {:#x}", text, str + i));
        b.integer = *byte;
        return b;
      }
      default:
        fail(fmt::format("cannot index {} (type {})", o.text, t.name));
    }
  }

  // The literal as the key's Go literal would print, to compare with each key read.
  std::string keyText(const Operand& k, const GoType& keyType) {
    if (k.string) return goQuote(*k.string);
    if (k.pointer && !k.integer) {  // (*T)(0x...)
      Operand as = k;
      as.integer = static_cast<int64_t>(*k.pointer);
      return keyText(as, keyType);
    }
    if (k.integer) {
      // As the key itself prints (format.h): the comparison is of printed keys.
      auto u = static_cast<uint64_t>(*k.integer);
      switch (keyType.kind) {
        case GoKind::Bool: return *k.integer ? "true" : "false";
        case GoKind::Uintptr: return fmt::format("{:#x}", u);
        case GoKind::UnsafePointer: return u ? fmt::format("unsafe.Pointer({:#x})", u) : "unsafe.Pointer(nil)";
        case GoKind::Pointer: return u ? fmt::format("({})({:#x})", keyType.name, u) : fmt::format("({})(nil)", keyType.name);
        default: return std::to_string(*k.integer);
      }
    }
    if (k.addr) {
      Value v = r_.readAt(k.type, *k.addr, Limits{0, 0, bounds::kMaxString}, 0);
      if (v.error) fail(*v.error);
      return formatText(v);
    }
    fail(fmt::format("cannot use {} as a map key", k.text));
  }

  Operand lookup(const Operand& m, const Operand& k, const std::string& text) {
    requireAddr(m);
    const GoType& t = type(m);
    const GoType& kt = T_.type(t.key);
    std::string want = keyText(k, kt);
    Value head = r_.readAt(m.type, *m.addr, Limits{0, 0, 0}, 1);  // its length only
    if (head.error) fail(*head.error);
    if (head.nil) fail(fmt::format("{}: the map is nil", text));
    Limits all{0, std::min<uint64_t>(head.len.value_or(0), kMaxLookupEntries), bounds::kMaxString};
    all.nodes = 2 * all.elements + 2;
    Value whole = r_.readAt(m.type, *m.addr, all, 0);
    if (whole.error) fail(*whole.error);
    for (const auto& c : whole.children)
      if (c.key && formatText(*c.key) == want) {
        if (!c.value->addr) fail(fmt::format("{}: the value's address is not known", text));
        return place(t.elem, *c.value->addr, text);
      }
    if (head.len.value_or(0) > kMaxLookupEntries)
      fail(fmt::format("{}: not among the first {} entries of the map's {} (a lookup walks the map and stops there)",
                       text, kMaxLookupEntries, *head.len));
    fail(fmt::format("{}: no such key in the map ({} entries)", text, head.len.value_or(0)));
  }

  Operand lenCap(const std::string& fn, const Operand& x) {
    Operand r;
    r.type = T_.byName("int").value_or(0);
    r.text = fmt::format("{}({})", fn, x.text);
    if (x.string) {
      if (fn == "cap") fail(fmt::format("invalid argument: {} (string) for cap", x.text));
      r.integer = static_cast<int64_t>(x.string->size());
      return r;
    }
    requireAddr(x);
    const GoType& t = type(x);
    Value v = r_.readAt(x.type, *x.addr, Limits{0, 0, 0}, 1);
    if (v.error) fail(*v.error);
    bool capOk = t.kind == GoKind::Slice || t.kind == GoKind::Array || t.kind == GoKind::Chan;
    bool lenOk = capOk || t.kind == GoKind::String || t.kind == GoKind::Map;
    if (fn == "len" ? !lenOk : !capOk) fail(fmt::format("invalid argument: {} (type {}) for {}", x.text, t.name, fn));
    if (v.nil) r.integer = 0;
    else r.integer = static_cast<int64_t>(fn == "len" ? (t.kind == GoKind::Array ? t.count : v.len.value_or(0))
                                                      : (t.kind == GoKind::Array ? t.count : v.cap.value_or(0)));
    return r;
  }

  Operand convert(TypeId to, const Operand& x, const std::string& text) {
    const GoType& t = T_.type(to);
    if (t.kind == GoKind::Pointer || t.kind == GoKind::UnsafePointer) {
      Operand p;
      p.type = to;
      p.text = text;
      if (x.integer) p.pointer = static_cast<uint64_t>(*x.integer);
      else p.pointer = pointerValue(x);
      return p;
    }
    if (t.kind == GoKind::String && x.string) {
      Operand s = x;
      s.text = text;
      return s;
    }
    if (t.kind == GoKind::String) {
      // string(b): a []byte's header begins with the {ptr, len} of a string header, and the
      // string holds the same bytes (runtime/string.go, slicebytetostring copies them).
      const GoType& from = type(x);
      if (from.kind != GoKind::Slice || T_.type(from.elem).kind != GoKind::Uint8)
        fail(fmt::format("cannot convert {} (type {}) to string: only a []byte converts", x.text, from.name));
      requireAddr(x);
      return place(to, *x.addr, text);
    }
    if (x.addr && T_.type(x.type).size == t.size) return place(to, *x.addr, text);
    fail(fmt::format("cannot convert {} to {}", x.text, t.name));
  }

  Operand assertType(const Operand& x, const std::string& name) {
    const GoType& t = type(x);
    if (t.kind != GoKind::Interface) fail(fmt::format("{} (type {}) is not an interface", x.text, t.name));
    requireAddr(x);
    Value v = r_.readAt(x.type, *x.addr, Limits{0, 0, 0}, 0);
    if (v.error) fail(*v.error);
    std::string text = fmt::format("{}.({})", x.text, name);
    if (v.nil) fail(fmt::format("interface conversion: {} is nil, not {}", x.text, name));
    if (v.dynamicType != name) fail(fmt::format("interface conversion: {} is {}, not {}", x.text, v.dynamicType, name));
    TypeId to = lookupType(name);
    if (r_.directIface(to)) return place(to, *x.addr + 8, text);
    return place(to, word(*x.addr + 8, x.text), text);
  }

  ValueReader& r_;
  GoTypes& T_;
  const ExprScope& scope_;
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Value ExprEvaluator::evaluate(std::string_view expr, const Limits& limits) {
  Parser p(reader_, scope_, expr);
  Operand o = p.parse();
  GoTypes& T = reader_.types();
  if (o.integer || o.string) {
    Value v;
    v.type = o.type;
    v.typeName = o.type ? T.type(o.type).name : (o.string ? "string" : "int");
    v.kind = o.string ? GoKind::String : (o.type ? T.type(o.type).kind : GoKind::Int);
    if (o.string) {
      v.len = o.string->size();
      v.text = goQuote(*o.string);
    } else if (v.kind == GoKind::Bool) {
      v.text = *o.integer ? "true" : "false";
    } else {
      v.text = std::to_string(*o.integer);
    }
    return v;
  }
  Value v;
  if (!o.unavailable.empty()) {
    v = Value::failed(o.type ? T.type(o.type).name : "", o.unavailable);
    v.type = o.type;
    v.kind = o.type ? T.type(o.type).kind : GoKind::Invalid;
    v.unavailable = true;
    return v;
  }
  if (o.pointer) {
    v.type = o.type;
    v.typeName = T.type(o.type).name;
    v.kind = T.type(o.type).kind;
    v.nil = *o.pointer == 0;
    v.text = fmt::format("{:#x}", *o.pointer);
    if (!v.nil && v.kind == GoKind::Pointer)
      v.children.push_back({"", nullptr, std::make_unique<Value>(reader_.readAt(T.type(o.type).elem, *o.pointer, limits, 0))});
    return v;
  }
  v = reader_.readAt(o.type, *o.addr, limits, 0);
  reader_.followPointer(v, limits, 0);
  return v;
}

}  // namespace goinspect
