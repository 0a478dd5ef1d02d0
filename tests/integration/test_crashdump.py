#!/usr/bin/python3
"""Self-tests of crashdump.py: names, headers, and real dumps of the fixtures from every
Go toolchain (testdata/, made by testdata/regen.sh). Plain unittest, standard library."""

import glob
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crashdump  # noqa: E402
from crashdump import parse_header, print_name, split_call  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")


def samples(pattern="*"):
    """(minor, name, path) of the sample dumps matching go1.*/PATTERN.txt."""
    out = []
    for path in sorted(glob.glob(os.path.join(TESTDATA, "go1.*", pattern + ".txt"))):
        minor = int(re.search(r"go1\.(\d+)", path).group(1))
        out.append((minor, os.path.basename(path)[:-4], path))
    return out


class PrintName(unittest.TestCase):
    def test_gopanic(self):
        for v in (21, 26, 27, None):
            self.assertEqual(print_name("runtime.gopanic", v), "panic")
        self.assertEqual(print_name("runtime.gopanic.func1"), "runtime.gopanic.func1")

    def test_plain_names_unchanged(self):
        for n in ("main.main", "main.main.func1", "main.main.gowrap3", "main.(*worker).park",
                  "runtime.goexit", "internal/runtime/syscall.Syscall6", "sync.(*Mutex).Lock"):
            for v in (21, 27):
                self.assertEqual(print_name(n, v), n)

    def test_generics(self):
        for v in (21, 24, 26, 27, "go1.26.11", None):
            self.assertEqual(print_name("main.genericWait[go.shape.int]", v),
                             "main.genericWait[...]")
            self.assertEqual(print_name("main.(*box[go.shape.string]).wait", v),
                             "main.(*box[...]).wait")
            self.assertEqual(print_name("main.F[go.shape.[]int,go.shape.map[string]int]", v),
                             "main.F[...]")
            self.assertEqual(print_name("main.F[go.shape.int].func1", v), "main.F[...].func1")

    def test_generic_method_of_generic_type(self):
        # Go 1.27 keeps the method name between the two groups; earlier releases eat
        # everything from the first '[' to the last ']'.
        name = "main.T[go.shape.int].M[go.shape.string]"
        self.assertEqual(print_name(name, 26), "main.T[...]")
        self.assertEqual(print_name(name, 27), "main.T[...].M[...]")
        self.assertEqual(print_name(name), "main.T[...].M[...]")
        self.assertEqual(print_name("main.(*T[go.shape.[]int]).M[go.shape.int]", 27),
                         "main.(*T[...]).M[...]")

    def test_malformed(self):
        self.assertEqual(print_name("a]b[c"), "a]b[c")
        self.assertEqual(print_name("a[b"), "a[b")
        self.assertEqual(print_name("a[]]]b", 27), "a[...]b")  # no '[' inside: early out
        self.assertEqual(print_name("a[x[y]b", 27), "a[x[y]b")  # unbalanced: whole name
        self.assertEqual(print_name("a[x[y]b", 26), "a[...]b")

    def test_versions(self):
        self.assertEqual(crashdump.go_minor("go1.26.11"), 26)
        self.assertEqual(crashdump.go_minor("1.21"), 21)
        self.assertEqual(crashdump.go_minor(27), 27)
        self.assertIsNone(crashdump.go_minor(None))

    def test_printed_names_in_dumps_are_fixed_points(self):
        # Printed names, fed back, print the same (the dry run relies on it).
        for minor, _, path in samples("parked.crash"):
            d = crashdump.parse_file(path)
            for g in d.goroutines:
                for f in g.frames:
                    self.assertEqual(print_name(f.function, minor), f.function)


class SplitCall(unittest.TestCase):
    def test_calls(self):
        self.assertEqual(split_call("main.(*T).m(0x1, {0x2, 0x3})"),
                         ("main.(*T).m", "0x1, {0x2, 0x3}"))
        self.assertEqual(split_call("panic({0x489fe0?, 0x4bc510?})"),
                         ("panic", "{0x489fe0?, 0x4bc510?}"))
        self.assertEqual(split_call("runtime.goexit({})"), ("runtime.goexit", "{}"))
        self.assertEqual(split_call("main.recvInlined(...)"), ("main.recvInlined", "..."))
        self.assertEqual(split_call("main.main()"), ("main.main", ""))
        self.assertEqual(split_call("main.(*box[...]).wait(0x0?)"), ("main.(*box[...]).wait", "0x0?"))

    def test_not_calls(self):
        for line in ("created by main.main in goroutine 1", "\tmain.f()", "(x)", "rax    0x0",
                     "...12 frames elided..."):
            self.assertIsNone(split_call(line), line)


class Header(unittest.TestCase):
    def test_121(self):
        g = parse_header("goroutine 18 [chan send]:")
        self.assertEqual((g.id, g.status, g.gp, g.m, g.m_printed), (18, "chan send", None, None, False))

    def test_gp_m(self):
        g = parse_header("goroutine 1 gp=0xc0000061c0 m=3 mp=0xc000048e08 [running]:")
        self.assertEqual((g.id, g.status, g.gp, g.m, g.mp), (1, "running", 0xc0000061c0, 3, 0xc000048e08))
        g = parse_header("goroutine 7 gp=0x127c12975860 m=nil [chan receive, locked to thread]:")
        self.assertEqual((g.status, g.m, g.m_printed, g.locked_to_thread), ("chan receive", None, True, True))

    def test_suffixes(self):
        g = parse_header("goroutine 5 [chan receive (nil chan), 12 minutes, locked to thread]:")
        self.assertEqual((g.status, g.wait_minutes, g.locked_to_thread), ("chan receive (nil chan)", 12, True))
        g = parse_header("goroutine 9 gp=0x1 m=nil [sync.Mutex.Lock (leaked), 3 minutes]:")
        self.assertEqual((g.status, g.leaked, g.wait_minutes), ("sync.Mutex.Lock", True, 3))
        g = parse_header("goroutine 9 [GC worker (idle) (scan)]:")
        self.assertEqual((g.status, g.scan), ("GC worker (idle)", True))
        g = parse_header("goroutine 9 [select (no cases) (durable), synctest bubble 3]:")
        self.assertEqual((g.status, g.durable, g.bubble), ("select (no cases) (durable)", True, 3))
        g = parse_header("goroutine 9 [chan receive (durable), synctest bubble 4]:")
        self.assertEqual((g.status, g.durable, g.bubble), ("chan receive (durable)", True, 4))
        g = parse_header("goroutine 3 [syscall, 2 minutes]:")
        self.assertEqual((g.status, g.wait_minutes), ("syscall", 2))

    def test_labels(self):
        g = parse_header('goroutine 39 gp=0x1 m=nil [chan receive labels:{"k": "v", "a b": "c]d"}]:')
        self.assertEqual((g.status, g.labels), ("chan receive", {"k": "v", "a b": "c]d"}))
        g = parse_header('goroutine 41 gp=0x1 m=nil [select, locked to thread] {k: v, x: "y z"}:')
        self.assertEqual((g.status, g.locked_to_thread, g.labels), ("select", True, {"k": "v", "x": "y z"}))

    def test_not_headers(self):
        for line in ("goroutine running on other thread; stack unavailable", "goroutine 0x1",
                     "created by main.main in goroutine 1"):
            self.assertIsNone(parse_header(line))


class RealDumps(unittest.TestCase):
    """Every sample: structural invariants that hold for any goroutine dump."""

    def test_have_samples(self):
        minors = {m for m, _, _ in samples()}
        self.assertTrue({21, 27} <= minors, f"testdata has {sorted(minors)}")

    def test_invariants(self):
        for minor, name, path in samples():
            with self.subTest(sample=f"go1.{minor}/{name}"):
                d = crashdump.parse_file(path)
                self.assertEqual(d.unparsed, [])
                self.assertTrue(d.goroutines)
                self.assertEqual(d.go_minor, minor)
                ids = [g.id for g in d.goroutines]
                self.assertEqual(len(ids), len(set(ids)), "goroutine ids unique")
                self.assertNotIn(0, ids)
                self.assertIn(1, ids)
                for g in d.goroutines + d.g0_stacks:
                    self.assertEqual(g.errors, [], f"goroutine {g.id}")
                    if g.stack_unavailable:
                        self.assertEqual(g.frames, [])
                        continue
                    self.assertTrue(g.frames, f"goroutine {g.id} has frames")
                    for f in g.frames:
                        self.assertTrue(f.file.startswith("/") or f.file == "<autogenerated>",
                                        f"{f}")
                        self.assertGreater(f.line, 0)
                        if f.inlined:
                            self.assertEqual((f.offset, f.pc, f.args), (None, None, "..."))
                        else:
                            # GOTRACEBACK=crash/system, or a SIGQUIT at any level (handling
                            # it is a runtime throw, which raises the level to 2)
                            self.assertIsNotNone(f.pc, f"{f} has pc")
                            self.assertLessEqual(f.sp, f.fp)
                    if not g.is_g0 and g.elision is None:
                        self.assertEqual(g.frames[-1].function, "runtime.goexit",
                                         f"goroutine {g.id} starts in goexit")
                    if g.is_g0:
                        self.assertRegex(g.frames[-1].function,
                                         r"^runtime\.(mstart|mcall|morestack|rt0_go|systemstack)")
                for g in d.goroutines:
                    if g.id == 1:
                        self.assertIsNone(g.created_by)
                    else:
                        self.assertIsNotNone(g.created_by, f"goroutine {g.id} created by")
                        self.assertTrue(g.created_by.file.startswith("/"))
                        self.assertIsNotNone(g.created_by.goid)
                    # gp/m printed from 1.22 (level 2 or a throwing M, see above)
                    self.assertEqual(g.gp is not None, minor >= 22,
                                     f"goroutine {g.id} gp printed")

    def test_sigquit_at_level_all_shows_runtime_frames(self):
        # GOTRACEBACK=all is level 1 (runtime frames hidden), but a SIGQUIT is handled as a
        # runtime throw, which prints at level 2 anyway: runtime.gopark, fp/sp/pc.
        for minor, name, path in samples("parked.quit-all"):
            d = crashdump.parse_file(path)
            for g in d.goroutines:
                if g.created_by and g.created_by.function == "main.main" and \
                        g.status != "syscall":
                    self.assertEqual(g.frames[0].function, "runtime.gopark")
                    self.assertIsNotNone(g.frames[0].pc)


class Fixtures(unittest.TestCase):
    """What each fixture's dump must show, in every release it was captured from."""

    def test_parked(self):
        for minor, _, path in samples("parked.crash"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                self.assertEqual(d.panics, ["fixture parked: crash"])
                first = d.goroutines[0]
                self.assertEqual((first.id, first.status), (1, "running"))
                self.assertEqual(first.frames[0].function, "panic")
                self.assertEqual(first.frames[1].function, "main.main")
                states = {}
                for g in d.goroutines:
                    user = [f.function for f in g.frames if f.function.startswith("main.")]
                    if user:
                        states[user[0]] = g
                want = {
                    "main.unbufferedSend": "chan send",
                    "main.unbufferedRecv": "chan receive",
                    "main.bufferedFullSend": "chan send",
                    "main.rangeOverChan": "chan receive",
                    "main.selectWithCases": "select",
                    "main.selectNoCases": "select (no cases)",
                    "main.nilChanRecv": "chan receive (nil chan)",
                    "main.mutexWaiter": "sync.Mutex.Lock",
                    "main.rwWriter": "sync.RWMutex.Lock",
                    "main.rwReader": "sync.RWMutex.RLock",
                    "main.waitGroupWait": "semacquire" if minor < 24 else "sync.WaitGroup.Wait",
                    "main.condWait": "sync.Cond.Wait",
                    "main.sleeper": "sleep",
                    "main.lockedToThread": "chan receive",
                    "main.genericWait[...]": "chan receive",
                    "main.(*box[...]).wait": "chan receive",
                    "main.(*worker).park": "chan receive",
                    "main.recvInlined": "chan receive",
                    "main.labelled.func1": "chan receive",
                }
                for fn, state in want.items():
                    self.assertIn(fn, states, f"a goroutine parked in {fn}")
                    self.assertEqual(states[fn].status, state, fn)
                self.assertTrue(states["main.lockedToThread"].locked_to_thread)
                self.assertEqual(sum(g.locked_to_thread for g in d.goroutines), 1)
                inl = states["main.recvInlined"]
                i = [f.function for f in inl.frames].index("main.recvInlined")
                self.assertTrue(inl.frames[i].inlined)
                self.assertEqual(inl.frames[i + 1].function, "main.inlinedCaller")
                self.assertFalse(inl.frames[i + 1].inlined)
                labelled = states["main.labelled.func1"]
                self.assertEqual(labelled.labels, {} if minor < 26 else
                                 {"fixture": "parked", "note": 'has spaces, commas: and "quotes"'})
                # wrappers of go statements with arguments
                wrap = states["main.unbufferedSend"].frames[-2].function
                self.assertRegex(wrap, r"^main\.main\.func\d+$" if minor == 21 else
                                 r"^main\.main\.gowrap\d+$")
                self.assertEqual(d.goroutines[-1].frames[-1].function, "runtime.goexit")

    def test_deferpanic(self):
        for minor, _, path in samples("deferpanic.crash"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                self.assertEqual(d.panics, ["crasher: first panic",
                                            "crasher: second panic, raised by a deferred call"])
                first = d.goroutines[0]
                self.assertNotEqual(first.id, 1)
                self.assertEqual(first.status, "running")
                fns = [f.function for f in first.frames]
                self.assertEqual(fns[0], "panic")
                self.assertEqual(fns.count("panic"), 2)
                self.assertIn("main.crasher", fns)
                nested = [g for g in d.goroutines
                          if any(f.function == "main.nestedPanicParked" for f in g.frames)]
                self.assertEqual(len(nested), 1)
                self.assertEqual([f.function for f in nested[0].frames].count("panic"), 2)
                self.assertEqual(nested[0].status, "chan receive")

    def test_overflow(self):
        for minor, _, path in samples("overflow.crash"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                self.assertEqual(d.fatal_error, "stack overflow")
                self.assertIn("runtime: goroutine stack exceeds 1048576-byte limit",
                              d.runtime_messages)
                sp, lo, hi = d.overflow_stack
                self.assertTrue(lo <= sp < hi)
                self.assertEqual(len(d.g0_stacks), 1)
                self.assertEqual(d.g0_stacks[0].header, "runtime stack:")
                self.assertIn("runtime.newstack", [f.function for f in d.g0_stacks[0].frames])
                g = d.goroutines[0]
                self.assertEqual(g.status, "running")
                self.assertEqual(len(g.frames), 100)
                self.assertEqual(g.elision.index, 50)
                self.assertGreater(g.elision.count, 5000)
                self.assertEqual(g.frames[0].function, "main.grow")
                self.assertEqual(g.frames[-1].function, "runtime.goexit")
                self.assertIn("main.overflow", [f.function for f in g.frames[-3:]])

    def test_deadlock(self):
        for minor, _, path in samples("deadlock.crash"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                self.assertEqual(d.fatal_error, "all goroutines are asleep - deadlock!")
                self.assertEqual(d.g0_stacks[0].header, "runtime stack:")
                self.assertIn("runtime.checkdead", [f.function for f in d.g0_stacks[0].frames])
                self.assertFalse([g for g in d.goroutines if g.status in ("running", "runnable")])
                self.assertEqual(d.goroutines[0].id, 1)

    def test_recursion_elision(self):
        for minor, _, path in samples("recursion.crash"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                seen_elided = seen_whole = 0
                for g in d.goroutines:
                    fns = [f.function for f in g.frames]
                    if "main.deep" not in fns:
                        continue
                    # the outermost printed frames are deep(n) <- wrapper <- goexit
                    if g.elision:
                        seen_elided += 1
                        self.assertEqual(len(g.frames), 100)
                        self.assertEqual(g.elision.index, 50)
                    else:
                        seen_whole += 1
                        self.assertLessEqual(len(g.frames), 100)
                # deep(200) and the boundary depths: some elided, some printed whole
                self.assertGreaterEqual(seen_elided, 2)
                self.assertGreaterEqual(seen_whole, 1)
                depth200 = [g for g in d.goroutines if g.elision and g.elision.count > 90]
                self.assertEqual(len(depth200), 1)
                pingpong = [g for g in d.goroutines if any(f.function == "main.pong" for f in g.frames)]
                self.assertEqual(len(pingpong), 1)
                self.assertIsNone(pingpong[0].elision)
                fns = [f.function for f in pingpong[0].frames if f.function.startswith("main.p")]
                self.assertEqual(fns[:4], ["main.ping", "main.pong", "main.ping", "main.pong"])

    def test_syscalls(self):
        for minor, _, path in samples("syscalls.quit-system"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                self.assertEqual(d.signal, "SIGQUIT: quit")
                self.assertEqual(d.panics, [])
                states = sorted(g.state for g in d.goroutines
                                if g.created_by and g.created_by.function == "main.main")
                self.assertIn("syscall", states)
                self.assertIn("syscall, locked to thread", states)
                self.assertEqual(states.count("IO wait"), 2)

    def test_running_thread_sections(self):
        for minor, _, path in samples("running.quit-crash"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                self.assertEqual(d.signal, "SIGQUIT: quit")
                self.assertIsNotNone(d.first_thread.pc)
                self.assertIn("rip", d.first_thread.registers)
                unavailable = [g for g in d.goroutines if g.stack_unavailable]
                self.assertEqual(len(unavailable), 1)
                spinner = unavailable[0]
                self.assertEqual(spinner.status, "running")
                self.assertEqual(spinner.created_by.function, "main.main")
                t = d.thread_goroutine(spinner.id)
                self.assertIsNotNone(t, "the spinner's own thread section")
                self.assertEqual(t.frames[0].function, "main.spin")
                self.assertEqual(t.frames[-1].function, "runtime.goexit")
                self.assertIsNotNone(t.created_by)
                self.assertGreaterEqual(len(d.threads), 2)
                for th in d.threads:
                    self.assertEqual(th.signal, "SIGQUIT: quit")
                    self.assertIsNotNone(th.m)
                    self.assertIn("rip", th.registers)
                    self.assertTrue(th.goroutines)
                # the thread running the spinner says so in its PC line too
                owners = [th for th in d.threads if any(g.id == spinner.id for g in th.goroutines)]
                self.assertEqual(len(owners), 1)
                if spinner.m_printed:
                    self.assertEqual(owners[0].m, spinner.m)
                self.assertEqual(owners[0].pc, t.frames[0].pc)
                # goroutine 1 (main, locked to the main thread, asleep)
                self.assertTrue(d.by_id()[1].locked_to_thread)

    def test_ancestors(self):
        for minor, _, path in samples("parked.ancestors"):
            with self.subTest(go=minor):
                d = crashdump.parse_file(path)
                with_anc = [g for g in d.goroutines if g.ancestors]
                self.assertTrue(with_anc)
                for g in with_anc:
                    self.assertLessEqual(len(g.ancestors), 2)
                    for a in g.ancestors:
                        self.assertTrue(a.frames)
                        for f in a.frames:
                            self.assertFalse(f.inlined)  # "(...)" there is not inlining
                            self.assertIsNotNone(f.offset)
                # the goroutines' own frames are unaffected
                self.assertEqual(with_anc[0].frames[-1].function, "runtime.goexit")


class FreshDumps(unittest.TestCase):
    """If fixtures are built (GOINSPECT_FIXTURE_DIR, default build/fixtures/integration),
    parse a fresh dump from every toolchain there: catches drift the samples predate."""

    def test_fresh(self):
        root = os.environ.get("GOINSPECT_FIXTURE_DIR",
                              os.path.join(HERE, "..", "..", "build", "fixtures", "integration"))
        exes = sorted(glob.glob(os.path.join(root, "go1.*", "plain", "parked")))
        if not exes:
            # Under CTest the fixtures must be there (scripts/test.sh builds them first).
            if os.environ.get("GOINSPECT_REQUIRE_FIXTURES"):
                self.fail(f"no fixtures built under {root}: run tests/fixtures/build.sh {root}")
            self.skipTest(f"no fixtures built under {root}")
        for exe in exes:
            with self.subTest(exe=exe):
                # GOGC=off: after the fixture's own GC and settling, no runtime goroutine
                # has work left that could have it running, stack unavailable, at the crash.
                env = dict(os.environ, GOTRACEBACK="crash", GODEBUG="tracebacklabels=1",
                           GOGC="off")
                env.pop("GOMEMLIMIT", None)
                p = subprocess.run(["bash", "-c", 'ulimit -c 0; exec "$0" crash', exe],
                                   env=env, capture_output=True, timeout=120, cwd="/tmp")
                d = crashdump.parse(p.stderr.decode("utf-8", "replace"))
                self.assertEqual(d.unparsed, [])
                self.assertEqual(d.panics, ["fixture parked: crash"])
                self.assertGreater(len(d.goroutines), 20)
                for g in d.goroutines:
                    self.assertEqual(g.errors, [])
                    self.assertTrue(g.frames)


if __name__ == "__main__":
    unittest.main()
