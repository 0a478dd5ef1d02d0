"""GDB pretty-printers and convenience functions for Go values (goinspect).

Printers for string, slice, map (the classic hmap layout of Go 1.21-1.23 and of
GOEXPERIMENT=noswissmap, and the swiss layout of Go 1.24+), channel, interface (any,
error and every other interface: runtime.eface / runtime.iface), on every Go release
1.21-1.27; arrays and structs print through gdb, their elements and fields through these.
Convenience functions $len(x), $cap(x) and $dtype(x).

Everything is found by the shape of the types the Go linker writes into DWARF, never by
the Go version: a map is a pointer to a struct with `buckets` (classic) or `dirPtr`
(swiss); a channel a pointer to a struct with `qcount`; an interface a struct of `tab` or
`_type` and `data`. A stripped binary (-ldflags=-s -w) has no DWARF: nothing to match.

Renderings (with `set print pretty off`):
    "abc"                                   string
    []string = {"a", "b"}                   slice (nil: nil)
    map[string]int = {["a"] = 1}            map (nil: nil)
    (len 2, cap 10) chan int = {99, 11}     channel: buffered values in receive order;
        (len 0, cap 0, closed, senders: 7 8, receivers: 9) chan int = {}
                                            closed, goroutines waiting (queue order)
    (main.point) {X = 1, Y = 2}             interface: (dynamic type) value (nil: nil)
Every walk is bounded (`set print elements` stops the element iteration; corrupt sizes,
counts and cycles are detected) and every failure prints inline as <error: ...>.

Entry point: register(objfile) (objfile None: globally).
"""

import gdb
import gdb.printing

_NAME = "goinspect-go"

# Sanity bounds against corrupt or half-written structures.
_MAX_LEN = 1 << 40          # string/slice length
_MAX_CHAN = 1 << 32         # channel capacity
_MAX_WAITERS = 100000       # sudogs followed in one wait queue
_SHOW_WAITERS = 20          # goroutine ids shown per wait queue
_MAX_OVERFLOW = 1 << 16     # overflow buckets followed from one bucket
_MAX_B = 40                 # classic map: log2 of the bucket count
_MAX_DIR = 1 << 24          # swiss map: directory length
_MAX_GROUPS = 1 << 24       # swiss map: groups in one table

_MIN_TOPHASH = 5            # classic map: tophash values below are empty/evacuated marks
_SLOTS = 8                  # classic bucketCnt / swiss group slots


class GoError(Exception):
    pass


def _err(e):
    msg = str(e) or type(e).__name__
    return "<error: %s>" % msg


def _fields(t):
    try:
        return [f.name for f in t.strip_typedefs().fields()]
    except (gdb.error, TypeError):
        return []


def _target_fields(t):
    """Field names of the struct a pointer type points to ([] if it is not one)."""
    try:
        s = t.strip_typedefs()
        if s.code != gdb.TYPE_CODE_PTR:
            return []
        return _fields(s.target())
    except gdb.error:
        return []


def _ptrsize():
    return gdb.lookup_type("void").pointer().sizeof


def _read(addr, size):
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def _u(addr, size):
    return int.from_bytes(_read(addr, size), "little")


# ---------------------------------------------------------------------------------------
# Classification by shape


def _strip_param(val):
    # Old gdb/Go spelled some parameters' types as typedefs named .param...
    t = val.type
    if t.code == gdb.TYPE_CODE_TYPEDEF and str(t).startswith(".param"):
        return val.cast(t.target())
    return val


def _is_ptr_to_u8(t):
    try:
        s = t.strip_typedefs()
        return s.code == gdb.TYPE_CODE_PTR and s.target().strip_typedefs().sizeof == 1
    except gdb.error:
        return False


_CLASSIC_MAP = {"count", "B", "buckets", "oldbuckets"}
_SWISS_MAP = {"used", "dirPtr", "dirLen"}


def kind_of(val):
    """'string', 'slice', 'map', 'chan', 'iface' or None, from the value's type shape
    (named types too: type S string, type L []int, type M map[K]V)."""
    t = val.type
    code = t.strip_typedefs().code
    if code == gdb.TYPE_CODE_STRUCT:
        f = _fields(t)
        if len(f) == 2:
            if f == ["str", "len"] and _is_ptr_to_u8(t.strip_typedefs()["str"].type):
                return "string"
            if f[1] == "data" and f[0] in ("tab", "_type"):
                return "iface"
        elif len(f) == 3 and f == ["array", "len", "cap"]:
            if t.strip_typedefs()["array"].type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
                return "slice"
        return None
    if code == gdb.TYPE_CODE_PTR:
        f = set(_target_fields(t))
        if _CLASSIC_MAP <= f or _SWISS_MAP <= f:
            return "map"
        if {"qcount", "dataqsiz", "recvq", "sendq"} <= f:
            return "chan"
    return None


# ---------------------------------------------------------------------------------------
# Type descriptors (internal/abi.Type) and their names


_FIELD_ALTS = {
    "size": ("Size_", "size"),
    "ptrbytes": ("PtrBytes", "ptrdata"),
    "tflag": ("TFlag", "tflag"),
    "kind": ("Kind_", "kind"),
    "str": ("Str", "str"),
}
_TFLAG_UNCOMMON = 1
_TFLAG_EXTRA_STAR = 2
_KIND_MASK = 0x1F
_KIND_PTR = 22
_KIND_STRUCT = 25
_KIND_NAMES = {
    17: "ArrayType", 18: "ChanType", 19: "FuncType", 20: "InterfaceType", 21: "MapType",
    22: "PtrType", 23: "SliceType", 25: "StructType",
}

_cache = {}


def clear_caches(*_):
    _cache.clear()


def _abi_type():
    t = _cache.get("abi.Type")
    if t is None:
        for n in ("internal/abi.Type", "runtime._type"):
            try:
                t = gdb.lookup_type(n)
                break
            except gdb.error:
                continue
        if t is None:
            raise GoError("no type internal/abi.Type in the debug info")
        _cache["abi.Type"] = t
    return t


def _tfield(tv, key):
    for n in _FIELD_ALTS[key]:
        try:
            return int(tv[n])
        except gdb.error:
            continue
    raise GoError("abi.Type has no field " + _FIELD_ALTS[key][0])


def _modules():
    mods = _cache.get("modules")
    if mods is None:
        mods = []
        try:
            md = gdb.parse_and_eval("'runtime.firstmoduledata'")
        except gdb.error:
            raise GoError("no runtime.firstmoduledata")
        m = md.address
        seen = set()
        while m is not None and int(m) != 0 and int(m) not in seen and len(mods) < 1000:
            seen.add(int(m))
            d = m.dereference()
            mods.append((int(d["types"]), int(d["etypes"])))
            m = d["next"]
        _cache["modules"] = mods
    return mods


def _types_base(addr):
    for lo, hi in _modules():
        if lo <= addr < hi:
            return lo
    raise GoError("type descriptor 0x%x is in no module" % addr)


def _read_name(addr):
    """An abi.Name at addr: flags byte, varint length, bytes."""
    data = _read(addr, 11)
    n, shift, i = 0, 0, 1
    while True:
        b = data[i]
        n |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            break
        shift += 7
        if i >= len(data):
            raise GoError("bad name at 0x%x" % addr)
    if n > 1 << 16:
        raise GoError("bad name length %d at 0x%x" % (n, addr))
    return _read(addr + i, n).decode("utf-8", "replace")


class RType:
    """What the printers need of one type descriptor."""

    def __init__(self, addr):
        self.addr = addr
        tv = gdb.Value(addr).cast(_abi_type().pointer()).dereference()
        self.size = _tfield(tv, "size")
        self.ptrbytes = _tfield(tv, "ptrbytes")
        self.tflag = _tfield(tv, "tflag")
        self.kind = _tfield(tv, "kind") & _KIND_MASK
        off = _tfield(tv, "str")
        base = _types_base(addr)
        name = _read_name(base + off)
        if self.tflag & _TFLAG_EXTRA_STAR and name.startswith("*"):
            name = name[1:]
        self.name = name
        self.base = base
        self._gdb_type = False

    @property
    def direct(self):
        # Stored in the interface's data word itself: abi.TFlagDirectIface (1.26+) and
        # the older KindDirectIface mean the same, Size_ == PtrBytes == pointer size.
        ps = _ptrsize()
        return self.size == ps and self.ptrbytes == ps

    def pkgpath(self):
        """The package path from the uncommon type, or None."""
        if not self.tflag & _TFLAG_UNCOMMON:
            return None
        kname = _KIND_NAMES.get(self.kind)
        size = _abi_type().sizeof
        if kname:
            try:
                size = gdb.lookup_type("internal/abi." + kname).sizeof
            except gdb.error:
                return None
        off = _u(self.addr + size, 4)
        if off == 0:
            return None
        return _read_name(self.base + off)

    def elem(self):
        """For a pointer type: the element's RType."""
        try:
            t = gdb.lookup_type("internal/abi.PtrType")
            names = _fields(t)
            off = t["Elem"].bitpos // 8 if "Elem" in names else _abi_type().sizeof
        except gdb.error:
            off = _abi_type().sizeof
        return rtype(_u(self.addr + off, _ptrsize()))

    def gdb_type(self):
        if self._gdb_type is False:
            self._gdb_type = self._find_gdb_type()
        return self._gdb_type

    def _find_gdb_type(self):
        if self.kind == _KIND_PTR:
            try:
                et = self.elem().gdb_type()
            except (gdb.error, GoError):
                et = None
            return et.pointer() if et is not None else None
        cands = [self.name]
        pp = None
        try:
            pp = self.pkgpath()
        except (gdb.error, GoError):
            pass
        if pp and "." in self.name:
            full = pp + "." + self.name.split(".", 1)[1]
            if full != self.name:
                cands.append(full)
        for n in cands:
            for spelled in (n, "struct " + n):
                try:
                    t = gdb.lookup_type(spelled)
                except gdb.error:
                    continue
                if t.strip_typedefs().sizeof == self.size:
                    return t
        return _basic_type(self.kind, self.size)


# Unnamed basic kinds: gdb.lookup_type("int") answers in the current language (C's int is
# 4 bytes, Go's 8), so fall back to the architecture's types of the right size.
_SIGNED = {2, 3, 4, 5, 6}
_UNSIGNED = {1, 7, 8, 9, 10, 11, 12, 26}
_FLOATS = {13: ("float32", "float"), 14: ("float64", "double")}


_GO_BASIC = {1: "bool", 2: "int", 3: "int8", 4: "int16", 5: "int32", 6: "int64", 7: "uint",
             8: "uint8", 9: "uint16", 10: "uint32", 11: "uint64", 12: "uintptr",
             13: "float32", 14: "float64", 15: "complex64", 16: "complex128"}


def _basic_type(kind, size):
    """The Go basic type of kind: looked up with gdb's language set to Go for the lookup
    (restored after), else the architecture's integer or C's float type of that size."""
    name = _GO_BASIC.get(kind)
    if name:
        try:
            lang = gdb.parameter("language")
            try:
                if lang != "go":
                    gdb.execute("set language go", to_string=True)
                t = gdb.lookup_type(name)
                if t.sizeof == size:
                    return t
            finally:
                if lang != "go":
                    gdb.execute("set language %s" % lang, to_string=True)
        except gdb.error:
            pass
    names = _FLOATS.get(kind)
    if names:
        for n in names:
            try:
                t = gdb.lookup_type(n)
            except gdb.error:
                continue
            if t.sizeof == size:
                return t
        return None
    if kind == 1:
        try:
            t = gdb.lookup_type("bool")
            if t.sizeof == size:
                return t
        except gdb.error:
            pass
    if kind in _SIGNED or kind in _UNSIGNED:
        try:
            arch = gdb.selected_inferior().architecture()
            return arch.integer_type(size * 8, kind in _SIGNED)
        except (gdb.error, AttributeError, ValueError):
            return None
    return None


def rtype(addr):
    key = ("rtype", addr)
    r = _cache.get(key)
    if r is None:
        r = RType(addr)
        _cache[key] = r
    return r


def iface_rtype(val):
    """The dynamic type's RType of an interface value, or None for a nil interface."""
    f = _fields(val.type)
    if f[0] == "_type":
        p = int(val["_type"])
    else:
        tab = val["tab"]
        if int(tab) == 0:
            return None
        tf = _fields(tab.type.target())
        fld = "Type" if "Type" in tf else "_type"
        p = int(tab[fld])
    if p == 0:
        return None
    return rtype(p)


def iface_value(val):
    """(RType, gdb.Value of the dynamic value or None when its type is not in DWARF);
    (None, None) for a nil interface."""
    rt = iface_rtype(val)
    if rt is None:
        return None, None
    t = rt.gdb_type()
    if t is None:
        return rt, None
    data = val["data"]
    if rt.direct:
        raw = int(data).to_bytes(_ptrsize(), "little")
        return rt, gdb.Value(raw, t)
    if int(data) == 0:
        raise GoError("nil data word for a %s" % rt.name)
    return rt, data.cast(t.pointer()).dereference()


# ---------------------------------------------------------------------------------------
# Printers


class NilPrinter:
    def __init__(self, text="nil"):
        self.text = text

    def to_string(self):
        return self.text


class ErrorPrinter(NilPrinter):
    pass


class StringPrinter:
    def __init__(self, val):
        self.val = val

    def display_hint(self):
        return "string"

    def to_string(self):
        try:
            n = int(self.val["len"])
            p = self.val["str"]
            if n == 0:
                return ""
            if n < 0 or n > _MAX_LEN:
                return _err("bad string length %d" % n)
            if int(p) == 0:
                return _err("nil string data with length %d" % n)
            return p.lazy_string(encoding="utf-8", length=n)
        except Exception as e:  # noqa: BLE001 - never a traceback in the user's session
            return _err(e)


def _check_slice(val):
    n = int(val["len"])
    c = int(val["cap"])
    if n < 0 or c < 0 or n > c or c > _MAX_LEN:
        raise GoError("bad slice len %d cap %d" % (n, c))
    if n > 0 and int(val["array"]) == 0:
        raise GoError("nil slice data with length %d" % n)
    return n, c


class SlicePrinter:
    def __init__(self, val):
        self.val = val

    def display_hint(self):
        return "array"

    def to_string(self):
        t = str(self.val.type)
        return t[len("struct "):] if t.startswith("struct ") else t

    def children(self):
        n, _ = _check_slice(self.val)
        p = self.val["array"]
        for i in range(n):
            yield "[%d]" % i, (p + i).dereference()


def _split_args(s):
    """'K,V' at bracket depth 0 -> (K, V)."""
    depth = 0
    for i, c in enumerate(s):
        if c in "[(<{":
            depth += 1
        elif c in "])>}":
            depth -= 1
        elif c == "," and depth == 0:
            return s[:i].strip(), s[i + 1:].strip()
    return None, None


def _map_type_args(t):
    """The key and value type names of a map type: from its Go name map[K]V, else (a
    named map type) from the linker's struct name hash<K,V> / map<K,V>."""
    name = str(t)
    if name.startswith("map["):
        depth = 0
        for i in range(3, len(name)):
            c = name[i]
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth == 0:
                    return name[4:i], name[i + 1:]
    try:
        sn = str(t.strip_typedefs().target())
    except gdb.error:
        return None, None
    if sn.startswith("struct "):
        sn = sn[len("struct "):]
    i = sn.find("<")
    if i < 0 or not sn.endswith(">"):
        return None, None
    return _split_args(sn[i + 1:-1])


def _indirect(field_type, go_name):
    """Whether a map's key/value slot of field_type holds a pointer to go_name: the
    linker makes the slot *K for keys and values bigger than 128 bytes."""
    if go_name is None:
        return False
    fn = str(field_type)
    if fn == go_name:
        return False
    s = field_type.strip_typedefs()
    if s.code != gdb.TYPE_CODE_PTR:
        return False
    return fn == "*" + go_name or str(s.target()) in (go_name, "struct " + go_name)


class MapPrinter:
    def __init__(self, val):
        self.val = val
        self.name = str(val.type)

    def display_hint(self):
        return "map"

    def to_string(self):
        return self.name

    def children(self):
        kname, vname = _map_type_args(self.val.type)
        m = self.val.dereference()
        f = _fields(m.type)
        if "buckets" in f:
            it = self._classic(m, kname, vname)
        else:
            it = self._swiss(m, kname, vname)
        for i, (k, v) in enumerate(it):
            yield "[%d]" % (2 * i), k
            yield "[%d]" % (2 * i + 1), v

    # Classic hmap: 2^B buckets of 8 slots plus overflow chains; while growing, also
    # the old buckets. A slot is full iff its tophash >= minTopHash: evacuated slots of
    # old buckets are marked (2, 3, 4), so the union of both arrays holds each entry once.
    def _classic(self, m, kname, vname):
        count = int(m["count"])
        B = int(m["B"])
        if count < 0 or B > _MAX_B:
            raise GoError("bad map header: count %d B %d" % (count, B))
        if count == 0:
            return
        bt = m["buckets"].type.target()
        bf = _fields(bt)
        if not {"tophash", "keys", "values", "overflow"} <= set(bf):
            raise GoError("unknown bucket layout %s" % bf)
        kind = _indirect(bt["keys"].type.target(), kname)
        vind = _indirect(bt["values"].type.target(), vname)
        toff = bt["tophash"].bitpos // 8
        found = 0
        seen = set()
        arrays = [(m["buckets"], 1 << B)]
        old = m["oldbuckets"]
        if int(old) != 0 and B > 0:
            arrays.append((old, 1 << (B - 1)))
        for base, nb in arrays:
            if int(base) == 0:
                continue
            for i in range(nb):
                bp = base + i
                chain = 0
                while int(bp) != 0:
                    a = int(bp)
                    if a in seen:
                        raise GoError("map bucket cycle at 0x%x" % a)
                    seen.add(a)
                    chain += 1
                    if chain > _MAX_OVERFLOW:
                        raise GoError("overflow chain too long at 0x%x" % a)
                    top = _read(a + toff, _SLOTS)
                    b = None
                    for s in range(_SLOTS):
                        if top[s] < _MIN_TOPHASH:
                            continue
                        if b is None:
                            b = bp.dereference()
                        k = b["keys"][s]
                        v = b["values"][s]
                        if kind:
                            k = k.dereference()
                        if vind:
                            v = v.dereference()
                        yield k, v
                        found += 1
                        if found >= count:
                            return
                    bp = (b if b is not None else bp.dereference())["overflow"]
                    if bp.type.strip_typedefs().code != gdb.TYPE_CODE_PTR:
                        break

    # Swiss map: dirLen == 0: dirPtr is one group; else a directory of dirLen table
    # pointers (a table appears 2^(globalDepth-localDepth) times), each table an array of
    # lengthMask+1 groups. A slot is full iff its control byte has the high bit clear.
    def _swiss(self, m, kname, vname):
        used = int(m["used"])
        dirlen = int(m["dirLen"])
        if used == 0:
            return
        if dirlen < 0 or dirlen > _MAX_DIR:
            raise GoError("bad map directory length %d" % dirlen)
        table_t = m["dirPtr"].type.target().target()
        groups_t = table_t.strip_typedefs()["groups"].type
        group_ptr_t = groups_t.strip_typedefs()["data"].type
        group_t = group_ptr_t.target().strip_typedefs()
        gf = _fields(group_t)
        split = "keys" in gf
        if split:
            ktype = group_t["keys"].type.strip_typedefs().target()
            vtype = group_t["elems"].type.strip_typedefs().target()
        else:
            slot_t = group_t["slots"].type.strip_typedefs().target().strip_typedefs()
            ktype = slot_t["key"].type
            vtype = slot_t["elem"].type
        kind = _indirect(ktype, kname)
        vind = _indirect(vtype, vname)
        coff = group_t["ctrl"].bitpos // 8
        found = [0]

        def group_slots(gp):
            ctrl = _read(int(gp) + coff, _SLOTS)
            g = None
            for s in range(_SLOTS):
                if ctrl[s] & 0x80:
                    continue
                if g is None:
                    g = gp.dereference()
                if split:
                    k, v = g["keys"][s], g["elems"][s]
                else:
                    k, v = g["slots"][s]["key"], g["slots"][s]["elem"]
                if kind:
                    k = k.dereference()
                if vind:
                    v = v.dereference()
                yield k, v
                found[0] += 1
                if found[0] >= used:
                    return

        if dirlen == 0:
            if int(m["dirPtr"]) == 0:
                raise GoError("nil group in a map of %d entries" % used)
            yield from group_slots(m["dirPtr"].cast(group_ptr_t))
            return
        ptr_t = table_t.pointer()
        dirp = m["dirPtr"].cast(ptr_t.pointer())
        seen = set()
        for d in range(dirlen):
            tp = (dirp + d).dereference()
            if int(tp) == 0 or int(tp) in seen:
                continue
            seen.add(int(tp))
            t = tp.dereference()
            n = int(t["groups"]["lengthMask"]) + 1
            if n <= 0 or n > _MAX_GROUPS:
                raise GoError("bad table size %d" % n)
            data = t["groups"]["data"]
            for gi in range(n):
                if found[0] >= used:
                    return
                yield from group_slots(data + gi)
            if found[0] >= used:
                return


class ChanPrinter:
    def __init__(self, val):
        self.val = val

    def display_hint(self):
        return "array"

    def _elem_ptr_type(self):
        sudog = self.val.dereference()["recvq"]["first"].type.target()
        return sudog.strip_typedefs()["elem"].type

    def _check(self, c):
        q = int(c["qcount"])
        n = int(c["dataqsiz"])
        r = int(c["recvx"])
        if n < 0 or n > _MAX_CHAN or q < 0 or q > n or (n > 0 and not 0 <= r < n):
            raise GoError("bad channel: qcount %d dataqsiz %d recvx %d" % (q, n, r))
        return q, n, r

    def _waiters(self, q):
        ids = []
        s = q["first"]
        seen = set()
        while int(s) != 0:
            if int(s) in seen or len(seen) >= _MAX_WAITERS:
                ids.append("<cycle>")
                break
            seen.add(int(s))
            sd = s.dereference()
            g = sd["g"]
            ids.append(str(int(g.dereference()["goid"])) if int(g) != 0 else "?")
            s = sd["next"]
        if len(ids) > _SHOW_WAITERS:
            ids = ids[:_SHOW_WAITERS] + ["(%d more)" % (len(ids) - _SHOW_WAITERS)]
        return ids

    def to_string(self):
        try:
            c = self.val.dereference()
            q, n, _ = self._check(c)
            parts = ["len %d" % q, "cap %d" % n]
            if int(c["closed"]) != 0:
                parts.append("closed")
            for what, fld in (("senders", "sendq"), ("receivers", "recvq")):
                try:
                    ids = self._waiters(c[fld])
                except gdb.error as e:
                    ids = [_err(e)]
                if ids:
                    parts.append("%s: %s" % (what, " ".join(ids)))
            return "(%s) %s" % (", ".join(parts), self.val.type)
        except Exception as e:  # noqa: BLE001
            return "%s %s" % (_err(e), self.val.type)

    def children(self):
        c = self.val.dereference()
        q, n, r = self._check(c)
        if q == 0:
            return
        ep = c["buf"].cast(self._elem_ptr_type())
        for i in range(q):
            yield "[%d]" % i, (ep + (r + i) % n).dereference()


class IfacePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            rt, v = iface_value(self.val)
            if rt is None:
                return "nil"
            if v is None:
                return "(%s) %s" % (rt.name, _hex(self.val["data"]))
            text = v.format_string()
            # A slice, map or channel's rendering starts with its type: said once.
            if text == rt.name:
                text = "{}"
            elif text.startswith(rt.name + " = "):
                text = text[len(rt.name) + 3:]
            return "(%s) %s" % (rt.name, text)
        except Exception as e:  # noqa: BLE001
            return _err(e)


def _hex(v):
    return "0x%x" % int(v)


# ---------------------------------------------------------------------------------------
# Lookup and registration


class _Guarded:
    """Wraps a printer: to_string and children never raise into gdb (an error shows as
    <error: ...>, the children read so far are kept)."""

    def __init__(self, p):
        self.p = p
        if hasattr(p, "display_hint"):
            self.display_hint = p.display_hint
        if hasattr(p, "children"):
            self.children = self._children

    def to_string(self):
        try:
            return self.p.to_string()
        except Exception as e:  # noqa: BLE001
            return _err(e)

    def _children(self):
        hint = self.p.display_hint() if hasattr(self.p, "display_hint") else None
        n = 0
        try:
            for kv in self.p.children():
                n += 1
                yield kv
        except Exception as e:  # noqa: BLE001
            msg = _err(e)
            if hint == "map":
                if n % 2:  # a key without its value
                    yield "[%d]" % n, msg
                else:
                    yield "[%d]" % n, "<error>"
                    yield "[%d]" % (n + 1), msg
            else:
                yield "[%d]" % n, msg


def lookup(val):
    try:
        val = _strip_param(val)
        k = kind_of(val)
        if k is None:
            return None
        if k == "string":
            return _Guarded(StringPrinter(val))
        if k == "slice":
            if int(val["array"]) == 0 and int(val["len"]) == 0:
                return NilPrinter()
            return _Guarded(SlicePrinter(val))
        if k == "map":
            if int(val) == 0:
                return NilPrinter()
            return _Guarded(MapPrinter(val))
        if k == "chan":
            if int(val) == 0:
                return NilPrinter()
            return _Guarded(ChanPrinter(val))
        if k == "iface":
            return _Guarded(IfacePrinter(val))
    except Exception as e:  # noqa: BLE001
        return ErrorPrinter(_err(e))
    return None


class GoPrettyPrinter:
    """The gdb.printing-style top-level printer (name, enabled, subprinters)."""

    def __init__(self):
        self.name = _NAME
        self.enabled = True
        self.subprinters = []

    def __call__(self, val):
        return lookup(val)


# ---------------------------------------------------------------------------------------
# Convenience functions


def _arg(obj):
    return _strip_param(obj)


def go_len(obj):
    obj = _arg(obj)
    k = kind_of(obj)
    if k in ("string", "slice"):
        return int(obj["len"])
    if k == "map":
        if int(obj) == 0:
            return 0
        m = obj.dereference()
        return int(m["count"] if "count" in _fields(m.type) else m["used"])
    if k == "chan":
        return 0 if int(obj) == 0 else int(obj.dereference()["qcount"])
    t = obj.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY:
        lo, hi = t.range()
        return hi - lo + 1
    raise gdb.GdbError("$len: %s has no length" % obj.type)


def go_cap(obj):
    obj = _arg(obj)
    k = kind_of(obj)
    if k == "slice":
        return int(obj["cap"])
    if k == "chan":
        return 0 if int(obj) == 0 else int(obj.dereference()["dataqsiz"])
    t = obj.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY:
        lo, hi = t.range()
        return hi - lo + 1
    raise gdb.GdbError("$cap: %s has no capacity" % obj.type)


def go_dtype(obj):
    obj = _arg(obj)
    if kind_of(obj) != "iface":
        return obj
    rt, v = iface_value(obj)
    if rt is None:
        raise gdb.GdbError("$dtype: nil interface")
    if v is None:
        raise gdb.GdbError("$dtype: type %s is not in the debug info" % rt.name)
    return v


class _Func(gdb.Function):
    def __init__(self, name, fn, doc):
        self.__doc__ = doc
        super().__init__(name)
        self.fn = fn

    def invoke(self, obj):
        try:
            r = self.fn(obj)
        except gdb.GdbError:
            raise
        except Exception as e:  # noqa: BLE001
            raise gdb.GdbError("$%s: %s" % (self.name_, e))
        return r if isinstance(r, gdb.Value) else gdb.Value(r)


def register(objfile=None):
    """Register the printers (on objfile, or globally for None) and $len, $cap, $dtype."""
    pp = GoPrettyPrinter()
    if objfile is None:
        gdb.printing.register_pretty_printer(None, pp, replace=True)
    else:
        gdb.printing.register_pretty_printer(objfile, pp, replace=True)
    for name, fn, doc in (
            ("len", go_len, "$len(x): length of a Go string, slice, map, channel or array."),
            ("cap", go_cap, "$cap(x): capacity of a Go slice, channel or array."),
            ("dtype", go_dtype, "$dtype(x): the dynamic value of a Go interface value.")):
        f = _Func(name, fn, doc)
        f.name_ = name
    for ev in ("stop", "exited", "new_objfile", "cont"):
        reg = getattr(gdb.events, ev, None)
        if reg is not None:
            try:
                reg.disconnect(clear_caches)
            except Exception:  # noqa: BLE001
                pass
            reg.connect(clear_caches)
