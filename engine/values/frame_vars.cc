#include "frame_vars.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace goinspect {

namespace {

Dwarf* D(void* p) { return static_cast<Dwarf*>(p); }

// DWARF's register numbers on amd64 (System V psABI, figure 3.36).
const char* regName(unsigned r) {
  static constexpr const char* kNames[] = {"RAX", "RDX", "RCX", "RBX", "RSI", "RDI", "RBP", "RSP",
                                           "R8",  "R9",  "R10", "R11", "R12", "R13", "R14", "R15", "RIP"};
  if (r < std::size(kNames)) return kNames[r];
  if (r >= 17 && r <= 32) {
    static thread_local std::string x;
    x = fmt::format("X{}", r - 17);
    return x.c_str();
  }
  return "a register";
}
constexpr unsigned kRegSp = 7;

struct Op {
  uint8_t atom = 0;
  uint64_t n1 = 0, n2 = 0;
};

// Where a piece of a value is.
struct Piece {
  enum Kind { kMemory, kRegister, kImplicit, kGone } kind = kGone;
  uint64_t size = 0;  // 0: the whole value
  uint64_t value = 0; // kMemory: the address; kImplicit: the value
  unsigned reg = 0;
};

uint64_t uleb(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    uint8_t b = *p++;
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}
int64_t sleb(const uint8_t*& p, const uint8_t* end) {
  int64_t v = 0;
  int shift = 0;
  uint8_t b = 0;
  while (p < end && shift < 64) {
    b = *p++;
    v |= int64_t{b & 0x7f} << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) v |= -(int64_t{1} << shift);
  return v;
}

// An expression block decoded by hand: libdw refuses DW_FORM_block1 expressions in DWARF 4
// units, which Go writes for every variable with a single location. Only the operations
// Go's compiler emits (cmd/compile/internal/ssagen, cmd/internal/dwarf) are known.
std::optional<std::vector<Op>> decodeBlock(const uint8_t* p, size_t len) {
  const uint8_t* end = p + len;
  std::vector<Op> ops;
  while (p < end) {
    Op op;
    op.atom = *p++;
    uint8_t a = op.atom;
    if ((a >= DW_OP_lit0 && a <= DW_OP_lit31) || (a >= DW_OP_reg0 && a <= DW_OP_reg31) ||
        a == DW_OP_call_frame_cfa || a == DW_OP_stack_value || a == DW_OP_deref || a == DW_OP_plus ||
        a == DW_OP_minus || a == DW_OP_dup || a == DW_OP_drop) {
    } else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
      op.n1 = static_cast<uint64_t>(sleb(p, end));
    } else {
      switch (a) {
        case DW_OP_addr:
          if (end - p < 8) return std::nullopt;
          std::memcpy(&op.n1, p, 8);
          p += 8;
          break;
        case DW_OP_fbreg: case DW_OP_consts: op.n1 = static_cast<uint64_t>(sleb(p, end)); break;
        case DW_OP_piece: case DW_OP_constu: case DW_OP_plus_uconst: case DW_OP_regx: op.n1 = uleb(p, end); break;
        case DW_OP_bregx: op.n1 = uleb(p, end); op.n2 = static_cast<uint64_t>(sleb(p, end)); break;
        case DW_OP_const1u: if (p >= end) return std::nullopt; op.n1 = *p++; break;
        case DW_OP_const1s: if (p >= end) return std::nullopt; op.n1 = static_cast<uint64_t>(int64_t{static_cast<int8_t>(*p++)}); break;
        default: return std::nullopt;
      }
    }
    ops.push_back(op);
  }
  return ops;
}

// The location expression of `attr` valid at link-time `pc`: nullopt if none covers it
// (the variable does not exist there), an empty vector if the location is empty.
std::optional<std::vector<Op>> locationAt(Dwarf_Attribute* attr, uint64_t pc, std::string* why) {
  unsigned form = dwarf_whatform(attr);
  if (form == DW_FORM_block1 || form == DW_FORM_block2 || form == DW_FORM_block4 || form == DW_FORM_block ||
      form == DW_FORM_exprloc) {
    Dwarf_Block b;
    if (dwarf_formblock(attr, &b) != 0) {
      *why = "its DWARF location cannot be read";
      return std::nullopt;
    }
    auto ops = decodeBlock(b.data, b.length);
    if (!ops) *why = "its DWARF location uses an operation this reader does not know";
    return ops;
  }
  Dwarf_Op* expr = nullptr;
  size_t len = 0;
  int n = dwarf_getlocation_addr(attr, pc, &expr, &len, 1);
  if (n < 0) {
    *why = fmt::format("its DWARF location list cannot be read ({})", dwarf_errmsg(-1));
    return std::nullopt;
  }
  if (n == 0) {
    *why = "DWARF gives it no location at this pc";
    return std::nullopt;
  }
  std::vector<Op> ops;
  for (size_t i = 0; i < len; i++) ops.push_back({expr[i].atom, expr[i].number, expr[i].number2});
  return ops;
}

struct Known {
  uint64_t cfa = 0, sp = 0, bias = 0;
  const Registers* regs = nullptr;  // the thread's, for the innermost frame of a running goroutine
  std::optional<uint64_t> gpr(unsigned r) const {
    if (r == kRegSp) return sp;
    if (regs && r < regs->gpr.size()) return regs->gpr[r];
    return std::nullopt;
  }
};

// Evaluates a location expression into pieces. Returns false with *why when an operation
// needs what is not known (a register's value) or is not supported.
bool evaluate(const std::vector<Op>& ops, const Known& k, std::vector<Piece>* out, std::string* why) {
  std::vector<uint64_t> stack;
  std::optional<Piece> cur;  // a register or implicit value named by the last operation
  auto pop = [&](uint64_t* v) {
    if (stack.empty()) return false;
    *v = stack.back();
    stack.pop_back();
    return true;
  };
  auto reg = [&](unsigned r, uint64_t* v) {
    if (auto x = k.gpr(r)) {
      *v = *x;
      return true;
    }
    *why = fmt::format("it is computed from {}, which is not known in this frame", regName(r));
    return false;
  };
  // A register's value when known (the innermost frame of a running goroutine), else the
  // register itself: unavailable.
  auto regPiece = [&](unsigned r) {
    if (auto x = k.gpr(r); x && r != kRegSp) return Piece{Piece::kImplicit, 0, *x, r};
    return Piece{Piece::kRegister, 0, 0, r};
  };
  for (const Op& op : ops) {
    uint8_t a = op.atom;
    uint64_t x = 0, y = 0;
    if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
      stack.push_back(a - DW_OP_lit0);
    } else if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
      cur = regPiece(static_cast<unsigned>(a - DW_OP_reg0));
    } else if (a == DW_OP_regx) {
      cur = regPiece(static_cast<unsigned>(op.n1));
    } else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
      if (!reg(a - DW_OP_breg0, &x)) return false;
      stack.push_back(x + op.n1);
    } else {
      switch (a) {
        case DW_OP_call_frame_cfa: stack.push_back(k.cfa); break;
        case DW_OP_fbreg: stack.push_back(k.cfa + op.n1); break;  // Go's frame base is the CFA
        case DW_OP_addr: stack.push_back(op.n1 + k.bias); break;
        case DW_OP_consts: case DW_OP_constu: case DW_OP_const1u: case DW_OP_const1s:
        case DW_OP_const2u: case DW_OP_const2s: case DW_OP_const4u: case DW_OP_const4s:
        case DW_OP_const8u: case DW_OP_const8s:
          stack.push_back(op.n1);
          break;
        case DW_OP_plus_uconst:
          if (!pop(&x)) goto bad;
          stack.push_back(x + op.n1);
          break;
        case DW_OP_plus: case DW_OP_minus:
          if (!pop(&y) || !pop(&x)) goto bad;
          stack.push_back(a == DW_OP_plus ? x + y : x - y);
          break;
        case DW_OP_dup:
          if (stack.empty()) goto bad;
          stack.push_back(stack.back());
          break;
        case DW_OP_drop:
          if (!pop(&x)) goto bad;
          break;
        case DW_OP_bregx:
          if (!reg(static_cast<unsigned>(op.n1), &x)) return false;
          stack.push_back(x + op.n2);
          break;
        case DW_OP_stack_value:
          if (!pop(&x)) goto bad;
          cur = Piece{Piece::kImplicit, 0, x, 0};
          break;
        case DW_OP_piece: {
          Piece p;
          if (cur) p = *cur;
          else if (!stack.empty()) p = Piece{Piece::kMemory, 0, stack.back(), 0};
          else p.kind = Piece::kGone;  // an empty piece: that part was optimised away
          p.size = op.n1;
          out->push_back(p);
          cur.reset();
          stack.clear();
          break;
        }
        default:
          *why = fmt::format("its DWARF location uses operation {:#x}, which this reader does not evaluate", a);
          return false;
      }
    }
  }
  if (out->empty()) {
    if (cur) out->push_back(*cur);
    else if (!stack.empty()) out->push_back(Piece{Piece::kMemory, 0, stack.back(), 0});
    else out->push_back(Piece{Piece::kGone, 0, 0, 0});
  }
  return true;
bad:
  *why = "its DWARF location expression is malformed";
  return false;
}

std::string attrString(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  if (!dwarf_attr_integrate(die, name, &a)) return "";
  const char* s = dwarf_formstring(&a);
  return s ? s : "";
}

std::optional<uint64_t> attrUdata(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  Dwarf_Word w;
  if (!dwarf_attr_integrate(die, name, &a) || dwarf_formudata(&a, &w) != 0) return std::nullopt;
  return w;
}

// A DW_FORM_flag attribute (Go writes DW_AT_variable_parameter so): dwarf_formudata
// refuses that form.
bool attrFlag(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  bool b = false;
  return dwarf_attr_integrate(die, name, &a) && dwarf_formflag(&a, &b) == 0 && b;
}

}  // namespace

namespace {

// Where a variable is at `pc`: a memory address (one location, or memory pieces that follow
// one another), or nullopt with why (a register, a piece gone, ...). With `mem`, a value
// whose pieces are in registers the frame knows or in separate memory is put together in
// Memory's scratch (*assembled then); `size` is the type's, for a whole-value piece.
std::optional<uint64_t> placeAt(Dwarf_Attribute* la, uint64_t pc, const Known& k, Memory* mem, uint64_t size,
                                bool* assembled, std::string* whyOut) {
  std::string why;
  auto ops = locationAt(la, pc, &why);
  std::vector<Piece> pieces;
  if (!ops) {
    *whyOut = why;
    return std::nullopt;
  }
  if (ops->empty()) {
    *whyOut = "optimised away at this pc: its DWARF location is empty";
    return std::nullopt;
  }
  if (!evaluate(*ops, k, &pieces, &why)) {
    *whyOut = why;
    return std::nullopt;
  }
  bool contiguous = true;
  uint64_t at = pieces[0].value, next = at;
  for (const Piece& p : pieces) {
    if (p.kind == Piece::kRegister) {
      *whyOut = k.regs ? fmt::format("at this pc it is in {}, which the debugger did not give", regName(p.reg))
                       : fmt::format("at this pc it is in {}, and registers are not kept across calls", regName(p.reg));
      return std::nullopt;
    }
    if (p.kind == Piece::kGone) {
      *whyOut = "optimised away at this pc (part of it, at least)";
      return std::nullopt;
    }
    if (p.kind != Piece::kMemory || p.value != next) contiguous = false;
    next = p.value + p.size;
  }
  if (contiguous) return at;
  // Put together: each piece's bytes in order, a register's or computed value's little-endian.
  if (!mem) {
    *whyOut = "its pieces are in separate places at this pc, which is not read here";
    return std::nullopt;
  }
  std::string bytes;
  for (const Piece& p : pieces) {
    uint64_t n = p.size ? p.size : size;
    if (n == 0 || n > 4096 || bytes.size() + n > size) {
      *whyOut = "its DWARF pieces do not add up to its type's size";
      return std::nullopt;
    }
    if (p.kind == Piece::kMemory) {
      std::string part(n, '\0');
      if (!mem->read(p.value, part.data(), n)) {
        *whyOut = fmt::format("cannot read its {} bytes at {:#x}", n, p.value);
        return std::nullopt;
      }
      bytes += part;
    } else {
      if (n > 8) {
        *whyOut = "a piece of it is a value wider than a register";
        return std::nullopt;
      }
      for (uint64_t b = 0; b < n; b++) bytes += static_cast<char>((p.value >> (8 * b)) & 0xff);
    }
  }
  if (bytes.size() != size) {
    *whyOut = "its DWARF pieces do not add up to its type's size";
    return std::nullopt;
  }
  uint64_t scratch = mem->scratch(bytes);
  if (!scratch) {
    *whyOut = "too many values put together from pieces in one command";
    return std::nullopt;
  }
  *assembled = true;
  return scratch;
}

}  // namespace

std::vector<FrameVar> FrameVars::at(const FrameInfo& f, std::string* function) {
  std::vector<FrameVar> out;
  Dwarf* dw = D(types_.dwarf());
  uint64_t pc = f.pc - bias_ - (f.returnAddress ? 1 : 0);
  Dwarf_Die cu;
  auto unit = types_.unitAt(pc);
  if (!dw || !unit || !dwarf_offdie(dw, *unit, &cu)) return out;
  // The scopes that hold pc, innermost first: libdw's dwarf_getscopes replaces an inlined
  // instance's callers with its abstract origin's parents, so the walk is done here.
  std::vector<Dwarf_Die> scopes;
  Dwarf_Die at = cu;
  for (int depth = 0; depth < 64; depth++) {
    Dwarf_Die child;
    bool found = false;
    if (dwarf_child(&at, &child) == 0) {
      do {
        int tag = dwarf_tag(&child);
        if ((tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) &&
            dwarf_haspc(&child, pc) == 1) {
          found = true;
          break;
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    if (!found) break;
    scopes.push_back(child);
    at = child;
  }
  std::reverse(scopes.begin(), scopes.end());
  int n = static_cast<int>(scopes.size());
  Dwarf_Die* raw = scopes.data();
  if (n == 0) return out;

  // The frame's function is the scope of its name (pclntab's inline tree and DWARF's
  // inlined ranges can disagree about a call's last byte), else the one at its depth.
  auto functionScope = [&](bool byName, int* startOut) {
    int start = 0, depth = 0;
    for (int i = 0; i < n; i++) {
      int tag = dwarf_tag(&raw[i]);
      if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
      if (byName ? attrString(&raw[i], DW_AT_name) == f.function : depth == f.inlineDepth) {
        *startOut = start;
        return i;
      }
      depth++;
      start = i + 1;
    }
    return -1;
  };
  int start = 0;
  int fn = f.function.empty() ? -1 : functionScope(true, &start);
  if (fn < 0) fn = functionScope(false, &start);
  if (fn < 0) return out;
  if (function) *function = attrString(&raw[fn], DW_AT_name);

  Known k{f.cfa, f.sp, bias_, f.regs};
  for (int i = fn; i >= start; i--) {  // the function's own variables first, then blocks'
    Dwarf_Die child;
    if (dwarf_child(&raw[i], &child) != 0) continue;
    do {
      int tag = dwarf_tag(&child);
      if (tag != DW_TAG_formal_parameter && tag != DW_TAG_variable) continue;
      FrameVar v;
      v.name = attrString(&child, DW_AT_name);
      // A dotted name is a part the compiler split off a variable ("~r0.len"), not one.
      if (v.name.empty() || v.name.find('.') != std::string::npos) continue;
      v.argument = tag == DW_TAG_formal_parameter;
      v.result = v.argument && attrFlag(&child, DW_AT_variable_parameter);
      v.declLine = static_cast<int>(attrUdata(&child, DW_AT_decl_line).value_or(0));
      // A local declared below the frame's line is not in scope yet: its stack slot (an
      // -N -l build keeps one for the whole function) holds garbage or an older value.
      if (!v.argument && f.line > 0 && v.declLine > f.line) continue;
      Dwarf_Attribute ta;
      Dwarf_Die td;
      if (dwarf_attr_integrate(&child, DW_AT_type, &ta) && dwarf_formref_die(&ta, &td))
        v.type = types_.fromDie(dwarf_dieoffset(&td));
      // An escaped variable: DWARF describes "&x", a pointer to it (its value is on the heap).
      if (v.name.starts_with("&")) {
        v.name.erase(0, 1);
        v.escaped = true;
      }
      Dwarf_Attribute la;
      if (!dwarf_attr(&child, DW_AT_location, &la)) {
        v.unavailable = "optimised away: DWARF gives it no location";
        out.push_back(std::move(v));
        continue;
      }
      std::string why;
      uint64_t size = v.type ? types_.type(v.type).size : 0;
      if (auto at = placeAt(&la, pc, k, mem_, size, &v.assembled, &why)) {
        v.addr = at;
      } else if (f.returnAddress) {
        // At the call (pc-1) the value was in a register, which the call does not keep; if
        // DWARF places it in memory from the return address on, it was stored there before
        // the call (no instruction of this function runs between the two), and is there now.
        std::string later;
        if (auto at2 = placeAt(&la, f.pc - bias_, k, mem_, size, &v.assembled, &later)) {
          v.addr = at2;
          v.atReturn = true;
        } else {
          v.unavailable = why;
        }
      } else {
        v.unavailable = why;
      }
      out.push_back(std::move(v));
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  // The same variable described twice (an unnamed result in two scopes) is listed once.
  auto same = [](const FrameVar& a, const FrameVar& b) {
    return a.name == b.name && a.type == b.type && a.argument == b.argument && a.addr == b.addr &&
           a.unavailable == b.unavailable;
  };
  std::vector<FrameVar> unique;
  for (FrameVar& v : out)
    if (std::none_of(unique.begin(), unique.end(), [&](const FrameVar& u) { return same(u, v); }))
      unique.push_back(std::move(v));
  out = std::move(unique);
  // Arguments in declaration order, then the rest by name (DWARF's order for locals is the
  // compiler's, which tells the reader nothing).
  std::stable_sort(out.begin(), out.end(), [](const FrameVar& a, const FrameVar& b) {
    if (a.argument != b.argument) return a.argument;
    if (a.argument) return false;
    return a.name < b.name;
  });
  return out;
}

}  // namespace goinspect
