// Channels, read as runtime/chan.go lays them out: the hchan<T> the linker writes into DWARF
// for each channel type gives the offsets, its waitq<T> and sudog<T> those of the queues.
#include <fmt/format.h>

#include <string_view>
#include <unordered_set>

#include "bounds.h"
#include "value.h"

namespace goinspect {

namespace {

// A field of a struct DWARF describes: its offset, type and the type's size.
struct Field {
  uint64_t offset = 0;
  TypeId type = 0;
  uint64_t size = 0;
};

std::optional<Field> fieldOf(const GoTypes& types, TypeId id, std::string_view name) {
  if (!id) return std::nullopt;
  const GoField* f = types.field(id, name);
  if (!f) return std::nullopt;
  return Field{f->offset, f->type, types.type(f->type).size};
}

class ChanReader {
 public:
  ChanReader(ValueReader& r, Value& v, TypeId elem, const Limits& limits, int depth)
      : r_(r), mem_(r.mem()), T_(r.types()), v_(v), elem_(elem), limits_(limits), depth_(depth) {}

  void read(TypeId impl, uint64_t c);

 private:
  // A wait queue's sudogs, linked by next from first, and the goid of each one's g.
  struct Queues {
    Field recvq, sendq, first, next, g, goid;
  };
  bool queueLayout(TypeId impl, Queues& q);
  bool walk(uint64_t head, const Queues& q, const char* what, std::vector<int64_t>& out);

  // The channel is an error: what was read of its contents is dropped; len, cap and
  // closed, read from its header, are kept.
  void fail(std::string why) {
    v_.error = std::move(why);
    v_.children.clear();
    v_.senders.clear();
    v_.receivers.clear();
    v_.more = 0;
  }

  ValueReader& r_;
  Memory& mem_;
  GoTypes& T_;
  Value& v_;
  TypeId elem_;
  const Limits& limits_;
  int depth_;
};

bool ChanReader::queueLayout(TypeId impl, Queues& q) {
  auto recvq = fieldOf(T_, impl, "recvq"), sendq = fieldOf(T_, impl, "sendq");
  auto first = recvq ? fieldOf(T_, recvq->type, "first") : std::nullopt;
  if (!recvq || !sendq || !first) {
    fail(fmt::format("DWARF's {} lacks recvq.first or sendq", T_.type(impl).name));
    return false;
  }
  // The channel's own sudog<T>, else the runtime's (the same but for the elem pointer).
  TypeId sudog = T_.pointee(first->type);
  if (!T_.field(sudog, "g") || !T_.field(sudog, "next")) sudog = T_.byName("runtime.sudog").value_or(0);
  auto g = fieldOf(T_, sudog, "g"), next = fieldOf(T_, sudog, "next");
  if (!g || !next) {
    fail("DWARF's sudog lacks g or next");
    return false;
  }
  TypeId gType = T_.pointee(g->type);
  if (!T_.field(gType, "goid")) gType = T_.byName("runtime.g").value_or(0);
  auto goid = fieldOf(T_, gType, "goid");
  if (!goid) {
    fail("DWARF's runtime.g lacks goid");
    return false;
  }
  q = Queues{*recvq, *sendq, *first, *next, *g, *goid};
  return true;
}

void ChanReader::read(TypeId impl, uint64_t c) {
  auto qcountF = fieldOf(T_, impl, "qcount"), dataqsizF = fieldOf(T_, impl, "dataqsiz"),
       bufF = fieldOf(T_, impl, "buf"), elemsizeF = fieldOf(T_, impl, "elemsize"),
       closedF = fieldOf(T_, impl, "closed"), recvxF = fieldOf(T_, impl, "recvx");
  if (!qcountF || !dataqsizF || !bufF || !elemsizeF || !closedF || !recvxF)
    return fail(fmt::format("DWARF's {} lacks qcount, dataqsiz, buf, elemsize, closed or recvx", T_.type(impl).name));
  Queues q;
  if (!queueLayout(impl, q)) return;

  auto qcount = mem_.unsignedAt(c + qcountF->offset, qcountF->size);
  auto dataqsiz = mem_.unsignedAt(c + dataqsizF->offset, dataqsizF->size);
  auto buf = mem_.u64(c + bufF->offset);
  auto elemsize = mem_.unsignedAt(c + elemsizeF->offset, elemsizeF->size);
  auto closed = mem_.unsignedAt(c + closedF->offset, closedF->size);
  auto recvx = mem_.unsignedAt(c + recvxF->offset, recvxF->size);
  if (!qcount || !dataqsiz || !buf || !elemsize || !closed || !recvx)
    return fail(fmt::format("cannot read the channel at {:#x}", c));
  v_.len = *qcount;
  v_.cap = *dataqsiz;
  v_.closed = *closed != 0;

  // runtime/chan.go: qcount of the dataqsiz slots are full, from recvx on, wrapping.
  // makechan gives a channel of zero-size elements a buffer of any length (and buf points
  // at the hchan): only its bytes are bounded.
  if (*qcount > *dataqsiz || (*dataqsiz > 0 && *recvx >= *dataqsiz))
    return fail(fmt::format("implausible channel: {} of {} buffered from slot {}", *qcount, *dataqsiz, *recvx));
  uint64_t elemSize = T_.type(elem_).size;
  if (*elemsize != elemSize)
    return fail(fmt::format("the channel's elemsize is {}, but {} has {} bytes", *elemsize, T_.type(elem_).name, elemSize));
  if (elemSize && *dataqsiz > bounds::kMaxChanBuffer / elemSize)
    return fail(fmt::format("implausible channel: a buffer of {} x {} bytes", *dataqsiz, elemSize));
  uint64_t n = std::min<uint64_t>(*qcount, limits_.elements);
  if (n > 0 && !*buf) return fail(fmt::format("the channel at {:#x} holds {} values but has no buffer", c, *qcount));
  for (uint64_t i = 0; i < n; i++) {
    uint64_t slot = *buf + (*recvx + i) % *dataqsiz * elemSize;
    v_.children.push_back({std::to_string(i), nullptr,
                           std::make_unique<Value>(r_.readAt(elem_, slot, limits_, depth_ + 1))});
  }
  v_.more = *qcount - n;

  if (!walk(c + q.sendq.offset + q.first.offset, q, "send", v_.senders)) return;
  walk(c + q.recvq.offset + q.first.offset, q, "receive", v_.receivers);
}

// runtime/chan.go: waitq.first, then sudog.next; each sudog's g is the goroutine waiting.
bool ChanReader::walk(uint64_t head, const Queues& q, const char* what, std::vector<int64_t>& out) {
  auto s = mem_.u64(head);
  if (!s) {
    fail(fmt::format("cannot read the channel's {} queue at {:#x}", what, head));
    return false;
  }
  std::unordered_set<uint64_t> seen;
  for (uint64_t sg = *s; sg;) {
    if (out.size() >= bounds::kMaxQueue || !seen.insert(sg).second) {
      fail(fmt::format("the channel's {} queue loops or passes {} goroutines", what, bounds::kMaxQueue));
      return false;
    }
    auto gp = mem_.u64(sg + q.g.offset);
    auto goid = gp && *gp ? mem_.unsignedAt(*gp + q.goid.offset, q.goid.size) : std::nullopt;
    auto next = mem_.u64(sg + q.next.offset);
    if (!goid || !next) {
      fail(fmt::format("cannot read the sudog at {:#x} in the channel's {} queue, or its goroutine", sg, what));
      return false;
    }
    out.push_back(static_cast<int64_t>(*goid));
    sg = *next;
  }
  return true;
}

}  // namespace

void ValueReader::readChan(Value& v, const GoType& t, uint64_t hchan, const Limits& limits, int depth) {
  // Copied: reading the elements may decode types, which moves `t`.
  const TypeId elem = t.elem, impl = t.impl;
  if (!impl) {
    v.error = t.die ? fmt::format("DWARF has no runtime struct for {}", v.typeName)
                    : fmt::format("not read: {} is typed by its runtime type descriptor, and only DWARF describes "
                                  "the runtime's channel struct", v.typeName);
    return;
  }
  if (!elem) {
    v.error = fmt::format("DWARF gives {} no element type", v.typeName);
    return;
  }
  ChanReader(*this, v, elem, limits, depth).read(impl, hchan);
}

}  // namespace goinspect
