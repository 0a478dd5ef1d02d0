#!/usr/bin/python3
"""Self-tests of check_defers.py: the defers fixture's truth lines parse (and bad ones are
refused), the cause of death is read right off real dumps (testdata/ samples and small
excerpts of real dumps below), a perfect answer (faked from the truth and the dump)
passes, and each kind of wrong answer fails with a message naming the goroutine, the
field and both values. With fixtures built (GOINSPECT_FIXTURE_DIR), fresh runs of the
defers and causes fixtures are checked against themselves too: truth consistent with the
dump, the cause goroutine the fixture names. Plain unittest, standard library, no lldb."""

import copy
import glob
import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_defers as cd  # noqa: E402
import crashdump  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")
SRC = "/work/main/tests/fixtures/defers/main.go"

# An excerpt of a real `defers crash` dump (go1.27, plain build), five of its goroutines.
DUMP = """panic: defers: crash

goroutine 37 gp=0x1e43135b8960 m=3 mp=0x1e4313479008 [running]:
panic({0x696b18?, 0x55bf90?})
	/usr/lib/go-1.27/src/runtime/panic.go:878 +0x159 fp=0x1e4313559f28 sp=0x1e4313559e80 pc=0x47e0f9
main.crasher()
	/work/main/tests/fixtures/defers/main.go:534 +0x178 fp=0x1e4313559fe0 sp=0x1e4313559f28 pc=0x54a198
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x1e4313559fe8 sp=0x1e4313559fe0 pc=0x484181
created by main.main in goroutine 1
	/work/main/tests/fixtures/defers/main.go:615 +0x25ff

goroutine 1 gp=0x1e431343e1e0 m=nil [sleep]:
runtime.gopark(0x16290c9d5bff?, 0x1?, 0x9c?, 0x0?, 0xa0?)
	/usr/lib/go-1.27/src/runtime/proc.go:474 +0xca fp=0x1e43134b3568 sp=0x1e43134b3548 pc=0x47e5aa
time.Sleep(0x34630b8a000)
	/usr/lib/go-1.27/src/runtime/time.go:368 +0x165 fp=0x1e43134b35c0 sp=0x1e43134b3568 pc=0x481545
fixtures/internal/settle.HangForever()
	/work/main/tests/fixtures/internal/settle/settle.go:54 +0x1d fp=0x1e43134b35d8 sp=0x1e43134b35c0 pc=0x52ba7d
main.main()
	/work/main/tests/fixtures/defers/main.go:616 +0x2605 fp=0x1e43134b3eb8 sp=0x1e43134b35d8 pc=0x54c7e5
runtime.main()
	/usr/lib/go-1.27/src/runtime/proc.go:302 +0x427 fp=0x1e43134b3fe0 sp=0x1e43134b3eb8 pc=0x44ba07
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x1e43134b3fe8 sp=0x1e43134b3fe0 pc=0x484181

goroutine 18 gp=0x1e43135161e0 m=nil [chan receive]:
runtime.gopark(0x41f6e5?, 0x3f004001f00eb0?, 0xd8?, 0xe?, 0x41e62a?)
	/usr/lib/go-1.27/src/runtime/proc.go:474 +0xca fp=0x1e4313470e90 sp=0x1e4313470e70 pc=0x47e5aa
runtime.chanrecv(0x1e4313500070, 0x0, 0x1)
	/usr/lib/go-1.27/src/runtime/chan.go:667 +0x4ae fp=0x1e4313470f08 sp=0x1e4313470e90 pc=0x41782e
runtime.chanrecv1(0x1e431350c750?, 0x1e43135161e0?)
	/usr/lib/go-1.27/src/runtime/chan.go:509 +0x12 fp=0x1e4313470f30 sp=0x1e4313470f08 pc=0x417372
main.park()
	/work/main/tests/fixtures/defers/main.go:73 +0x1c fp=0x1e4313470f50 sp=0x1e4313470f30 pc=0x547d3c
main.loopDefers(0x64, 0x6b0148)
	/work/main/tests/fixtures/defers/main.go:163 +0xa2 fp=0x1e4313470f88 sp=0x1e4313470f50 pc=0x548122
main.main.func1()
	/work/main/tests/fixtures/defers/main.go:543 +0x1f fp=0x1e4313470fa8 sp=0x1e4313470f88 pc=0x54d29f
fixtures/internal/gid.Go.func1()
	/work/main/tests/fixtures/internal/gid/gid.go:99 +0x43 fp=0x1e4313470fe0 sp=0x1e4313470fa8 pc=0x52b7a3
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x1e4313470fe8 sp=0x1e4313470fe0 pc=0x484181
created by fixtures/internal/gid.Go in goroutine 1
	/work/main/tests/fixtures/internal/gid/gid.go:97 +0x87

goroutine 25 gp=0x1e4313516f00 m=nil [chan receive]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go-1.27/src/runtime/proc.go:474 +0xca fp=0x1e4313473dd0 sp=0x1e4313473db0 pc=0x47e5aa
runtime.chanrecv(0x1e4313500070, 0x0, 0x1)
	/usr/lib/go-1.27/src/runtime/chan.go:667 +0x4ae fp=0x1e4313473e48 sp=0x1e4313473dd0 pc=0x41782e
runtime.chanrecv1(0x1e4313473e90?, 0x447b65?)
	/usr/lib/go-1.27/src/runtime/chan.go:509 +0x12 fp=0x1e4313473e70 sp=0x1e4313473e48 pc=0x417372
main.park()
	/work/main/tests/fixtures/defers/main.go:73 +0x1c fp=0x1e4313473e90 sp=0x1e4313473e70 pc=0x547d3c
main.panicMiddle.func1()
	/work/main/tests/fixtures/defers/main.go:229 +0xf fp=0x1e4313473ea0 sp=0x1e4313473e90 pc=0x54d56f
panic({0x696b18?, 0x55bf60?})
	/usr/lib/go-1.27/src/runtime/panic.go:859 +0x125 fp=0x1e4313473f48 sp=0x1e4313473ea0 pc=0x47e0c5
main.panicMiddle()
	/work/main/tests/fixtures/defers/main.go:230 +0x4e fp=0x1e4313473f80 sp=0x1e4313473f48 pc=0x54870e
main.panicOuter()
	/work/main/tests/fixtures/defers/main.go:223 +0x45 fp=0x1e4313473fa8 sp=0x1e4313473f80 pc=0x548685
fixtures/internal/gid.Go.func1()
	/work/main/tests/fixtures/internal/gid/gid.go:99 +0x43 fp=0x1e4313473fe0 sp=0x1e4313473fa8 pc=0x52b7a3
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x1e4313473fe8 sp=0x1e4313473fe0 pc=0x484181
created by fixtures/internal/gid.Go in goroutine 1
	/work/main/tests/fixtures/internal/gid/gid.go:97 +0x87

goroutine 34 gp=0x1e43135b83c0 m=nil [chan receive]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go-1.27/src/runtime/proc.go:474 +0xca fp=0x1e43135b1d80 sp=0x1e43135b1d60 pc=0x47e5aa
runtime.chanrecv(0x1e4313500070, 0x0, 0x1)
	/usr/lib/go-1.27/src/runtime/chan.go:667 +0x4ae fp=0x1e43135b1df8 sp=0x1e43135b1d80 pc=0x41782e
runtime.chanrecv1(0x1e43135b1e78?, 0x1e43135b1e07?)
	/usr/lib/go-1.27/src/runtime/chan.go:509 +0x12 fp=0x1e43135b1e20 sp=0x1e43135b1df8 pc=0x417372
main.park()
	/work/main/tests/fixtures/defers/main.go:73 +0x1c fp=0x1e43135b1e40 sp=0x1e43135b1e20 pc=0x547d3c
main.recoverPark.func1()
	/work/main/tests/fixtures/defers/main.go:296 +0x19 fp=0x1e43135b1e50 sp=0x1e43135b1e40 pc=0x54d4d9
panic({0x69d7d0?, 0x55bcc0?})
	/usr/lib/go-1.27/src/runtime/panic.go:859 +0x125 fp=0x1e43135b1ef8 sp=0x1e43135b1e50 pc=0x47e0c5
main.panicValue({0x54e4cb?, 0x1e43135007e0?})
	/work/main/tests/fixtures/defers/main.go:287 +0x139 fp=0x1e43135b1f58 sp=0x1e43135b1ef8 pc=0x548ab9
main.recoverPark({0x54e4cb?, 0x1e4313599000?})
	/work/main/tests/fixtures/defers/main.go:299 +0x35 fp=0x1e43135b1f88 sp=0x1e43135b1f58 pc=0x548c55
main.main.func8()
	/work/main/tests/fixtures/defers/main.go:601 +0x1b fp=0x1e43135b1fa8 sp=0x1e43135b1f88 pc=0x54cbfb
fixtures/internal/gid.Go.func1()
	/work/main/tests/fixtures/internal/gid/gid.go:99 +0x43 fp=0x1e43135b1fe0 sp=0x1e43135b1fa8 pc=0x52b7a3
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x1e43135b1fe8 sp=0x1e43135b1fe0 pc=0x484181
created by fixtures/internal/gid.Go in goroutine 1
	/work/main/tests/fixtures/internal/gid/gid.go:97 +0x87
"""


def _d(fn, kind, frame, line=None, rx=False):
    d = {"kind": kind, "frame": frame, "defer_file": SRC if line else None, "defer_line": line}
    d["function_re" if rx else "function"] = fn
    return d


def _p(typ, value, recovered=False, goexit=False, running=None, any_value=False):
    p = {"type": typ, "recovered": recovered, "goexit": goexit, "running_defer": running}
    if not any_value:
        p["value"] = value
    return p


# The truth of those five goroutines, as the fixture prints it (the loop cut to 3).
TRUTH_LINES = [
    {"goroutine": 18, "case": "loop",
     "defers": [_d("main.loopDefers.func1", "heap", "main.loopDefers", 161)] * 2 +
     [_d(r"^main\.loopDefers\.(deferwrap|func)\d+$", "heap", "main.loopDefers", 161, rx=True)],
     "panics": []},
    {"goroutine": 25, "case": "panicking",
     "defers": [_d("main.p3", "open-coded", "main.panicMiddle"),
                _d("main.p2", "open-coded", "main.panicOuter"),
                _d("main.p1", "open-coded", "main.panicOuter")],
     "panics": [_p("string", "defers: panicking", running="main.panicMiddle.func1")]},
    {"goroutine": 34, "case": "value-custom", "defers": [],
     "panics": [_p("main.myErr", None, recovered=True, running="main.recoverPark.func1",
                   any_value=True)]},
    {"goroutine": 37, "case": "crasher", "defers": [],
     "panics": [_p("string", "defers: crash")]},
]
TRUTH = "noise\n" + "".join("TRUTH " + json.dumps(t) + "\n" for t in TRUTH_LINES) + "READY\n"
MINOR = 27


def setup():
    truth = cd.parse_truth(TRUTH)
    dump = crashdump.parse(DUMP)
    ids = cd.ids_to_ask(truth)
    ans = cd.fake_answers(truth, dump, DUMP, MINOR, ids_asked=ids)
    return truth, dump, ids, ans


def run_compare(truth, dump, ans, ids, live=False):
    return cd.compare(truth, ans, dump, DUMP, minor=MINOR, live=live, ids_asked=ids)


def entry(ans, goid, key="defers"):
    return next(g for g in ans[key]["goroutines"] if g["id"] == goid)


class Truth(unittest.TestCase):
    def test_parse(self):
        t = cd.parse_truth(TRUTH)
        self.assertEqual(sorted(t), [18, 25, 34, 37])
        self.assertEqual(t[18].case, "loop")
        self.assertEqual(len(t[18].defers), 3)
        self.assertTrue(t[18].defers[2].name_ok("main.loopDefers.deferwrap1"))
        self.assertTrue(t[18].defers[2].name_ok("main.loopDefers.func3"))
        self.assertFalse(t[18].defers[2].name_ok("main.loopDefers.func1.1"))
        self.assertFalse(t[18].defers[0].name_ok("main.loopDefers.func10"))
        self.assertIsNone(t[25].defers[0].line)
        self.assertTrue(t[34].panics[0].any_value)
        self.assertFalse(t[37].panics[0].any_value)
        self.assertEqual(t[37].panics[0].value, "defers: crash")

    def test_refused(self):
        good = copy.deepcopy(TRUTH_LINES[0])
        bad = []
        b = copy.deepcopy(good)
        b["defers"][0]["kind"] = "deferred"
        bad.append(b)
        b = copy.deepcopy(good)
        b["defers"][0]["function_re"] = "^x"
        bad.append(b)
        b = copy.deepcopy(good)
        b["defers"][0]["defer_line"] = None
        bad.append(b)  # file without line; and a heap defer without its line
        b = copy.deepcopy(TRUTH_LINES[1])
        b["defers"][0]["defer_line"], b["defers"][0]["defer_file"] = 3, SRC
        bad.append(b)  # open-coded with a line
        b = copy.deepcopy(TRUTH_LINES[1])
        b["panics"][0]["recovered"] = "no"
        bad.append(b)
        b = copy.deepcopy(good)
        b["defers"][2]["function_re"] = "^main\\.(unclosed"
        bad.append(b)
        for b in bad:
            with self.subTest(b=b), self.assertRaises(ValueError):
                cd.parse_truth("TRUTH " + json.dumps(b))
        with self.assertRaises(ValueError):
            cd.parse_truth("TRUTH " + json.dumps(good) + "\nTRUTH " + json.dumps(good))
        with self.assertRaises(ValueError):
            cd.parse_truth("TRUTH {not json")

    def test_cause_truth(self):
        self.assertEqual(cd.parse_cause_truth("x\nCAUSE 5\n"), [5])
        self.assertEqual(cd.parse_cause_truth("CAUSE 3\nCAUSE 7 8\n"), [7, 8])
        self.assertEqual(cd.parse_cause_truth(""), [])

    def test_check_truth(self):
        truth, dump, _, _ = setup()
        self.assertEqual(cd.check_truth(truth, dump, MINOR), [])
        truth[18].defers[0].frame = "main.elsewhere"
        truth[25].panics[0].running_defer = "main.nothere"
        truth[99] = cd.TGoroutine(99, "ghost")
        errs = "\n".join(cd.check_truth(truth, dump, MINOR))
        self.assertIn("goroutine 18 (loop): defers in frame main.elsewhere", errs)
        self.assertIn("running defer main.nothere", errs)
        self.assertIn("goroutine 99 (ghost): in the truth, not in the dump", errs)


SIGNAL_DUMP = """SIGSEGV: segmentation violation
PC=0x4a37a0 m=3 sigcode=1 addr=0x0
signal arrived during cgo execution

goroutine 11 gp=0x3fab0b806f00 m=3 mp=0x5877c0 [syscall]:
runtime.cgocall(0x4a37a0, 0x3fab0b7b06f8)
	/usr/lib/go-1.27/src/runtime/cgocall.go:167 +0x4b fp=0x3fab0b7b06d0 sp=0x3fab0b7b0698 pc=0x47826b
main._Cfunc_causes_write_null()
	_cgo_gotypes.go:46 +0x3f fp=0x3fab0b7b06f8 sp=0x3fab0b7b06d0 pc=0x4a36df
main.die({0x7ffcf126ba5c, 0x7})
	/work/main/tests/fixtures/causes/main.go:77 +0x2a5 fp=0x3fab0b7b0760 sp=0x3fab0b7b06f8 pc=0x4a2f05
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x3fab0b7b07e8 sp=0x3fab0b7b07e0 pc=0x481681
created by main.main in goroutine 1
	/work/main/tests/fixtures/causes/main.go:140 +0x3c5

goroutine 1 gp=0x3fab0b77a1e0 m=nil [sleep]:
runtime.gopark(0x1?, 0x1?, 0x1?, 0x1?, 0x1?)
	/usr/lib/go-1.27/src/runtime/proc.go:474 +0xca fp=0x3fab0b7a1568 sp=0x3fab0b7a1548 pc=0x47e5aa
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0x3fab0b7a1fe8 sp=0x3fab0b7a1fe0 pc=0x484181

rax    0x0
rbx    0x1

-----

SIGQUIT: quit
PC=0x40f1ce m=0 sigcode=0

goroutine 0 gp=0x5878a0 m=0 mp=0x5877c0 [idle]:
runtime.futex(0x1, 0x1, 0x0, 0x0, 0x0, 0x0)
	/usr/lib/go-1.27/src/runtime/sys_linux_amd64.s:576 +0x21 fp=0x7ffc4e8ad8b8 sp=0x7ffc4e8ad8b0 pc=0x4831a1

rax    0x0
"""

NILPTR_DUMP = """panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4853a8]

goroutine 11 [running]:
panic({0x491640?, 0x52a380?})
	/usr/lib/go-1.21/src/runtime/panic.go:1017 +0x3ac fp=0xc00004ceb8 sp=0xc00004ce08 pc=0x43342c
runtime.panicmem(...)
	/usr/lib/go-1.21/src/runtime/panic.go:261
runtime.sigpanic()
	/usr/lib/go-1.21/src/runtime/signal_unix.go:861 +0x378 fp=0xc00004cf18 sp=0xc00004ceb8 pc=0x448f18
main.die({0x7ffd8c9e6a5c, 0x6})
	/work/main/tests/fixtures/causes/main.go:71 +0x208 fp=0xc00004cf80 sp=0xc00004cf18 pc=0x4853a8
runtime.goexit()
	/usr/lib/go-1.21/src/runtime/asm_amd64.s:1650 +0x1 fp=0xc00004cfe8 sp=0xc00004cfe0 pc=0x45ff41
created by main.main in goroutine 1
	/work/main/tests/fixtures/causes/main.go:140 +0x3c5
"""

MAPWRITES_DUMP = """fatal error: concurrent map writes

goroutine 6 gp=0xa406ae890e0 m=4 mp=0xa406ae45808 [running]:
runtime.fatal({0x4a8093, 0x15})
	/usr/lib/go-1.27/src/runtime/panic.go:1269 +0x74 fp=0xa406ae3f6e8 sp=0xa406ae3f6a8 pc=0x446ab4
internal/runtime/maps.fatal({0x4a8093?, 0x4a1f1a?})
	/usr/lib/go-1.27/src/runtime/panic.go:1197 +0x18 fp=0xa406ae3f708 sp=0xa406ae3f6e8 pc=0x47a058
main.writeForever(0x400)
	/work/main/tests/fixtures/causes/main.go:88 +0x4a fp=0xa406ae3f7a0 sp=0xa406ae3f770 pc=0x4a2e6a
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0xa406ae3f7e8 sp=0xa406ae3f7e0 pc=0x481681

goroutine 5 gp=0xa406ae88f00 m=nil [runnable]:
main.writeForever(0x0)
	/work/main/tests/fixtures/causes/main.go:88 +0x4a fp=0xa406ae3e7a0 sp=0xa406ae3e770 pc=0x4a2e6a
runtime.goexit({})
	/usr/lib/go-1.27/src/runtime/asm_amd64.s:1264 +0x1 fp=0xa406ae3e7e8 sp=0xa406ae3e7e0 pc=0x481681
"""


def sample(minor, name):
    path = os.path.join(TESTDATA, f"go1.{minor}", name)
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


class Causes(unittest.TestCase):
    def cause(self, text):
        return cd.expected_cause(text, crashdump.parse(text))

    def test_panic(self):
        c = self.cause(DUMP)
        self.assertEqual((c.kind, c.message, c.goroutine, c.m, c.signal),
                         ("panic", "defers: crash", 37, 3, None))
        self.assertEqual(c.panic_lines, [("defers: crash", False)])
        self.assertEqual(c.runtime_line, "panic: defers: crash")
        self.assertIn("main.crasher", c.frames)

    def test_nested_panic(self):
        for minor in (21, 24, 27):
            with self.subTest(minor=minor):
                text = sample(minor, "deferpanic.crash.txt")
                c = self.cause(text)
                self.assertEqual(c.kind, "panic")
                self.assertEqual(c.message, "crasher: second panic, raised by a deferred call")
                self.assertEqual([v for v, _ in c.panic_lines],
                                 ["crasher: first panic", c.message])
                self.assertEqual(c.goroutine, crashdump.parse(text).goroutines[0].id)
                self.assertEqual(c.first_line, "panic: crasher: first panic")

    def test_overflow(self):
        for minor in (21, 24):
            with self.subTest(minor=minor):
                text = sample(minor, "overflow.crash.txt")
                d = crashdump.parse(text)
                c = self.cause(text)
                self.assertEqual((c.kind, c.message, c.signal), ("fatal", "stack overflow", None))
                running = [g.id for g in d.goroutines if g.status == "running"]
                self.assertEqual([c.goroutine], running)
                self.assertTrue(c.first_line.startswith("runtime: goroutine stack exceeds"))
                self.assertEqual(c.runtime_line, "fatal error: stack overflow")
                self.assertIn("runtime.newstack", c.frames)  # the "runtime stack:" g0

    def test_deadlock(self):
        for minor in (21, 24):
            with self.subTest(minor=minor):
                c = self.cause(sample(minor, "deadlock.crash.txt"))
                self.assertEqual((c.kind, c.message, c.goroutine, c.m),
                                 ("fatal", "all goroutines are asleep - deadlock!", None, None))

    def test_signal(self):
        c = self.cause(SIGNAL_DUMP)
        self.assertEqual((c.kind, c.message, c.signal, c.goroutine, c.m, c.in_cgo),
                         ("signal", "SIGSEGV: segmentation violation", "SIGSEGV", 11, 3, True))
        self.assertNotIn("runtime.futex", c.frames)  # another thread's section

    def test_nilptr(self):
        c = self.cause(NILPTR_DUMP)
        self.assertEqual((c.kind, c.signal, c.goroutine, c.m),
                         ("panic", "SIGSEGV", 11, None))  # 1.21 headers print no m=
        self.assertEqual(c.message,
                         "runtime error: invalid memory address or nil pointer dereference")

    def test_fatal(self):
        c = self.cause(MAPWRITES_DUMP)
        self.assertEqual((c.kind, c.message, c.goroutine, c.m, c.signal),
                         ("fatal", "concurrent map writes", 6, 4, None))

    def test_live(self):
        self.assertIsNone(self.cause(sample(21, "parked.quit-all.txt")))


def diffs_text(d):
    return "\n".join(d.items)


class Compare(unittest.TestCase):
    def test_perfect(self):
        truth, dump, ids, ans = setup()
        d = run_compare(truth, dump, ans, ids)
        self.assertEqual(d.items, [])
        self.assertTrue(any("runtime defers only" in n for n in d.notes))
        self.assertEqual(ids, [18, 25])

    def test_perfect_live(self):
        truth, dump, ids, _ = setup()
        ans = cd.fake_answers(truth, dump, DUMP, MINOR, live=True, ids_asked=ids)
        self.assertEqual(ans["panics"]["cause"]["kind"], "none")
        self.assertEqual(run_compare(truth, dump, ans, ids, live=True).items, [])

    def mutate(self, f):
        truth, dump, ids, ans = setup()
        f(ans)
        return diffs_text(run_compare(truth, dump, ans, ids))

    def test_defer_fields(self):
        def kind(a):
            entry(a, 18)["defers"][1]["kind"] = "stack"
        self.assertIn("goroutine 18: (loop) defers[1] kind: expected 'heap', plugin 'stack'",
                      self.mutate(kind))

        def name(a):
            entry(a, 25)["defers"][0]["function"] = "main.p3.func1"
        self.assertIn("goroutine 25: (panicking) defers[0] function: expected 'main.p3', "
                      "plugin 'main.p3.func1'", self.mutate(name))

        def regex(a):
            entry(a, 18)["defers"][2]["function"] = "main.other.deferwrap1"
        self.assertIn("defers[2] function: expected "
                      "'/^main\\\\.loopDefers\\\\.(deferwrap|func)\\\\d+$/'", self.mutate(regex))

        def order(a):
            ds = entry(a, 25)["defers"]
            ds[1], ds[2] = ds[2], ds[1]
        out = self.mutate(order)
        self.assertIn("defers[1] function: expected 'main.p2', plugin 'main.p1'", out)

        def line(a):
            entry(a, 18)["defers"][0]["defer_line"] = 160
        self.assertIn("defers[0] defer_line: expected 161, plugin 160", self.mutate(line))

        def pc(a):
            entry(a, 25)["defers"][0]["defer_pc"] = "0x1234"
        self.assertIn("defers[0] defer_pc (no statement pc: open-coded): expected None, "
                      "plugin '0x1234'", self.mutate(pc))

        def no_pc(a):
            entry(a, 18)["defers"][0]["defer_pc"] = None
        self.assertIn("defers[0] defer_pc: expected '0x...', plugin None", self.mutate(no_pc))

        def record(a):
            entry(a, 18)["defers"][1]["record"] = None
        self.assertIn("defers[1] record: expected '0x...', plugin None", self.mutate(record))

        def oc_record(a):
            entry(a, 25)["defers"][2]["record"] = "0xc000001000"
        self.assertIn("defers[2] record (open-coded): expected None", self.mutate(oc_record))

    def test_frames(self):
        def index(a):
            entry(a, 18)["defers"][0]["frame_index"] = 3
        out = self.mutate(index)
        self.assertIn("goroutine 18: (loop) defers[0] frame_index 3: the dump's frame there: "
                      "expected 'main.loopDefers', plugin 'main.park' (dump index of "
                      "main.loopDefers: 4)", out)

        def sp(a):
            entry(a, 18)["defers"][0]["frame_sp"] = "0x1e4313470f58"
        self.assertIn("frame_sp (sp of dump frame 4, main.loopDefers): expected "
                      "'0x1e4313470f50', plugin '0x1e4313470f58'", self.mutate(sp))

        def out_of_range(a):
            entry(a, 25)["defers"][0]["frame_index"] = 40
        self.assertIn("frame_index (of 10 frames in the dump): expected 6, plugin 40",
                      self.mutate(out_of_range))

    def test_lists(self):
        def missing(a):
            a["defers"]["goroutines"] = [g for g in a["defers"]["goroutines"] if g["id"] != 25]
        self.assertIn("goroutine 25 (panicking): 3 pending defers, missing from go defers all",
                      self.mutate(missing))

        def fewer(a):
            entry(a, 18)["defers"].pop()
        self.assertIn("goroutine 18: (loop) number of pending defers: expected 3, plugin 2",
                      self.mutate(fewer))

        def listed_empty(a):
            a["defers"]["goroutines"].append({"id": 34, "defers": [
                {"function": "main.recoverPark.func1", "kind": "open-coded"}]})
        self.assertIn("goroutine 34 (value-custom): no pending defer, but go defers all lists "
                      "1: main.recoverPark.func1[open-coded]", self.mutate(listed_empty))

        def user_extra(a):
            entry(a, 1)["defers"][0]["function"] = "main.main.func9"
        self.assertIn("goroutine 1 [sleep]: not in the truth, go defers all lists "
                      "main.main.func9[open-coded]", self.mutate(user_extra))

        def twice(a):
            a["defers"]["goroutines"].append(copy.deepcopy(entry(a, 18)))
        self.assertIn("go defers all: goroutine 18 listed twice", self.mutate(twice))

        def state(a):
            entry(a, 18)["wait_reason"] = "chan send"
        self.assertIn("goroutine 18: (loop) status/wait_reason (the dump's [chan receive]): "
                      "expected ('waiting', 'chan receive'), plugin ('waiting', 'chan send')",
                      self.mutate(state))

        def errors(a):
            a["defers"]["errors"] = ["goroutine 40: bad g"]
        self.assertIn("go defers all: errors ['goroutine 40: bad g']", self.mutate(errors))

        def warning(a):
            entry(a, 18)["warnings"] = ["a defer inside a loop?"]
        truth, dump, ids, ans = setup()
        warning(ans)
        d = run_compare(truth, dump, ans, ids)
        self.assertEqual(d.items, [])
        self.assertIn("goroutine 18 (loop): warning 'a defer inside a loop?'", d.notes)

    def test_by_id(self):
        def differs(a):
            a["defers-25"]["goroutines"][0] = copy.deepcopy(
                a["defers-25"]["goroutines"][0])
            a["defers-25"]["goroutines"][0]["defers"][1]["frame_index"] = 8
        self.assertIn("goroutine 25: go defers 25 differs from its entry in go defers all: "
                      ".defers[1].frame_index: 7 vs 8", self.mutate(differs))

        def other(a):
            a["defers-18"] = {"goroutines": [entry(a, 25)]}
        self.assertIn("goroutine 18: go defers 18: goroutines listed: expected [18], plugin [25]",
                      self.mutate(other))

        def none(a):
            a["defers-18"] = None
        self.assertIn("go defers 18: no answer", self.mutate(none))

    def test_panics(self):
        def recovered(a):
            entry(a, 25, "panics")["panics"][0]["recovered"] = True
        self.assertIn("goroutine 25: (panicking) panics[0] recovered: expected False, "
                      "plugin True", self.mutate(recovered))

        def value(a):
            entry(a, 25, "panics")["panics"][0]["value"] = None
        self.assertIn("panics[0] value: expected 'defers: panicking', plugin None",
                      self.mutate(value))

        def running(a):
            entry(a, 25, "panics")["panics"][0]["running_defer"] = None
        self.assertIn("panics[0] running_defer: expected 'main.panicMiddle.func1', plugin None",
                      self.mutate(running))

        def custom(a):
            entry(a, 34, "panics")["panics"][0]["value"] = None  # any text, or null
        self.assertEqual(self.mutate(custom), "")

        def custom_type(a):
            entry(a, 34, "panics")["panics"][0]["type"] = "*main.myErr"
        self.assertIn("goroutine 34: (value-custom) panics[0] type: expected 'main.myErr', "
                      "plugin '*main.myErr'", self.mutate(custom_type))

        def extra(a):
            a["panics"]["goroutines"].append({"id": 18, "panics": [
                {"type": "string", "value": "x", "recovered": False, "goexit": False}]})
        self.assertIn("goroutine 18 (loop): no panic, but go panics lists [('string', 'x')]",
                      self.mutate(extra))

        def stranger(a):
            a["panics"]["goroutines"].append({"id": 1, "panics": [
                {"type": "string", "value": "x", "recovered": False, "goexit": False}]})
        self.assertIn("goroutine 1: not in the truth, go panics lists [('string', 'x')]",
                      self.mutate(stranger))

        def gone(a):
            a["panics"]["goroutines"] = [g for g in a["panics"]["goroutines"] if g["id"] != 25]
        self.assertIn("goroutine 25 (panicking): 1 panic(s), missing from go panics",
                      self.mutate(gone))

    def test_cause(self):
        def kind(a):
            a["panics"]["cause"]["kind"] = "fatal"
        self.assertIn("cause kind: expected 'panic', plugin 'fatal'", self.mutate(kind))

        def goroutine(a):
            a["panics"]["cause"]["goroutine"] = 1
        self.assertIn("cause goroutine: expected 37, plugin 1", self.mutate(goroutine))

        def m(a):
            a["panics"]["cause"]["m"] = 5
        self.assertIn("cause m (the dump's m=): expected 3, plugin 5", self.mutate(m))

        def function(a):
            a["panics"]["cause"]["function"] = "runtime.futex"
        self.assertIn("cause function (one of the dump's frames of the cause)",
                      self.mutate(function))

        def function_ok(a):
            a["panics"]["cause"]["function"] = "runtime.gopanic"  # printed as "panic"
        self.assertEqual(self.mutate(function_ok), "")

        def thread(a):
            a["panics"]["cause"]["thread"] = "#1"
        self.assertIn("cause thread: expected 'an integer or null'", self.mutate(thread))

        def chain(a):
            entry(a, 37, "panics")["panics"][0]["value"] = "something else"
        self.assertIn("goroutine 37: go panics chain (values, recovered) of the cause "
                      "goroutine vs the dump's panic lines: expected [('defers: crash', "
                      "False)], plugin [('something else', False)]", self.mutate(chain))

    def test_info(self):
        def wrong(a):
            a["info"] = "goroutines 3\ndied of         fatal error: defers: crash\n"
        self.assertIn("go info died of (starts with): expected 'panic: defers: crash', "
                      "plugin 'fatal error: defers: crash'", self.mutate(wrong))

        def none(a):
            a["info"] = "goroutines 3\n"
        self.assertIn("go info died of (starts with): expected 'panic: defers: crash', "
                      "plugin None", self.mutate(none))
        self.assertEqual(cd.died_of("Go version  go1.2\ndied of     panic: x (m3)\n"),
                         "panic: x (m3)")

    def test_cause_cases(self):
        for text, ids in ((SIGNAL_DUMP, [11]), (NILPTR_DUMP, [11]), (MAPWRITES_DUMP, [5, 6]),
                          (sample(21, "overflow.crash.txt"), []),
                          (sample(24, "deadlock.crash.txt"), []),
                          (sample(27, "deferpanic.crash.txt"), [])):
            dump = crashdump.parse(text)
            ans = cd.fake_cause_answers(dump, text)
            with self.subTest(first=text.splitlines()[0]):
                self.assertEqual(cd.compare_cause_case(ans, dump, text, ids).items, [])
        dump = crashdump.parse(SIGNAL_DUMP)
        ans = cd.fake_cause_answers(dump, SIGNAL_DUMP)
        ans["panics"]["cause"].update(message="SIGQUIT: quit", signal="SIGQUIT", m=5,
                                      goroutine=None, in_cgo=False)
        ans["info"] = "died of   SIGQUIT: quit (PC=0x4831a1 in runtime.futex)\n"
        out = diffs_text(cd.compare_cause_case(ans, dump, SIGNAL_DUMP, [11]))
        for want in ("cause message: expected 'SIGSEGV: segmentation violation', plugin "
                     "'SIGQUIT: quit'", "cause signal: expected 'SIGSEGV', plugin 'SIGQUIT'",
                     "cause goroutine: expected 11, plugin None",
                     "cause m (the dump's m=): expected 3, plugin 5",
                     "cause in_cgo", "go info died of (starts with): expected "
                     "'SIGSEGV: segmentation violation'"):
            self.assertIn(want, out)
        # The fixture names another goroutine than the dump: a harness or fixture bug.
        dump = crashdump.parse(NILPTR_DUMP)
        out = diffs_text(cd.compare_cause_case(cd.fake_cause_answers(dump, NILPTR_DUMP), dump,
                                               NILPTR_DUMP, [12]))
        self.assertIn("the dump's cause goroutine 11 is not the fixture's CAUSE [12]", out)

    def test_two_throwing_threads(self):
        # Both writers of a map threw; their "fatal error:" lines come in either order.
        text = "fatal error: bad map state\n" + MAPWRITES_DUMP
        dump = crashdump.parse(text)
        self.assertEqual(self.cause_of(text).fatal_messages,
                         ["bad map state", "concurrent map writes"])
        ans = cd.fake_cause_answers(dump, text)
        ans["panics"]["cause"]["message"] = "concurrent map writes"
        ans["panics"]["cause"]["others"] = [{"kind": "fatal", "message": "bad map state"}]
        ans["info"] = "died of   fatal error: concurrent map writes (thrown by ...)\n"
        self.assertEqual(cd.compare_cause_case(ans, dump, text, [6]).items, [])
        ans["panics"]["cause"]["others"] = []
        out = diffs_text(cd.compare_cause_case(ans, dump, text, [6]))
        self.assertIn("cause others (every fatal error the dump printed)", out)
        ans["panics"]["cause"]["message"] = "something else"
        out = diffs_text(cd.compare_cause_case(ans, dump, text, [6]))
        self.assertIn("cause message (one of the dump's fatal errors)", out)

    def cause_of(self, text):
        return cd.expected_cause(text, crashdump.parse(text))


def fixture_root():
    return os.environ.get("GOINSPECT_FIXTURE_DIR",
                          os.path.join(HERE, "..", "..", "build", "fixtures", "integration"))


def run_fixture(exe, arg, truth_path=None):
    env = dict(os.environ, GOTRACEBACK="crash", GODEBUG="tracebacklabels=1")
    env.pop(cd.TRUTH_ENV, None)
    if truth_path:
        env[cd.TRUTH_ENV] = truth_path
    p = subprocess.run(["bash", "-c", 'ulimit -c 0; exec "$0" "$1"', exe, arg], env=env,
                       capture_output=True, timeout=120, cwd="/tmp")
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def toolchain_dirs(fixture):
    exes = sorted(glob.glob(os.path.join(fixture_root(), "go1.*", "plain", fixture)),
                  key=lambda p: int(re.search(r"go1\.(\d+)", p).group(1)))
    return exes


class FreshRuns(unittest.TestCase):
    """If the defers and causes fixtures are built, run them (no core) and check what the
    harness reads off them: the truth against the dump, the cause against the fixture's
    CAUSE line, a perfect answer passing."""

    def need(self, fixture):
        exes = toolchain_dirs(fixture)
        if not exes:
            if os.environ.get("GOINSPECT_REQUIRE_FIXTURES"):
                self.fail(f"no {fixture} fixture built under {fixture_root()}")
            self.skipTest(f"no {fixture} fixture built under {fixture_root()}")
        return exes

    def test_defers(self):
        for plain in self.need("defers"):
            minor = int(re.search(r"go1\.(\d+)", plain).group(1))
            for mode in ("plain", "noopt"):
                exe = plain.replace("/plain/", f"/{mode}/")
                if not os.path.exists(exe):
                    continue
                with self.subTest(exe=exe):
                    out, err = run_fixture(exe, "crash")
                    truth = cd.parse_truth(out)
                    dump = crashdump.parse(err)
                    self.assertEqual(cd.check_truth(truth, dump, minor), [])
                    cases = {t.case for t in truth.values()}
                    self.assertEqual("rangefunc" in cases, minor >= 23)
                    self.assertGreaterEqual(len(cases), 16)
                    kinds = {d.kind for t in truth.values() for d in t.defers}
                    self.assertEqual("open-coded" in kinds, mode == "plain")
                    c = cd.expected_cause(err, dump)
                    crasher = [t.goid for t in truth.values() if t.case == "crasher"]
                    self.assertEqual((c.kind, c.message, [c.goroutine]),
                                     ("panic", "defers: crash", crasher))
                    ids = cd.ids_to_ask(truth)
                    ans = cd.fake_answers(truth, dump, err, minor, ids_asked=ids)
                    d = cd.compare(truth, ans, dump, err, minor=minor, live=False, ids_asked=ids)
                    self.assertEqual(d.items, [])

    def test_causes(self):
        exes = self.need("causes")
        expect = {"panic": ("panic", "causes: file does not exist", None),
                  "index": ("panic", "runtime error: index out of range [5] with length 3",
                            None),
                  "nilmap": ("panic", "assignment to entry in nil map", None),
                  "nilptr": ("panic", "runtime error: invalid memory address or nil pointer "
                             "dereference", "SIGSEGV"),
                  "mapwrites": ("fatal", "concurrent map writes", None),
                  "cgosegv": ("signal", "SIGSEGV: segmentation violation", "SIGSEGV")}
        for exe in sorted({exes[0], exes[-1]}):  # the oldest and the newest toolchain
            for how, want in expect.items():
                with self.subTest(exe=exe, how=how):
                    path = f"/tmp/goinspect-selftest-cause-{os.getpid()}.txt"
                    try:
                        _, err = run_fixture(exe, how, path)
                        with open(path) as f:
                            ids = cd.parse_cause_truth(f.read())
                    finally:
                        if os.path.exists(path):
                            os.remove(path)
                    dump = crashdump.parse(err)
                    c = cd.expected_cause(err, dump)
                    self.assertEqual((c.kind, c.message, c.signal), want)
                    self.assertIn(c.goroutine, ids)
                    ans = cd.fake_cause_answers(dump, err)
                    self.assertEqual(cd.compare_cause_case(ans, dump, err, ids).items, [])


if __name__ == "__main__":
    unittest.main()
