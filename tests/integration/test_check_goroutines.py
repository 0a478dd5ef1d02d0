#!/usr/bin/python3
"""Self-tests of check_goroutines.py's comparison: a perfect answer (faked from a real
dump) passes, and each kind of wrong answer fails with a message naming the goroutine,
the field and both values. Plain unittest, standard library, no plugin needed."""

import copy
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_goroutines as cg  # noqa: E402
import crashdump  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")


def load(minor, name):
    return crashdump.parse_file(os.path.join(TESTDATA, f"go1.{minor}", name + ".txt"))


def by_id(res, goid):
    return next(g for g in res["goroutines"] if g["id"] == goid)


def user_goroutine(dump, fn):
    """The goroutine whose frames include function fn (as printed)."""
    return next(g for g in dump.goroutines if any(f.function == fn for f in g.frames))


class Compare(unittest.TestCase):
    def check(self, dump, res, minor, live=False, expect=()):
        diffs = cg.compare(dump, res, minor=minor, live=live, go_version="go1.x")
        if not expect:
            self.assertEqual(diffs.items, [])
        else:
            text = "\n".join(diffs.items)
            for e in expect:
                self.assertIn(e, text)
        return diffs

    def test_perfect_answers_pass(self):
        for minor in (21, 22, 23, 24, 25, 26, 27):
            for name in ("parked.crash", "deferpanic.crash", "running.quit-crash",
                         "overflow.crash", "deadlock.crash", "recursion.crash",
                         "syscalls.quit-system"):
                path = os.path.join(TESTDATA, f"go1.{minor}", name + ".txt")
                if not os.path.exists(path):
                    continue
                with self.subTest(go=minor, dump=name):
                    d = crashdump.parse_file(path)
                    self.check(d, cg.fake_plugin_json(d, "go1.x"), minor)

    def test_symbol_names_map_to_printed_names(self):
        d = load(26, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        g = user_goroutine(d, "main.genericWait[...]")
        pg = by_id(res, g.id)
        for f in pg["frames"]:
            if f["function"] == "main.genericWait[...]":
                f["function"] = "main.genericWait[go.shape.int]"
        crash = by_id(res, 1)
        for f in crash["frames"]:
            if f["function"] == "panic":
                f["function"] = "runtime.gopanic"
        self.check(d, res, 26)

    def test_missing_and_extra_goroutines(self):
        d = load(27, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        gone = res["goroutines"].pop(5)
        extra = copy.deepcopy(res["goroutines"][3])
        extra["id"] = 99999
        res["goroutines"].append(extra)
        self.check(d, res, 27, expect=[f"goroutine {gone['id']}: in the dump",
                                       "missing from the plugin",
                                       "goroutine 99999: listed by the plugin"])

    def test_wrong_fields(self):
        d = load(26, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        g = user_goroutine(d, "main.unbufferedRecv")
        pg = by_id(res, g.id)
        pg["frames"][0]["pc"] = hex(int(pg["frames"][0]["pc"], 16) + 1)
        pg["frames"][1]["line"] += 1
        pg["frames"][2]["file"] = "/elsewhere.go"
        pg["frames"][3]["sp"] = "0x10"
        pg["frames"][4]["args"] = "0x1"
        pg["wait_reason"] = "chan send"
        pg["locked_to_thread"] = True
        pg["gp"] = "0x1"
        pg["m"] = 7
        pg["created_by"]["line"] += 1
        pg["created_by"]["goid"] = 5
        diffs = self.check(d, res, 26, expect=[
            f"goroutine {g.id}: frame 0 (runtime.gopark) pc: dump",
            f"goroutine {g.id}: frame 1 (runtime.chanrecv) line: dump",
            f"goroutine {g.id}: frame 2 (runtime.chanrecv1) file: dump",
            f"goroutine {g.id}: frame 3 (main.unbufferedRecv) sp",
            f"goroutine {g.id}: frame 4 (main.main.gowrap2) args: dump '', plugin '0x1'",
            f"goroutine {g.id}: state: dump 'chan receive', plugin 'chan send",
            f"goroutine {g.id}: locked to thread: dump False, plugin True",
            f"goroutine {g.id}: gp:", f"goroutine {g.id}: m: dump None, plugin 7",
            f"goroutine {g.id}: created_by line", f"goroutine {g.id}: created_by goroutine"])
        self.assertEqual(len(diffs.items), 11)

    def test_inlined_flag(self):
        d = load(27, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        g = user_goroutine(d, "main.recvInlined")
        pg = by_id(res, g.id)
        for f in pg["frames"]:
            if f["function"] == "main.recvInlined":
                f["inlined"] = False
        self.check(d, res, 27, expect=[f"goroutine {g.id}: frame 3 (main.recvInlined) inlined: "
                                       "dump True, plugin False"])

    def test_state_words(self):
        d = load(24, "syscalls.quit-system")
        res = cg.fake_plugin_json(d, "go1.x")
        g = next(g for g in d.goroutines if g.status == "syscall")
        pg = by_id(res, g.id)
        self.assertEqual((pg["status"], pg["wait_reason"]), ("syscall", ""))
        pg["status"], pg["wait_reason"] = "waiting", "syscall"  # same text, other status
        self.check(d, res, 24)
        pg["status"], pg["wait_reason"] = "running", "IO wait"
        self.check(d, res, 24, expect=[f"goroutine {g.id}: state: dump 'syscall', plugin 'running"])

    def test_sysmon_woken_runtime_goroutine(self):
        d = load(24, "syscalls.quit-system")
        res = cg.fake_plugin_json(d, "go1.x")
        g = next((g for g in d.goroutines if g.status in cg.SYSMON_WAKES), None)
        self.assertIsNotNone(g, "the dump has a scavenger or forcegc goroutine")
        pg = by_id(res, g.id)
        pg["status"], pg["wait_reason"] = "runnable", ""
        diffs = self.check(d, res, 24)  # woken after the dump: a note, not a difference
        self.assertTrue(any("woken by sysmon" in n for n in diffs.notes))
        pg["status"], pg["wait_reason"] = "running", ""
        self.check(d, res, 24, expect=[f"goroutine {g.id}: state: dump '{g.status}', plugin 'running"])

    def test_live_sysmon_wakes_after_the_attach(self):
        # Live, the dump comes after the plugin's look: sysmon may wake the scavenger in
        # between. Only live, and only for the goroutines sysmon readies.
        d = load(27, "syscalls.quit-system")
        g = next(g for g in d.goroutines if g.status == "GC scavenge wait")
        g.status = "runnable"
        res = cg.fake_plugin_json(d, "go1.x")
        pg = by_id(res, g.id)
        pg["status"], pg["wait_reason"] = "waiting", "GC scavenge wait"
        diffs = self.check(d, res, 27, live=True)
        self.assertTrue(any("woken by sysmon after the plugin looked" in n for n in diffs.notes))
        self.check(d, res, 27, expect=[f"goroutine {g.id}: state: dump 'runnable'"])
        user = user_goroutine(d, "main.main")
        other = next(x for x in d.goroutines if x.id not in (g.id, user.id) and
                     x.status not in cg.SYSMON_WAKES + ("running",))
        other_status = other.status
        other.status = "runnable"
        self.check(d, res, 27, live=True, expect=[f"goroutine {other.id}: state: dump 'runnable', "
                                                  f"plugin '{other_status}'"])

    def test_live_main_on_its_way_from_ready(self):
        # main prints READY just before it parks in settle.HangForever: the attach may find
        # it running, runnable or in the write; the dump has it parked there.
        d = load(27, "syscalls.quit-system")
        main = user_goroutine(d, "main.main")
        self.assertEqual(main.id, 1)
        for f in main.frames:
            if f.function == "main.hangForever":  # this sample predates settle.HangForever
                f.function = cg.HANG_FOREVER
        res = cg.fake_plugin_json(d, "go1.x")
        pg = by_id(res, 1)
        for st in ("running", "runnable", "syscall"):
            pg.update(status=st, wait_reason=None, m=3, frames=pg["frames"][2:])
            diffs = self.check(d, res, 27, live=True)
            self.assertTrue(any(n.startswith(f"goroutine 1: {st} at the attach") for n in diffs.notes))
            # Not in a core, nor when the dump does not have it parked in HangForever.
            self.check(d, res, 27, expect=[f"goroutine 1: state: dump 'sleep', plugin '{st}'"])
        pg["gp"] = "0x1"
        self.check(d, res, 27, live=True, expect=["goroutine 1: gp"])
        for f in main.frames:
            if f.function == cg.HANG_FOREVER:
                f.function = "main.hangForever"
        self.check(d, res, 27, live=True, expect=["goroutine 1: state: dump 'sleep', plugin 'syscall'"])

    def test_live_wait_minutes(self):
        d = load(27, "syscalls.quit-system")
        res = cg.fake_plugin_json(d, "go1.x")
        g = next(g for g in d.goroutines if g.status == "chan receive")
        g.wait_minutes = 4
        by_id(res, g.id)["wait_since_minutes"] = 1
        self.check(d, res, 27, expect=[f"goroutine {g.id}: wait minutes: dump 4, plugin 1"])
        self.check(d, res, 27, live=True, expect=[f"goroutine {g.id}: wait minutes (live: dump "
                                                  "may be up to 1 ahead): dump 4, plugin 1"])
        diffs = cg.compare(d, res, minor=27, live=True, go_version="go1.x", live_minutes=3)
        self.assertEqual(diffs.items, [])
        by_id(res, g.id)["wait_since_minutes"] = 5  # the dump, later, cannot be behind
        diffs = cg.compare(d, res, minor=27, live=True, go_version="go1.x", live_minutes=3)
        self.assertEqual(len(diffs.items), 1)
        self.assertEqual([cg.live_minutes_between(s) for s in (0.5, 59, 60, 61, 130)],
                         [1, 1, 1, 2, 3])

    def test_crashing_goroutine_extra_frames(self):
        d = load(25, "deferpanic.crash")
        crash = cg.crashing_goroutine(d)
        self.assertIsNotNone(crash)
        self.assertNotEqual(crash.id, 1)
        res = cg.fake_plugin_json(d, "go1.x", crashing_extra=False)
        self.check(d, res, 25)
        res = cg.fake_plugin_json(d, "go1.x")  # two extra runtime frames: allowed
        self.assertIn("extra innermost runtime frames", "\n".join(self.check(d, res, 25).notes))
        by_id(res, crash.id)["frames"][0]["function"] = "main.notRuntime"
        self.check(d, res, 25, expect=["extra innermost frames", "main.notRuntime"])
        # extra frames anywhere else are a count mismatch
        res = cg.fake_plugin_json(d, "go1.x")
        other = next(g for g in d.goroutines if g.id != crash.id)
        po = by_id(res, other.id)
        po["frames"].insert(0, dict(po["frames"][0], function="runtime.extra"))
        self.check(d, res, 25, expect=[f"goroutine {other.id}: frame count"])
        # the suffix must really match
        res = cg.fake_plugin_json(d, "go1.x")
        by_id(res, crash.id)["frames"][-2]["line"] += 1
        self.check(d, res, 25, expect=[f"goroutine {crash.id}: frame"])

    def test_no_crashing_goroutine_in_signal_dumps(self):
        self.assertIsNone(cg.crashing_goroutine(load(27, "running.quit-crash")))
        self.assertIsNone(cg.crashing_goroutine(load(27, "deadlock.crash")))
        self.assertEqual(cg.crashing_goroutine(load(27, "overflow.crash")).status, "running")

    def test_elision(self):
        d = load(27, "recursion.crash")
        g = next(g for g in d.goroutines if g.elision and g.elision.count > 90)
        res = cg.fake_plugin_json(d, "go1.x")
        pg = by_id(res, g.id)
        self.assertEqual(len(pg["frames"]), 100 + g.elision.count)
        self.check(d, res, 27)
        del pg["frames"][60]
        self.check(d, res, 27, expect=[f"goroutine {g.id}: frame count: dump '100 frames + "
                                       f"{g.elision.count} elided', plugin {99 + g.elision.count}"])
        res = cg.fake_plugin_json(d, "go1.x")
        pg = by_id(res, g.id)
        pg["frames"][-3]["line"] = 1
        self.check(d, res, 27, expect=[f"goroutine {g.id}: frame {len(pg['frames']) - 3} "])

    def test_overflow_stack_bounds(self):
        d = load(24, "overflow.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        crash = cg.crashing_goroutine(d)
        by_id(res, crash.id)["stack"]["hi"] = "0x1"
        self.check(d, res, 24, expect=[f"goroutine {crash.id}: stack [lo, hi]"])

    def test_stack_unavailable_uses_thread_section(self):
        d = load(27, "running.quit-crash")
        spinner = next(g for g in d.goroutines if g.stack_unavailable)
        res = cg.fake_plugin_json(d, "go1.x")
        ps = by_id(res, spinner.id)
        self.assertEqual(ps["frames"][0]["function"], "main.spin")
        self.assertIn("SIGQUIT section", "\n".join(self.check(d, res, 27).notes))
        ps["frames"][0]["pc"] = "0x1"
        self.check(d, res, 27, expect=[f"goroutine {spinner.id}: frame 0 (main.spin) pc"])

    def test_live_running_goroutine_frames_not_compared(self):
        d = load(27, "running.quit-crash")
        spinner = next(g for g in d.goroutines if g.stack_unavailable)
        res = cg.fake_plugin_json(d, "go1.x")
        by_id(res, spinner.id)["frames"][0]["pc"] = "0x1"
        by_id(res, spinner.id)["m"] = 99
        diffs = self.check(d, res, 27, live=True)
        self.assertIn(f"goroutine {spinner.id}: running (live): frames not compared", diffs.notes)

    def test_goroutine1_created_by_not_compared(self):
        d = load(26, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        by_id(res, 1)["created_by"] = {"function": "runtime.rt0_go", "file": "x", "line": 1,
                                       "goid": 0}
        self.check(d, res, 26)

    def test_created_by(self):
        d = load(21, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.x")
        g = d.goroutines[3]
        by_id(res, g.id)["created_by"] = None
        self.check(d, res, 21, expect=[f"goroutine {g.id}: created_by: dump "])

    def test_go_version(self):
        d = load(21, "parked.crash")
        res = cg.fake_plugin_json(d, "go1.21.13")
        diffs = cg.compare(d, res, minor=21, go_version="go1.21.12")
        self.assertEqual(diffs.items, ["go_version: dump 'go1.21.12', plugin 'go1.21.13'"])

    def test_compare_runs(self):
        d = load(27, "parked.crash")
        a = cg.fake_plugin_json(d, "go1.x")
        b = copy.deepcopy(a)
        for g in b["goroutines"]:  # another run: other ids, gp, m, sp, stacks
            g["id"] += 1000
            g["gp"] = "0x5"
            g["m"] = None
            if g["created_by"]:
                g["created_by"]["goid"] += 1000
            for f in g["frames"]:
                f["sp"] = "0x9"
        self.assertEqual(cg.compare_runs(a, b).items, [])
        b["goroutines"][4]["frames"][0]["pc"] = "0x7"
        items = cg.compare_runs(a, b).items
        self.assertEqual(len(items), 2)
        self.assertTrue(items[0].startswith("plain core: 1 goroutine(s) the stripped core lacks"))
        self.assertIn("@0x7", items[1])


class Selection(unittest.TestCase):
    def test_kinds(self):
        self.assertEqual(cg.kinds_for("plain", "parked"), ["core", "live"])
        self.assertEqual(cg.kinds_for("stripped", "parked"), ["core", "vs-plain", "live"])
        self.assertEqual(cg.kinds_for("noopt", "running"), ["core", "core-sigquit", "live"])

    def test_toolchain_names(self):
        for t in ("go1.26", "1.26", "26"):
            self.assertEqual(cg.parse_toolchain(t), 26)


if __name__ == "__main__":
    unittest.main()
