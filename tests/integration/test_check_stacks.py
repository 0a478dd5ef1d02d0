#!/usr/bin/python3
"""Self-tests of check_stacks.py's comparison: a perfect answer (faked from a real dump)
passes, and each kind of wrong answer fails with a message naming the goroutine, the
field and both values. Plain unittest, standard library, no plugin needed."""

import copy
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_stacks as cs  # noqa: E402
import crashdump  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")
SAMPLES = {  # sample name -> case
    "overflow.crash": ("overflow", "crash"),
    "overflow.crash-default": ("overflow", "crash-default"),
    "recursion.crash": ("recursion", "crash"),
    "parked.crash": ("parked", "crash"),
}


def load(minor, name):
    d = crashdump.parse_file(os.path.join(TESTDATA, f"go1.{minor}", name + ".txt"))
    case = SAMPLES[name]
    stacks, info, frames = cs.fake_plugin(d, "go1.x", cs.frame_ids(d, case))
    return d, case, stacks, info, frames


def goroutine(stacks, goid):
    return next(g for g in stacks["goroutines"] if g["id"] == goid)


def user_goroutine(dump, fn):
    return next(g for g in dump.goroutines if any(f.function == fn for f in g.frames))


class Compare(unittest.TestCase):
    def check(self, minor, d, case, stacks, info, frames, expect=()):
        diffs = cs.compare(d, stacks, info, frames, case=case, minor=minor, go_version="go1.x")
        text = "\n".join(diffs.items)
        if not expect:
            self.assertEqual(diffs.items, [])
        for e in expect:
            self.assertIn(e, text)
        return diffs

    def test_perfect_answers_pass(self):
        n = 0
        for minor in range(21, 28):
            for name in SAMPLES:
                if not os.path.exists(os.path.join(TESTDATA, f"go1.{minor}", name + ".txt")):
                    continue
                with self.subTest(go=minor, dump=name):
                    self.check(minor, *load(minor, name))
                    n += 1
        self.assertGreaterEqual(n, 10)

    def test_overflow_expectations(self):
        for minor, name, fn, limit in ((27, "overflow.crash", "main.grow", 1 << 20),
                                       (21, "overflow.crash-default", "main.growBig", 10**9)):
            d, case, stacks, info, frames = load(minor, name)
            o = stacks["overflow"]
            g = d.goroutines[0]
            self.assertEqual(o["goroutine"], g.id)
            self.assertEqual(o["limit_bytes"], limit)
            self.assertEqual(o["recursion"]["functions"], [fn])
            self.assertEqual(o["recursion"]["repeats"],
                             len([f for f in g.frames if f.function == fn]) + g.elision.count)
            self.assertEqual(o["entered_from"]["function"], "main.overflow" +
                             ("Big" if fn.endswith("Big") else ""))
            self.assertEqual(stacks["fatal"]["thrower"], "runtime.newstack")

    def test_wrong_goroutine_fields(self):
        d, case, stacks, info, frames = load(27, "parked.crash")
        g = user_goroutine(d, "main.sleeper")
        pg = goroutine(stacks, g.id)
        pg["sp"] = hex(int(pg["sp"], 16) + 8)
        pg["frames"] += 1
        pg["state"] = "sleeping"
        self.check(27, d, case, stacks, info, frames, expect=[
            f"goroutine {g.id}: sp (innermost frame's): dump",
            f"goroutine {g.id}: frames: dump '{len(g.frames)}', plugin {len(g.frames) + 1}",
            f"goroutine {g.id}: state: dump 'sleep', plugin 'sleeping'",
            f"goroutine {g.id}: used_bytes (hi - sp)"])

    def test_sysmon_woken_runtime_goroutine(self):
        # sysmon may wake the scavenger or the forced-GC helper after the dump is printed:
        # runnable in the core, with its parked stack. Any other change of state is a fault.
        d, case, stacks, info, frames = load(27, "parked.crash")
        g = next(g for g in d.goroutines if g.status in cs.cg.SYSMON_WAKES)
        pg = goroutine(stacks, g.id)
        pg["status"], pg["state"] = "runnable", "runnable"
        diffs = self.check(27, d, case, stacks, info, frames)
        self.assertTrue(any("woken by sysmon" in n for n in diffs.notes))
        pg["status"], pg["state"] = "running", "running"
        self.check(27, d, case, stacks, info, frames, expect=[
            f"goroutine {g.id}: state: dump '{g.status}', plugin 'running'"])
        pg["status"], pg["state"] = "waiting", g.status
        u = user_goroutine(d, "main.sleeper")
        pu = goroutine(stacks, u.id)
        pu["status"], pu["state"] = "runnable", "runnable"
        self.check(27, d, case, stacks, info, frames, expect=[
            f"goroutine {u.id}: state: dump 'sleep', plugin 'runnable'"])

    def test_elided_frames_count(self):
        d, case, stacks, info, frames = load(27, "recursion.crash")
        g = next(g for g in d.goroutines if g.elision and g.elision.count > 90)
        goroutine(stacks, g.id)["frames"] = len(g.frames)
        self.check(27, d, case, stacks, info, frames, expect=[
            f"goroutine {g.id}: frames: dump '100 + {g.elision.count} elided', plugin 100"])

    def test_wrong_recursion(self):
        d, case, stacks, info, frames = load(21, "recursion.crash")
        tri = user_goroutine(d, "main.tri1")
        goroutine(stacks, tri.id)["recursion"]["repeats"] = 11
        ping = user_goroutine(d, "main.pong")
        goroutine(stacks, ping.id)["recursion"]["functions"] = ["main.pong", "main.ping"]
        leaf = user_goroutine(d, "main.withInlinedLeaf")
        goroutine(stacks, leaf.id)["recursion"] = None
        worker = next(g for g in d.goroutines if g.status == "GC worker (idle)")
        goroutine(stacks, worker.id)["recursion"] = {"functions": ["runtime.gopark"],
                                                     "cycle_frames": 1, "repeats": 2}
        self.check(21, d, case, stacks, info, frames, expect=[
            f"goroutine {tri.id}: recursion.repeats: dump 10, plugin 11 (32 frames",
            f"goroutine {ping.id}: recursion.functions: dump ['main.ping', 'main.pong']",
            f"goroutine {leaf.id}: recursion: dump \"['main.withInlinedLeaf'] x 11\", plugin None",
            f"goroutine {worker.id}: recursion: dump None",
            f"goroutine {tri.id}: recursion: go stacks " "{'functions': ['main.tri1'"])

    def test_entered_from_and_bytes_per_cycle(self):
        d, case, stacks, info, frames = load(27, "recursion.crash")
        g = user_goroutine(d, "main.ping")
        rec = goroutine(stacks, g.id)["recursion"]
        rec["entered_from"]["function"] = "main.main"
        rec["bytes_per_cycle"] += 8
        self.check(27, d, case, stacks, info, frames, expect=[
            f"goroutine {g.id}: recursion.entered_from: dump 'main.main.gowrap2', plugin "
            "'function main.main.gowrap2 vs main.main'",
            f"goroutine {g.id}: recursion.bytes_per_cycle"])

    def test_overflow_mismatches(self):
        d, case, stacks, info, frames = load(24, "overflow.crash")
        g = d.goroutines[0]
        pg = goroutine(stacks, g.id)
        pg["sp"] = hex(int(pg["sp"], 16) + 8)  # the innermost frame's sp, not newstack's
        o = stacks["overflow"]
        o["limit_bytes"] = 1000000000
        o["entered_from"] = dict(o["entered_from"], function="main.grow")
        stacks["fatal"]["kind"] = "fatal error"
        stacks["max_stack_bytes"] = 1000000000
        self.check(24, d, case, stacks, info, frames, expect=[
            f"goroutine {g.id}: sp (runtime: sp=... stack=[...]): dump '{hex(d.overflow_stack[0])}'",
            f"goroutine {g.id}: overflow.limit_bytes: dump 1048576, plugin 1000000000",
            f"goroutine {g.id}: overflow.entered_from: dump 'main.overflow'",
            "fatal.kind: dump 'stack overflow', plugin 'fatal error'",
            "fatal: go stacks {'kind': 'fatal error'",
            "max_stack_bytes: dump 1048576, plugin 1000000000"])

    def test_overflow_goroutine_and_frames(self):
        d, case, stacks, info, frames = load(27, "overflow.crash-default")
        g = d.goroutines[0]
        stacks["overflow"]["goroutine"] = 1
        stacks["fatal"]["goroutine"] = 1
        info["fatal"] = stacks["fatal"]
        fj = frames[g.id]
        fj["frames"][3]["size_bytes"] += 16
        fj["frames"][-3]["fp"] = hex(int(fj["frames"][-3]["fp"], 16) + 8)
        del fj["frames"][60]
        self.check(27, d, case, stacks, info, frames, expect=[
            f"goroutine {g.id}: overflow.goroutine: dump {g.id}, plugin 1",
            f"fatal.goroutine: dump {g.id}, plugin 1",
            f"goroutine {g.id}: go frames #3 size_bytes (fp - sp)",
            f"goroutine {g.id}: number of frames: go stacks {len(fj['frames']) + 1}, go frames ",
            f"(dump frame {len(g.frames) - 3})"])

    def test_order_and_histogram(self):
        d, case, stacks, info, frames = load(26, "parked.crash")
        stacks["goroutines"].reverse()
        stacks["histogram"][0]["goroutines"] += 1
        stacks["histogram"].append({"size_bytes": 3000, "goroutines": 0, "total_bytes": 0})
        self.check(26, d, case, stacks, info, frames, expect=[
            "goroutines order (used_bytes descending)",
            f"histogram bucket {stacks['histogram'][0]['size_bytes']}",
            "histogram goroutines (sum)",
            "histogram bucket size_bytes (a power of two): dump '2^k', plugin 3000"])

    def test_missing_goroutine_and_fields(self):
        d, case, stacks, info, frames = load(22, "parked.crash")
        gone = stacks["goroutines"].pop(3)
        del stacks["goroutines"][0]["next_size_bytes"]
        self.check(22, d, case, stacks, info, frames, expect=[
            f"goroutine {gone['id']}: in the dump", "missing from go stacks",
            f"goroutine {stacks['goroutines'][0]['id']}: next_size_bytes (missing)"])

    def test_fixture_drift_is_reported(self):
        # A recursion dump from before tri1/tri2/tri3 existed: the fixture's expectations
        # no longer match it, and the check says so rather than passing.
        d, case, stacks, info, frames = load(27, "recursion.crash")
        tri = user_goroutine(d, "main.tri1")
        d.goroutines.remove(tri)
        stacks["goroutines"] = [g for g in stacks["goroutines"] if g["id"] != tri.id]
        frames.pop(tri.id)
        self.check(27, d, case, stacks, info, frames, expect=[
            "fixture: it makes goroutines with [32] frames of main.tri1/main.tri2/main.tri3, "
            "the dump shows []"])


class DumpSide(unittest.TestCase):
    def test_elided_frames_checked(self):
        d = crashdump.parse_file(os.path.join(TESTDATA, "go1.27", "overflow.crash.txt"))
        g = d.goroutines[0]
        self.assertEqual(cs.elided_function(g), ("main.grow", None))
        g2 = copy.deepcopy(g)
        g2.elision.count += 1  # the gap between the printed sides no longer fits
        fn, why = cs.elided_function(g2)
        self.assertIsNone(fn)
        self.assertIn("elided frames span", why)

    def test_find_cycle(self):
        # innermost first, as in the dump
        self.assertEqual(cs.find_cycle(["gopark", "a", "b", "a", "b", "a", "main", "exit"]),
                         (2, 5, 2))
        self.assertEqual(cs.find_cycle(["gopark", "chanrecv", "f", "g", "exit"]), None)


if __name__ == "__main__":
    unittest.main()
