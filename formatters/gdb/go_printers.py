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
Maps' entries and channels' buffered elements and queued goroutines are read by the
goinspect engine (its Session.contents: the decoders go print uses, engine/values), so
these printers need go-gdb.py's engine module; GDB prints each entry and element itself.

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

import re

import gdb
import gdb.printing

_NAME = "goinspect-go"

# Sanity bounds against corrupt or half-written structures. Maps' and channels' contents
# are read by the goinspect engine, with its own bounds (engine/bounds.h).
_MAX_LEN = 1 << 40          # string/slice length
_MAX_ENTRIES = 1 << 20      # map entries or channel elements asked of the engine at most
_SHOW_WAITERS = 20          # goroutine ids shown per wait queue


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
# Dynamic types: the goinspect engine decodes the type descriptor (engine/values).


_KIND_PTR = 22

_cache = {}


def clear_caches(*_):
    _cache.clear()


def _engine():
    """The goinspect engine's session over the selected inferior (go-gdb.py loads it)."""
    try:
        import goinspect_gdb
    except ImportError:
        raise GoError("the goinspect engine is not loaded (source go-gdb.py)")
    return goinspect_gdb.session()


def _lookup(name, size):
    """The gdb type DWARF names `name` (a struct's as "struct name" too), of `size` bytes."""
    for spelled in (name, "struct " + name):
        try:
            t = gdb.lookup_type(spelled)
        except gdb.error:
            continue
        if size is None or t.strip_typedefs().sizeof == size:
            return t
    return None


class DynType:
    """An interface's dynamic type, from its type descriptor at addr, as the engine reads it:
    its name (as DWARF spells it), kind, size, whether the interface's data word holds the
    value itself (direct), and for a pointer its element's (name, kind, size)."""

    def __init__(self, addr):
        r = _engine().dynamic_type(addr)
        if r is None:
            raise GoError("0x%x is not a Go type descriptor" % addr)
        self.name, self.kind, self.size, self.direct, self.elem = r
        # As reflect (and the printers) show it: package paths cut to their last element.
        self.shown = re.sub(r"[\w.\-]+/", "", self.name)
        self._gdb_type = False

    def gdb_type(self):
        if self._gdb_type is False:
            self._gdb_type = self._find_gdb_type()
        return self._gdb_type

    def _find_gdb_type(self):
        if self.kind == _KIND_PTR:
            if self.elem is None:
                return None
            name, kind, size = self.elem
            et = _lookup(name, size) or _basic_type(kind, size)
            return et.pointer() if et is not None else None
        return _lookup(self.name, self.size) or _basic_type(self.kind, self.size)


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
        r = DynType(addr)
        _cache[key] = r
    return r


def iface_rtype(val):
    """The dynamic type (DynType) of an interface value, or None for a nil interface."""
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
    """(DynType, gdb.Value of the dynamic value or None when its type is not in DWARF);
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
        raise GoError("nil data word for a %s" % rt.shown)
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


def _engine_contents(val):
    """(len, cap, closed, senders, receivers, [(key address, value address), ...]) of the map or
    channel val, read by the goinspect engine's decoders (the same as go print's), up to
    GDB's `set print elements`."""
    try:
        import goinspect_gdb
    except ImportError:
        raise GoError("the goinspect engine is not loaded (source go-gdb.py)")
    limit = gdb.parameter("print elements")
    limit = _MAX_ENTRIES if not limit or limit > _MAX_ENTRIES else int(limit)
    err, n, cap, closed, senders, receivers, slots = goinspect_gdb.session().contents(
        str(val.type), int(val), limit)
    if err:
        raise GoError(err)
    return n, cap, closed, senders, receivers, slots


def _at(addr, t):
    """The value of type t at addr (the engine's), or an error text."""
    if addr is None:
        return _err("unreadable")
    return gdb.Value(addr).cast(t.pointer()).dereference()


class MapPrinter:
    def __init__(self, val):
        self.val = val
        self.name = str(val.type)

    def display_hint(self):
        return "map"

    def to_string(self):
        return self.name

    def _slot_types(self):
        """The key and value types, from the map's DWARF structs (the linker's bucket<K,V>,
        or group and slot types of swiss maps): a slot of a key or value over 128 bytes
        holds a pointer to it."""
        kname, vname = _map_type_args(self.val.type)
        m = self.val.dereference()
        if "buckets" in _fields(m.type):
            bt = m["buckets"].type.target()
            ktype, vtype = bt["keys"].type.target(), bt["values"].type.target()
        else:
            table_t = m["dirPtr"].type.target().target()
            groups_t = table_t.strip_typedefs()["groups"].type
            group_t = groups_t.strip_typedefs()["data"].type.target().strip_typedefs()
            if "keys" in _fields(group_t):
                ktype = group_t["keys"].type.strip_typedefs().target()
                vtype = group_t["elems"].type.strip_typedefs().target()
            else:
                slot_t = group_t["slots"].type.strip_typedefs().target().strip_typedefs()
                ktype, vtype = slot_t["key"].type, slot_t["elem"].type
        if _indirect(ktype, kname):
            ktype = ktype.strip_typedefs().target()
        if _indirect(vtype, vname):
            vtype = vtype.strip_typedefs().target()
        return ktype, vtype

    def children(self):
        ktype, vtype = self._slot_types()
        _, _, _, _, _, slots = _engine_contents(self.val)
        for i, (k, v) in enumerate(slots):
            yield "[%d]" % (2 * i), _at(k, ktype)
            yield "[%d]" % (2 * i + 1), _at(v, vtype)


class ChanPrinter:
    def __init__(self, val):
        self.val = val

    def display_hint(self):
        return "array"

    def _elem_type(self):
        sudog = self.val.dereference()["recvq"]["first"].type.target()
        return sudog.strip_typedefs()["elem"].type.target()

    def to_string(self):
        try:
            n, cap, closed, senders, receivers, _ = _engine_contents(self.val)
            parts = ["len %d" % n, "cap %d" % (cap or 0)]
            if closed:
                parts.append("closed")
            for what, ids in (("senders", senders), ("receivers", receivers)):
                if ids:
                    shown = [str(i) for i in ids[:_SHOW_WAITERS]]
                    if len(ids) > _SHOW_WAITERS:
                        shown.append("(%d more)" % (len(ids) - _SHOW_WAITERS))
                    parts.append("%s: %s" % (what, " ".join(shown)))
            return "(%s) %s" % (", ".join(parts), self.val.type)
        except Exception as e:  # noqa: BLE001
            return "%s %s" % (_err(e), self.val.type)

    def children(self):
        et = self._elem_type()
        _, _, _, _, _, slots = _engine_contents(self.val)
        for i, (_, e) in enumerate(slots):
            yield "[%d]" % i, _at(e, et)


class IfacePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            rt, v = iface_value(self.val)
            if rt is None:
                return "nil"
            if v is None:
                return "(%s) %s" % (rt.shown, _hex(self.val["data"]))
            text = v.format_string()
            # A slice, map or channel's rendering starts with its type: said once.
            if text == rt.name:
                text = "{}"
            elif text.startswith(rt.name + " = "):
                text = text[len(rt.name) + 3:]
            return "(%s) %s" % (rt.shown, text)
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
        raise gdb.GdbError("$dtype: type %s is not in the debug info" % rt.shown)
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
