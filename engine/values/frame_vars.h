// A frame's arguments and locals: found in the DWARF scope of the frame's pc (the
// DW_TAG_inlined_subroutine of an inlined frame), located by evaluating their DWARF
// location (a location list picks the expression valid at that pc) with what is really
// known of that frame.
//
//   FrameVars vars(types, bias);
//   for (const FrameVar& v : vars.at(frameInfo)) ...   // v.location says where, or why not
//
// What is known: the CFA (the runtime's fp: the caller's sp) and the sp, from our unwinder,
// and for the innermost frame of a running goroutine its thread's registers. Go keeps no
// register across a call (the ABI has no callee-saved registers), so a value that DWARF
// places in a register at a parked frame's pc is gone: it is unavailable, with the register
// named, never guessed from what the register holds now.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "memory.h"
#include "types.h"

namespace goinspect {

// One logical frame, as the unwinder gives it.
struct FrameInfo {
  uint64_t pc = 0;          // runtime pc of the physical frame
  uint64_t sp = 0, cfa = 0; // the physical frame's sp and the caller's sp (Frame::fp)
  bool returnAddress = true;  // pc is a return address: look it up at pc-1 (a call site)
  int inlineDepth = 0;      // 0: the innermost logical frame at this pc; 1: its caller ...
  std::string function;     // the frame's function as pclntab names it
  int line = 0;             // the frame's line (0: unknown)
  // The thread's registers, when this is the innermost frame of a running goroutine (its
  // pc and sp are the thread's): a value DWARF places in a register is then known.
  const Registers* regs = nullptr;
};

struct FrameVar {
  std::string name;         // as the source spells it (an escaped "&x" is x)
  TypeId type = 0;
  bool argument = false;
  bool result = false;      // a named result (DW_AT_variable_parameter)
  // Where its value is: a runtime address, or why it cannot be known at this pc.
  std::optional<uint64_t> addr;
  std::string unavailable;
  // The variable escaped to the heap: DWARF's "&x" holds its address, which is at addr;
  // the value is there.
  bool escaped = false;
  int declLine = 0;
  // An argument DWARF gives no location at this pc, read instead where the runtime's own
  // traceback reads it (FUNCDATA_ArgInfo), its spill slots live at this pc.
  bool fromTraceback = false;
  // In a register at the call (pc-1), in memory from the return address on: read there.
  bool atReturn = false;
  // Put together from the thread's registers or from stack slots apart (DWARF pieces): addr
  // is Memory's scratch copy, not a place in the target, and the value has no address.
  bool assembled = false;
};

class FrameVars {
 public:
  // mem: where pieces in separate places are read (nullptr: such values are unavailable).
  FrameVars(GoTypes& types, uint64_t bias, Memory* mem = nullptr) : types_(types), bias_(bias), mem_(mem) {}
  // The variables in scope at the frame, arguments first (in declaration order), then
  // locals by name. Empty when DWARF has no scope for the pc. The function the scope is
  // of is in *function when given.
  std::vector<FrameVar> at(const FrameInfo& f, std::string* function = nullptr);

 private:
  GoTypes& types_;
  uint64_t bias_;
  Memory* mem_;
};

}  // namespace goinspect
