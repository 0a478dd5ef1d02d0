"""The `go` commands in GDB, on the goinspect engine (the _goinspect_gdb extension module).

Loaded by go-gdb.py (`source build/gdb-scripts/go-gdb.py`). Three parts:

  GdbTarget        the engine's Target on GDB's Python API: inferior memory, each thread's
                   innermost registers (read, never written), symbols, the executable, the
                   PIE load bias, a stop counter and, for a live local process, the clock.
  go commands      a `go` prefix command and one subcommand per entry of the engine's command
                   table: the words go to the engine, its text is printed as it is, its
                   error becomes a gdb.GdbError. No analysis here.
  goroutine frames `go goroutine ID` selects a goroutine for GDB's own `bt`, `frame N`,
                   `info frame`, `info locals`: an unwinder turns the selected thread's
                   innermost frame into the goroutine's innermost frame and walks the
                   goroutine's physical frames as the engine unwound them; a frame filter
                   hides the thread's own frame 0 while a goroutine is selected.

Nothing here may crash or hang GDB: every callback catches everything, every loop is bounded.
"""

import bisect
import json
import os
import re
import struct
import time

import gdb

try:
    import gdb.unwinder
    from gdb.unwinder import Unwinder
except ImportError:  # a GDB without Python unwinders: the commands still work
    Unwinder = object

import _goinspect_gdb

MAX_THREADS = 100000
MAX_FRAMES = 100000
# The general registers in DWARF's numbering for amd64 (engine/target/target.h).
GPR_NAMES = ("rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
DEBUG = bool(os.environ.get("GOINSPECT_GDB_DEBUG"))


def _register(frame, name):
    """A register of the frame as an unsigned 64-bit value, or None."""
    try:
        return int(frame.read_register(name)) & 0xFFFFFFFFFFFFFFFF
    except Exception:
        return None


def _debug(where, e):
    if DEBUG:
        try:
            gdb.write("goinspect %s: %s: %s\n" % (where, type(e).__name__, e), gdb.STDERR)
        except Exception:
            pass


# ---------------------------------------------------------------------------------------
# Stop counter: changes whenever the inferior may have changed.

_generation = [1]


def _bump(*_args):
    _generation[0] += 1


def _on_cont(*_args):
    _bump()
    _selection.clear(invalidate=False)


for _ev, _fn in (("cont", _on_cont), ("stop", _bump), ("exited", _on_cont),
                 ("new_objfile", _bump), ("clear_objfiles", _bump),
                 ("memory_changed", _bump), ("register_changed", _bump),
                 ("inferior_call", _bump), ("new_inferior", _bump)):
    _registry = getattr(gdb.events, _ev, None)
    if _registry is not None:
        try:
            _registry.connect(_fn)
        except Exception:
            pass


# ---------------------------------------------------------------------------------------
# The engine's Target.


def _elf_entry(path):
    """e_entry and e_type of an ELF64 file, or (None, None)."""
    try:
        with open(path, "rb") as f:
            hdr = f.read(64)
        if len(hdr) < 64 or hdr[:4] != b"\x7fELF" or hdr[4] != 2:
            return None, None
        e_type = struct.unpack_from("<H", hdr, 16)[0]
        return struct.unpack_from("<Q", hdr, 24)[0], e_type
    except Exception:
        return None, None


def _core_file():
    """The core file gdb has loaded ('core-file CORE'), or None."""
    try:
        text = gdb.execute("info files", to_string=True)
    except Exception:
        return None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Local core dump file:" and i + 1 < len(lines):
            m = re.match(r"\s*`(.*)', file type", lines[i + 1])
            return m.group(1) if m else None
    return None


def _core_segments():
    """What a loaded core holds, as engine/target/core_target.cc reads it: its PT_LOAD
    segments (vaddr, filesz, offset) sorted by address, their addresses and the file's
    size; None when gdb has no core loaded (a live process: every read goes to gdb). gdb answers reads the core
    cannot (a segment cut short, program headers that are not) from the executable's
    sections: .data unrelocated, .bss as zeros, not what the process held; a core cut
    short would read as a runtime with no goroutines. The engine falls back to the
    executable's file itself where that is right, so this target answers only from the
    core's bytes, and GDB reads a damaged core as LLDB and the CLI do."""
    path = _core_file()
    if not path:
        return None
    segs = []
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(0)
            eh = f.read(64)
            if len(eh) < 64 or eh[:4] != b"\x7fELF":
                return [], [], size
            phoff = struct.unpack_from("<Q", eh, 32)[0]
            phnum = struct.unpack_from("<H", eh, 56)[0]
            if phoff + 56 * phnum > size:
                return [], [], size
            f.seek(phoff)
            table = f.read(56 * phnum)
        for i in range(phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * 56)
            if p_type == 1:  # PT_LOAD
                segs.append((p_vaddr, p_filesz, p_offset))
    except Exception:
        return [], [], 0
    segs.sort(key=lambda s: s[0])
    return segs, [s[0] for s in segs], size


def _core_has(core, addr, size):
    """Whether the core's own bytes cover [addr, addr + size): CoreTarget::readMemory's walk."""
    segs, starts, file_size = core
    while size > 0:
        i = bisect.bisect_right(starts, addr)
        if i == 0:
            return False
        vaddr, filesz, offset = segs[i - 1]
        if addr >= vaddr + filesz:
            return False
        off = addr - vaddr
        take = min(size, filesz - off)
        if offset > file_size or off + take > file_size - offset:
            return False
        addr += take
        size -= take
    return True


class GdbTarget:
    """goinspect::Target on gdb's API. Every method returns a plain value or None and never
    raises (the C++ side would turn an exception into a failed read anyway)."""

    def __init__(self, inferior):
        self.inferior = inferior
        self._bias = None
        self._core = False  # not looked at yet; then None (no core) or _core_segments()
        self.index_by_num = {}  # gdb thread number -> the index LLDB would give

    # Memory -----------------------------------------------------------------------------
    def read_memory(self, addr, size):
        try:
            if addr < 0 or size < 0 or addr + size > 1 << 64:
                return None
            if self._core is False:
                self._core = _core_segments()
            if self._core is not None and not _core_has(self._core, addr, size):
                return None
            return bytes(self.inferior.read_memory(addr, size))
        except Exception:
            return None

    # Threads ----------------------------------------------------------------------------
    def threads(self):
        out = []
        try:
            threads = list(self.inferior.threads())[:MAX_THREADS]
        except Exception:
            return out
        # LLDB numbers a core's threads in the order of its NT_PRSTATUS notes and a live
        # process's in the order it found them; gdb lists the newest first. Sort by gdb's
        # own number (the order gdb added them), which is that same order.
        threads.sort(key=lambda t: t.num)
        try:
            saved_thread = gdb.selected_thread()
        except Exception:
            saved_thread = None
        saved_frame = None
        try:
            saved_frame = gdb.selected_frame()
        except Exception:
            pass
        try:
            for t in threads:
                try:
                    if not t.is_valid():
                        continue
                    tid = t.ptid[1] or t.ptid[0]
                    regs = (None, None, None, None)
                    gprs = ()
                    try:
                        t.switch()
                        f = gdb.newest_frame()
                        pc = int(f.read_register("rip")) & 0xFFFFFFFFFFFFFFFF
                        sp = int(f.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
                        fp = int(f.read_register("rbp")) & 0xFFFFFFFFFFFFFFFF
                        try:
                            fs = int(f.read_register("fs_base")) & 0xFFFFFFFFFFFFFFFF
                        except Exception:
                            fs = None
                        regs = (pc, sp, fp, fs)
                        gprs = tuple(_register(f, n) for n in GPR_NAMES)
                    except Exception:
                        pass
                    selected = saved_thread is not None and t.ptid == saved_thread.ptid
                    out.append((tid, t.num) + regs + (selected, gprs))
                except Exception:
                    continue
        finally:
            try:
                if saved_thread is not None and saved_thread.is_valid():
                    saved_thread.switch()
                if saved_frame is not None and saved_frame.is_valid():
                    saved_frame.select()
            except Exception:
                pass
        return out

    # Symbols and the executable ---------------------------------------------------------
    def lookup_symbol(self, name):
        try:
            sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
            if sym is not None:
                v = sym.value()
                a = v.address if v.address is not None else v
                return int(a) & 0xFFFFFFFFFFFFFFFF
        except Exception:
            pass
        if "'" in name:
            return None
        try:
            v = gdb.parse_and_eval("&'%s'" % name)
            return int(v) & 0xFFFFFFFFFFFFFFFF
        except Exception:
            return None

    def executable_path(self):
        try:
            p = self.inferior.progspace.filename
            if p:
                return p
        except Exception:
            pass
        try:
            return gdb.current_progspace().filename or ""
        except Exception:
            return ""

    def symbol_file(self):
        """The separate debug file GDB reads the executable's DWARF from (found by build ID
        or debuglink, or given with symbol-file/add-symbol-file), or ""."""
        try:
            exe = self.executable_path()
            for o in self.inferior.progspace.objfiles():
                owner = getattr(o, "owner", None)
                if owner is not None and owner.filename == exe and o.filename != exe:
                    return o.filename
        except Exception:
            pass
        return ""

    def debug_directories(self):
        """GDB's debug-file-directory (colon-separated), /usr/lib/debug by default."""
        try:
            return [d for d in str(gdb.parameter("debug-file-directory")).split(":") if d]
        except Exception:
            return ["/usr/lib/debug"]

    def load_bias(self):
        if self._bias is not None:
            return self._bias
        bias = 0
        try:
            path = self.executable_path()
            entry, e_type = _elf_entry(path)
            if entry is not None and e_type == 3:  # ET_DYN: position independent
                text = gdb.execute("info files", to_string=True)
                for line in text.splitlines():
                    line = line.strip()
                    if line.startswith("Entry point:"):
                        runtime = int(line.split(":", 1)[1].strip(), 16)
                        bias = (runtime - entry) & 0xFFFFFFFFFFFFFFFF
                        break
        except Exception:
            bias = 0
        self._bias = bias
        return bias

    # Time -------------------------------------------------------------------------------
    def stop_id(self):
        return _generation[0]

    def monotonic_now(self):
        try:
            if not self.inferior.pid or not self.inferior.is_valid():
                return None
            conn = getattr(self.inferior, "connection", None)
            if conn is None or getattr(conn, "type", None) != "native":
                return None
            return time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        except Exception:
            return None


# ---------------------------------------------------------------------------------------
# Sessions: one per (inferior, process or core, executable).

_sessions = {}


def _session_key(inf, target):
    return (inf.num, inf.pid, target.executable_path())


def session():
    """The engine session of the selected inferior; raises gdb.GdbError when there is no
    process or core to look at."""
    inf = gdb.selected_inferior()
    if inf is None or not inf.is_valid() or not inf.pid:
        raise gdb.GdbError("no process: run the program, attach to it ('attach PID'), "
                           "or load a core ('core-file CORE')")
    try:
        threads = inf.threads()
    except Exception:
        threads = ()
    if threads:
        try:
            t = gdb.selected_thread()
            if t is not None and t.is_running():
                raise gdb.GdbError("the process is running: stop it first ('interrupt')")
        except gdb.GdbError:
            raise
        except Exception:
            pass
    probe = GdbTarget(inf)
    key = _session_key(inf, probe)
    s = _sessions.get(key)
    if s is None:
        # Sessions of processes that are gone are dropped with their caches.
        for k in [k for k in _sessions if k[0] == inf.num]:
            del _sessions[k]
        s = (probe, _goinspect_gdb.Session(probe))
        _sessions[key] = s
    return s[1]


def run_engine(words):
    """(ok, text) from the engine for `go WORDS...`."""
    return session().run(list(words))


# ---------------------------------------------------------------------------------------
# Goroutine selection: what the unwinder and the frame filter follow.


def _hex(s):
    try:
        return int(s, 16) if isinstance(s, str) else int(s)
    except Exception:
        return None


class Selection:
    def __init__(self):
        self.goid = None
        self.thread_num = None  # gdb's global thread number whose frame 0 leads to it
        self.first = None  # (pc, sp, bp): the goroutine's innermost physical frame
        self.next = {}  # (pc, sp) of a physical frame -> (pc, sp, bp) of its caller, or None

    def active(self):
        return self.goid is not None

    def clear(self, invalidate=True):
        was = self.goid is not None
        _restore_past_main()
        self.goid = None
        self.thread_num = None
        self.first = None
        self.next = {}
        if was and invalidate:
            _flush_frames()

    def set(self, goid, thread_num, frames, from_frame0=True):
        """frames: the engine's physical frames, innermost first: dicts with pc, sp, fp.
        from_frame0: the thread's frame 0 unwinds to the goroutine's innermost frame (a
        parked or syscall goroutine shown on whatever thread is selected; frame 0 is then
        hidden). Otherwise (a running goroutine on its own thread) GDB unwinds the thread as
        usual until a frame is one of the goroutine's, and the engine's frames go on from
        there (past the signal handler and system-stack switches, as the runtime does)."""
        phys = []
        for f in frames[:MAX_FRAMES]:
            pc, sp, fp = _hex(f.get("pc")), _hex(f.get("sp")), _hex(f.get("fp"))
            if pc is None or sp is None or fp is None:
                break
            phys.append((pc, sp, fp))
        # Each frame's rbp as the Go compiler leaves it at a call: a frame bigger than the
        # return address saved the caller's rbp just below it, at fp-16, and points rbp there;
        # a frameless one keeps its caller's.
        bps = [0] * len(phys)
        bp = 0
        for i in range(len(phys) - 1, -1, -1):
            pc, sp, fp = phys[i]
            if fp - sp > 8:
                bp = fp - 16
            bps[i] = bp
        self.goid = goid
        self.thread_num = thread_num
        self.first = (phys[0][0], phys[0][1], bps[0]) if phys and from_frame0 else None
        self.next = {}
        for i, (pc, sp, fp) in enumerate(phys):
            nxt = (phys[i + 1][0], phys[i + 1][1], bps[i + 1]) if i + 1 < len(phys) else None
            self.next.setdefault((pc, sp), (fp, nxt))
        _past_main_on()
        _flush_frames()


# GDB stops bt at main.main (`backtrace past-main` is off by default); the main goroutine's
# frames go on to runtime.main and runtime.goexit, as the runtime prints them. While a
# goroutine is selected it is on; the user's own value comes back with 'go goroutine none'.
_saved_past_main = []


def _past_main_on():
    try:
        if not _saved_past_main:
            _saved_past_main.append(bool(gdb.parameter("backtrace past-main")))
        gdb.execute("set backtrace past-main on", to_string=True)
    except Exception:
        pass


def _restore_past_main():
    try:
        if _saved_past_main:
            old = _saved_past_main.pop()
            gdb.execute("set backtrace past-main %s" % ("on" if old else "off"), to_string=True)
    except Exception:
        pass


_selection = Selection()


_ptr_type = [None]


def _ptr(v):
    """v as a pointer-sized gdb.Value, whatever the current language (Go has no
    'unsigned long')."""
    t = _ptr_type[0]
    if t is None:
        t = gdb.selected_inferior().architecture().integer_type(64, False).pointer()
        _ptr_type[0] = t
    return gdb.Value(v & 0xFFFFFFFFFFFFFFFF).cast(t)


class _FrameId:
    """GDB takes a frame id's sp and pc as gdb.Values."""

    def __init__(self, sp, pc):
        self.sp = _ptr(sp)
        self.pc = _ptr(pc)


def _flush_frames():
    """Drops GDB's frame cache, so every frame is unwound again (the goroutine selection
    changed). invalidate_cached_frames alone leaves frame 0's unwinder in place in gdb 13."""
    try:
        gdb.invalidate_cached_frames()
    except Exception:
        pass
    try:
        gdb.execute("maintenance flush register-cache", to_string=True)
    except Exception:
        pass


class GoroutineUnwinder(Unwinder):
    """While a goroutine is selected: the selected thread's frame 0 unwinds to the
    goroutine's innermost frame, and each of the goroutine's physical frames to the next
    one, as the engine's unwinder found them (pclntab; no DWARF needed)."""

    def __init__(self):
        super().__init__("goinspect-goroutine")

    def __call__(self, pending_frame):
        try:
            sel = _selection
            if not sel.active():
                return None
            t = gdb.selected_thread()
            if t is None or t.global_num != sel.thread_num:
                return None
            pc = int(pending_frame.read_register("rip")) & 0xFFFFFFFFFFFFFFFF
            sp = int(pending_frame.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
            level = pending_frame.level() if hasattr(pending_frame, "level") else None
            if level == 0 and sel.first is not None:
                # A stack address below every goroutine frame: GDB insists that callers
                # are outer (higher) than their callees, and the thread's own sp may be
                # anywhere (another goroutine's stack, g0, the signal stack).
                info = pending_frame.create_unwind_info(_FrameId(1, pc))
                npc, nsp, nbp = sel.first
                self._save(pending_frame, info, npc, nsp, nbp)
                return info
            ent = sel.next.get((pc, sp))
            if ent is None:
                return None
            fp, nxt = ent
            info = pending_frame.create_unwind_info(_FrameId(fp, pc))
            if nxt is None:
                # The outermost frame (runtime.goexit): nothing called it.
                self._save(pending_frame, info, 0, fp, 0)
            else:
                self._save(pending_frame, info, nxt[0], nxt[1], nxt[2])
            return info
        except Exception as e:
            _debug("unwinder", e)
            return None

    @staticmethod
    def _save(pending_frame, info, pc, sp, bp):
        info.add_saved_register("rip", _ptr(pc))
        info.add_saved_register("rsp", _ptr(sp))
        info.add_saved_register("rbp", _ptr(bp))


class GoroutineFrameFilter:
    """Hides the selected thread's own frame 0 while a goroutine is selected, so `bt` shows
    the goroutine's frames only (numbered from 1)."""

    def __init__(self):
        self.name = "goinspect-goroutine"
        self.priority = 100
        self._enabled = True

    # On only while a goroutine is selected: otherwise GDB's own bt runs untouched. (Any
    # enabled frame filter, even one passing every frame through, has GDB decorate each
    # frame in Python, which fails on a frame whose pc is unavailable: a damaged core.)
    @property
    def enabled(self):
        return self._enabled and _selection.active()

    @enabled.setter
    def enabled(self, value):  # 'enable/disable frame-filter global goinspect-goroutine'
        self._enabled = bool(value)

    def filter(self, frame_iter):
        if not _selection.active():
            return frame_iter
        try:
            t = gdb.selected_thread()
            if t is None or t.global_num != _selection.thread_num:
                return frame_iter
        except Exception:
            return frame_iter
        return (_ReadArgsHere(d) for d in frame_iter if not _hidden(d))


class _Var:
    """A frame argument or local with its value read already (gdb's SymValueWrapper)."""

    def __init__(self, sym, value):
        self._sym, self._value = sym, value

    def symbol(self):
        return self._sym

    def value(self):
        return self._value


def _read_vars(items, frame):
    """The arguments or locals a decorator lists, each value read here: gdb's Python frame
    printing stops the whole bt at the first value it cannot read (a goroutine whose sp a
    damaged core says is unmapped), where its own bt prints '<error reading variable>'."""
    if items is None or frame is None:
        return items
    out = []
    for item in items:
        sym, value = item.symbol(), item.value()
        if value is None and isinstance(sym, gdb.Symbol):
            try:
                value = sym.value(frame)
                value.fetch_lazy()
            except Exception as e:
                value = "<error reading variable: %s>" % e
        out.append(_Var(sym, value))
    return out


try:
    from gdb.FrameDecorator import FrameDecorator as _FrameDecorator
except ImportError:
    _FrameDecorator = object


class _ReadArgsHere(_FrameDecorator):
    """A goroutine's frame as bt prints it, its arguments and locals read by _read_vars."""

    def __init__(self, base):
        super().__init__(base)
        self._base = base

    def frame_args(self):
        return _read_vars(self._base.frame_args(), self._base.inferior_frame())

    def frame_locals(self):
        return _read_vars(self._base.frame_locals(), self._base.inferior_frame())


def _hidden(decorator):
    """The thread's own frame 0, and the zero-pc 'caller' of runtime.goexit the unwinder
    reports to end the goroutine's stack."""
    try:
        f = decorator.inferior_frame()
        if f.level() == 0 and f.type() != gdb.INLINE_FRAME and _selection.first is not None:
            return True
        return f.pc() == 0
    except Exception:
        return False


_unwinder = None


def install_frame_hooks():
    global _unwinder
    if _unwinder is None and Unwinder is not object:
        try:
            _unwinder = GoroutineUnwinder()
            gdb.unwinder.register_unwinder(None, _unwinder, replace=True)
        except Exception as e:
            gdb.write("goinspect: no goroutine unwinder (%s)\n" % e, gdb.STDERR)
    try:
        gdb.frame_filters["goinspect-goroutine"] = GoroutineFrameFilter()
    except Exception:
        pass


# ---------------------------------------------------------------------------------------
# Commands.


def _doc(spec):
    name, summary, syntax, help_ = spec
    text = summary.rstrip() + "\n\nSyntax: " + syntax.rstrip() + "\n"
    if help_.strip():
        text += "\n" + help_.rstrip("\n")
    return text


class GoPrefix(gdb.Command):
    """Inspect the Go runtime of the target: goroutines, their backtraces, the program."""

    def __init__(self):
        super().__init__("go", gdb.COMMAND_STACK, gdb.COMPLETE_NONE, True)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        if arg.strip():
            raise gdb.GdbError("unknown command 'go %s'; 'help go' lists the commands" % arg.split()[0])
        gdb.execute("help go", from_tty)


def _engine_command(words):
    try:
        ok, text = run_engine(words)
    except gdb.GdbError:
        raise
    except Exception as e:
        raise gdb.GdbError("go %s: %s" % (words[0], e))
    if not ok:
        raise gdb.GdbError(text)
    return text


class GoSubcommand(gdb.Command):
    def __init__(self, name):
        self.go_name = name
        super().__init__("go " + name, gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        try:
            argv = gdb.string_to_argv(arg)
        except Exception as e:
            raise gdb.GdbError(str(e))
        if self.go_name == "goroutine":
            return goroutine_command(argv)
        gdb.write(_engine_command([self.go_name] + argv))


def _thread_by_tid(tid):
    try:
        for t in gdb.selected_inferior().threads():
            if t.ptid[1] == tid or (not t.ptid[1] and t.ptid[0] == tid):
                return t
    except Exception:
        pass
    return None


def _select_frame(level, quiet):
    """Selects frame LEVEL of the selected thread. `frame N` has GDB print the frame even
    under to_string (its selection observer writes to the terminal), which after `--json`
    would follow the JSON on the same stream and break it: with --json or --output the
    frame is selected through gdb.Frame.select(), which prints nothing."""
    try:
        if not quiet:
            gdb.execute("frame %d" % level, to_string=True)
            return
        f = gdb.newest_frame()
        for _ in range(level):
            older = f.older()
            if older is None:
                break
            f = older
        f.select()
    except Exception as e:
        _debug("select frame", e)


def goroutine_command(argv):
    """`go goroutine ID [--json] [--output FILE]`: the engine's account, then the goroutine
    selected for GDB's frame commands. `go goroutine` / `go goroutine none`: back to the
    threads' own stacks."""
    if not argv or argv == ["none"]:
        had = _selection.goid
        _selection.clear()
        try:  # the engine's own selection, which go print, go locals and go args follow
            run_engine(["goroutine", "none"])
        except Exception as e:
            _debug("engine selection", e)
        gdb.write("no goroutine selected: bt shows the threads' own stacks\n" if had is not None
                  else "no goroutine was selected\n")
        return
    text = _engine_command(["goroutine"] + argv)
    gdb.write(text)
    positional = [a for i, a in enumerate(argv)
                  if not a.startswith("--") and not (i > 0 and argv[i - 1] == "--output")]
    quiet = "--json" in argv or "--output" in argv
    if len(positional) != 1:
        return
    # The account is printed: what follows only selects frames, and says so in a note
    # (never an error after the output, nor a line after --json's JSON).
    def note(text):
        _selection.clear()
        if not quiet:
            gdb.write(text + "; bt shows the threads' own stacks\n")

    ok, bt = run_engine(["bt", positional[0], "--json"])
    try:
        g = json.loads(bt)["goroutines"][0] if ok else None
    except Exception:
        g = None
    if g is None:
        note("goroutine %s: its frames cannot be selected (%s)" % (positional[0], bt.strip() if not ok else
                                                                  "unreadable backtrace"))
        return
    goid = g.get("id")
    frames = [f for f in g.get("frames") or [] if not f.get("inlined")]
    if g.get("status") == "running" and g.get("thread_id"):
        t = _thread_by_tid(g["thread_id"])
        if t is not None:
            t.switch()
            # The engine starts at the thread's registers unless the thread is in a signal
            # handler or on its system stack; then its frame 0 leads to the goroutine's
            # innermost frame as for a parked one (GDB cannot unwind a signal frame of a
            # stripped binary, and the runtime's traceback skips those frames too).
            at_regs = False
            try:
                f0 = gdb.newest_frame()
                pc0 = int(f0.read_register("rip")) & 0xFFFFFFFFFFFFFFFF
                sp0 = int(f0.read_register("rsp")) & 0xFFFFFFFFFFFFFFFF
                at_regs = bool(frames) and (_hex(frames[0].get("pc")), _hex(frames[0].get("sp"))) == (pc0, sp0)
            except Exception:
                pass
            _selection.set(goid, t.global_num, frames, from_frame0=not at_regs)
            _select_frame(0, quiet)
            if not quiet:
                gdb.write("goroutine %d is running on thread %d (LWP %d): selected that thread; bt "
                          "shows the goroutine's frames%s; 'go goroutine none' goes back\n"
                          % (goid, t.num, g["thread_id"],
                             "" if at_regs else " (the thread's own frame #0, in a signal handler "
                             "or on its system stack, is hidden)"))
            return
    if not frames:
        note("goroutine %s: no frames to select" % goid)
        return
    try:
        t = gdb.selected_thread()
    except Exception:
        t = None
    if t is None:
        note("goroutine %s: no thread to show it on" % goid)
        return
    _selection.set(goid, t.global_num, frames)
    _select_frame(1, quiet)
    if not quiet:
        gdb.write("goroutine %d selected on thread %d: GDB frames #1 to #N are the goroutine's "
                  "(frame #0, the thread's own, is hidden from bt); 'go goroutine none' goes "
                  "back\n" % (goid, t.num))


_commands = []


def register_commands():
    if _commands:
        return
    _commands.append(GoPrefix())
    for spec in _goinspect_gdb.command_table():
        cls = type("Go_" + spec[0], (GoSubcommand,), {"__doc__": _doc(spec)})
        _commands.append(cls(spec[0]))


def load():
    register_commands()
    install_frame_hooks()
