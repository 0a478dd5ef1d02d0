#!/usr/bin/python3
"""Self-tests of check_waits.py: the fixtures' truth lines parse (and bad ones are
refused), the dump's own oracles read the right words, a perfect answer (faked from real
samples: testdata/waits, see its regen.sh) passes, and each kind of wrong answer fails
with a message naming the goroutine or object, the field and both values. Plain
unittest, standard library, no plugin needed."""

import copy
import gzip
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_waits as cw  # noqa: E402
import crashdump  # noqa: E402

SAMPLES = os.path.join(HERE, "testdata", "waits")
MINORS = (21, 27)


def load(minor, fixture):
    base = os.path.join(SAMPLES, f"go1.{minor}", fixture)
    with open(base + ".stdout") as f:
        truth = cw.parse_truth(f.read())
    if os.path.exists(base + ".stderr.gz"):
        with gzip.open(base + ".stderr.gz", "rt", encoding="utf-8", errors="replace") as f:
            dump = crashdump.parse(f.read())
    else:
        dump = crashdump.parse_file(base + ".stderr")
    return dump, truth


def answers(dump, truth, fixture, ids=()):
    return cw.fake_answers(dump, truth, fixture, list(ids))


def goroutine(ans, goid, key="waits-system"):
    return next(g for g in ans[key]["goroutines"] if g["id"] == goid)


def both(ans, goid):
    """The goroutine in go waits and in go waits --system (the checker wants them equal)."""
    return [g for k in ("waits", "waits-system", "waits-ids")
            for g in ans[k]["goroutines"] if g["id"] == goid]


def set_queue(ans, section, key, value):
    """A queue as every go waits answer that lists it gives it."""
    for k in ("waits", "waits-system", "waits-ids"):
        if key in ans[k].get(section, {}):
            if isinstance(value, dict):
                ans[k][section][key].update(value)
            else:
                ans[k][section][key] = value


def truth_goroutine(truth, kind, obj=None, **kw):
    for goid, ws in sorted(truth.waits.items()):
        for w in ws:
            if w.kind == kind and (obj is None or w.obj == obj) and \
                    all(getattr(w, k) == v for k, v in kw.items()):
                return goid
    raise KeyError((kind, obj, kw))


class Truth(unittest.TestCase):
    def test_samples_parse(self):
        for minor in MINORS:
            with self.subTest(go=minor):
                _, t = load(minor, "waits")
                self.assertEqual(cw.check_truth(t), [])
                self.assertEqual(len(t.chans), 19)
                self.assertEqual(t.chans["elem-struct"].elem, "struct {}")
                self.assertEqual(t.chans["elem-iface"].elem, "interface {}")
                self.assertEqual(t.chans["elem-bytes"].elem, "[]uint8")
                self.assertEqual((t.chans["full"].cap, t.chans["full"].len), (2, 2))
                self.assertEqual(set(t.syncs), {"mu1", "mu2", "rw", "wg", "cond1", "cond2"})
                self.assertEqual(len(t.queue("jobs", "recv")), 4)
                self.assertEqual(len(t.waiters("mu1", None)), 3)
                self.assertEqual(len(t.waiters("rw", "reader")), 2)
                self.assertEqual(len(t.waiters("rw", "writer")), 1)
                sel = [g for g, ws in t.waits.items() if any(w.select for w in ws)]
                self.assertEqual(len(sel), 1)
                self.assertEqual(len(t.waits[sel[0]]), 3)
                self.assertEqual(set(t.fds), {"listener", "pipe-r", "pipe-w", "raw-pipe"})
                _, t = load(minor, "deadlock")
                self.assertEqual(set(t.cycles), {"chan", "mutex"})
                self.assertEqual(cw.check_truth(t), [])
                _, t = load(minor, "leaks")
                self.assertEqual([(x.site, x.count, x.creator, x.labels, x.reason)
                                  for x in t.leaks],
                                 [("A", 1000, "main.fetchWithTimeout", {"handler": "fetch"},
                                   "chan send"),
                                  ("B", 250, "main.startConsumer", {}, "chan receive")])
                self.assertEqual(len(t.background), 5)

    def test_bad_lines_refused(self):
        for line in ("WAITS chan x 0x10 cap=0 len=0",            # no elem
                     "WAITS wait 5 chan x sideways pos=0",
                     "WAITS wait 5 chan x recv",                 # no pos
                     "WAITS wait 5 rwmutex rw middle pos=0",
                     "WAITS wait 5 teleport",
                     "WAITS sync s spinlock 0x10 size=8",
                     "WAITS cycle chan 5",
                     "WAITS frobnicate"):
            with self.subTest(line=line):
                with self.assertRaises(ValueError) as cm:
                    cw.parse_truth("noise\n" + line + "\n")
                self.assertIn(line, str(cm.exception))

    def test_truth_consistency(self):
        t = cw.parse_truth("WAITS chan c 0x10 cap=0 len=0 elem=int\n"
                           "WAITS wait 5 chan c recv pos=0\n"
                           "WAITS wait 6 chan c recv pos=2\n"
                           "WAITS wait 7 mutex nope pos=0\n")
        errs = "\n".join(cw.check_truth(t))
        self.assertIn("positions [0, 2]", errs)
        self.assertIn("goroutine 7: waits on unknown object nope", errs)


class DumpOracles(unittest.TestCase):
    def test_args(self):
        f = crashdump.Frame("runtime.chanrecv", "0xc00006e300, {0x1?, 0x2}, 0x1")
        self.assertEqual(cw.nth_arg(f, 0), (0xc00006e300, True))
        self.assertEqual(cw.nth_arg(f, 1), (None, False))
        self.assertEqual(cw.nth_arg(f, 2), (1, True))
        self.assertEqual(cw.nth_arg(f, 3), (None, False))
        self.assertEqual(cw.first_arg(crashdump.Frame("f", "0xc0?, 0x1")), (0xc0, False))
        self.assertEqual(cw.first_arg(crashdump.Frame("f", "...", inlined=True)), (None, False))

    def test_oracles_on_samples(self):
        for minor in MINORS:
            with self.subTest(go=minor):
                dump, t = load(minor, "waits")
                dby = dump.by_id()
                # mutex waiters: internal/sync or sync lockSlow's argument is the mutex
                g = truth_goroutine(t, "mutex", "mu1")
                o = cw.dump_oracle(dby[g])
                self.assertEqual(o.sync[:2], (t.syncs["mu1"].addr, "mutex"))
                g = truth_goroutine(t, "netpoll", "pipe-w")
                self.assertEqual(cw.dump_oracle(dby[g]).netpoll[1], "write")
                g = truth_goroutine(t, "chan", "full", direction="send")
                o = cw.dump_oracle(dby[g])
                self.assertEqual(o.chan, (t.chans["full"].addr, "send"))
                runtime = [x for x in dump.goroutines if cw.is_runtime_goroutine(x)]
                self.assertTrue(runtime)
                self.assertFalse(cw.is_runtime_goroutine(dby[1]))
                self.assertTrue(all(x.id not in t.waits for x in runtime))


class Compare(unittest.TestCase):
    def check(self, dump, ans, truth, fixture, minor, ids=(), mode="plain", expect=()):
        diffs = cw.compare(dump, ans, truth, fixture, minor=minor, mode=mode, ids_asked=ids)
        text = "\n".join(diffs.items)
        if not expect:
            self.assertEqual(diffs.items, [])
        for e in expect:
            self.assertIn(e, text)
        return diffs

    def test_perfect_answers_pass(self):
        n = 0
        for minor in MINORS:
            for fixture in ("waits", "leaks", "deadlock"):
                for mode in ("plain", "noopt"):
                    with self.subTest(go=minor, fixture=fixture, mode=mode):
                        dump, t = load(minor, fixture)
                        ids = cw.ids_to_ask(dump, t)
                        self.check(dump, answers(dump, t, fixture, ids), t, fixture, minor,
                                   ids, mode)
                        n += 1
        self.assertEqual(n, 12)

    def test_ids(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        gone = ans["waits-system"]["goroutines"].pop(3)
        sysg = next(g for g in ans["waits-system"]["goroutines"] if g["system"])
        ans["waits"]["goroutines"].append(copy.deepcopy(sysg))
        ans["waits"]["goroutines"].sort(key=lambda g: g["id"])
        running = next(g for g in dump.goroutines if g.status == "running")
        fake = copy.deepcopy(ans["waits-system"]["goroutines"][0])
        fake["id"] = running.id
        ans["waits-system"]["goroutines"].insert(0, fake)
        self.check(dump, ans, t, "waits", 27, expect=[
            f"go waits --system: goroutine {gone['id']} [",
            "] is blocked",
            f"go waits: goroutine {sysg['id']} listed, but it is [",
            ", a runtime goroutine",
            f"go waits --system: goroutine {running.id} listed, but it is [running]"])

    def test_runtime_goroutine_woken_after_the_dump(self):
        dump, t = load(21, "deadlock")
        ans = answers(dump, t, "deadlock")
        scav = next(g for g in dump.goroutines if g.status == "GC scavenge wait")
        ans["waits-system"]["goroutines"] = [g for g in ans["waits-system"]["goroutines"]
                                             if g["id"] != scav.id]
        self.check(dump, ans, t, "deadlock", 21, expect=[
            f"go waits --system: goroutine {scav.id} [GC scavenge wait] is blocked (runtime) "
            "but not listed"])
        # the core has it runnable: only a note
        core = next(g for g in ans["goroutines"]["goroutines"] if g["id"] == scav.id)
        core["status"] = "runnable"
        diffs = self.check(dump, ans, t, "deadlock", 21)
        self.assertIn(f"goroutine {scav.id}, the runtime's own", "\n".join(diffs.notes))
        # never for a user goroutine
        user = t.cycles["chan"][0]
        ans["waits-system"]["goroutines"] = [g for g in ans["waits-system"]["goroutines"]
                                             if g["id"] != user]
        next(g for g in ans["goroutines"]["goroutines"] if g["id"] == user)["status"] = "runnable"
        self.check(dump, ans, t, "deadlock", 21, expect=[
            f"go waits --system: goroutine {user} [chan receive] is blocked but not listed"])

    def test_ids_asked(self):
        dump, t = load(27, "waits")
        ids = cw.ids_to_ask(dump, t)
        ans = answers(dump, t, "waits", ids)
        ans["waits-ids"]["goroutines"].pop()
        self.check(dump, ans, t, "waits", 27, ids, expect=[
            f"go waits {ids[0]} {ids[1]}: ids: expected {ids}, plugin {ids[:1]}"])

    def test_state_and_location(self):
        dump, t = load(21, "waits")
        ans = answers(dump, t, "waits")
        g = truth_goroutine(t, "waitgroup", "wg")
        for pg in both(ans, g):
            pg["wait_reason"] = "sync.WaitGroup.Wait"  # 1.21 says semacquire
            pg["location"] = "main.waitGroup at /nowhere.go:1"
        g2 = truth_goroutine(t, "syscall")
        for pg in both(ans, g2):
            pg["status"] = "waiting"
        self.check(dump, ans, t, "waits", 21, expect=[
            f"goroutine {g}: state (wait_reason, else status): dump 'semacquire', plugin "
            "'sync.WaitGroup.Wait'",
            f"goroutine {g}: location (one of its frames)",
            f"goroutine {g2}: status: dump 'syscall', plugin 'waiting'"])

    def test_chan_entries(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        r = t.queue("jobs", "recv")
        jobs = hex(t.chans["jobs"].addr)
        set_queue(ans, "chans", jobs, {"receivers": [r[0], r[2], r[1], r[3]]})
        for pg in both(ans, r[1]):
            e = pg["blocked_on"][0]
            e["position"] = 2
            e["elem_type"] = "job"
            e["address"] = hex(int(e["address"], 16) + 8)
        s = t.queue("full", "send")[0]
        for pg in both(ans, s):
            pg["blocked_on"][0]["len"] = 0
            pg["blocked_on"][0]["direction"] = "recv"
        self.check(dump, ans, t, "waits", 27, expect=[
            f"goroutine {r[1]}: blocked_on[chan jobs] address: expected "
            f"'{hex(t.chans['jobs'].addr)}'",
            f"goroutine {r[1]}: blocked_on[chan jobs] elem_type: expected 'main.job', plugin 'job'",
            f"goroutine {r[1]}: blocked_on[chan jobs] position: expected 1, plugin 2",
            f"goroutine {r[1]}: blocked_on[chan jobs] queue (the answer's chans[",
            f"goroutine {r[0]}: blocked_on[chan jobs] receivers: expected {r}",
            f"goroutine {s}: blocked_on[chan full] len: expected 2, plugin 0",
            f"goroutine {s}: blocked_on[chan full] direction: expected 'send', plugin 'recv'",
            # the dump's chansend frame says it too
            f"goroutine {s}: chan entry (dump: runtime.chan* first argument): dump "
            f"'{hex(t.chans['full'].addr)} send'"])

    def test_select_and_nil(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        sel = next(g for g, ws in t.waits.items() if any(w.select for w in ws))
        for pg in both(ans, sel):
            pg["blocked_on"].reverse()
        nil = truth_goroutine(t, "nil-chan", direction="send")
        for pg in both(ans, nil):
            pg["blocked_on"][0]["direction"] = "recv"
        none = truth_goroutine(t, "select-no-cases")
        for pg in both(ans, none):
            pg["blocked_on"] = []
        self.check(dump, ans, t, "waits", 27, expect=[
            f"goroutine {sel}: select entries' order: expected 'ascending channel address'",
            f"goroutine {nil}: blocked_on[nil-chan] direction: expected 'send', plugin 'recv'",
            f"goroutine {none}: blocked_on entries: expected ['select-no-cases'], plugin []"])

    def test_sync_entries(self):
        for minor in MINORS:
            with self.subTest(go=minor):
                dump, t = load(minor, "waits")
                ans = answers(dump, t, "waits")
                w = t.waiters("mu1", None)
                sema = goroutine(ans, w[0])["blocked_on"][0]["sema"]
                set_queue(ans, "semaphores", sema, w[:2])
                for pg in both(ans, w[0]):
                    pg["blocked_on"][0]["address"] = hex(t.syncs["mu2"].addr)
                wr = t.waiters("rw", "writer")[0]
                for pg in both(ans, wr):
                    pg["blocked_on"][0]["side"] = "reader"
                c = t.waiters("cond1", None)[2]
                for pg in both(ans, c):
                    pg["blocked_on"][0]["notify_list"] = "0x10"
                    pg["blocked_on"][0]["position"] = 0
                wg = t.waiters("wg", None)[1]
                for pg in both(ans, wg):
                    pg["blocked_on"][0]["kind"] = "sema"
                self.check(dump, ans, t, "waits", minor, expect=[
                    f"goroutine {w[0]}: blocked_on[mutex mu1] address",
                    f"goroutine {w[0]}: blocked_on[mutex mu1] waiters: expected {w}",
                    f"goroutine {w[0]}: go waits --system: mutex {sema} queue_length (its "
                    "queue's): expected 2, plugin 3",
                    f"goroutine {w[0]}: mutex entry (dump: ",
                    f"goroutine {wr}: blocked_on[rwmutex rw] side: expected 'writer', "
                    "plugin 'reader'",
                    f"goroutine {c}: blocked_on[cond cond1] notify_list: expected 'inside [",
                    f"goroutine {c}: blocked_on[cond cond1] position: expected 2, plugin 0",
                    f"goroutine {wg}: blocked_on[waitgroup wg] kind: expected 'waitgroup', "
                    "plugin 'sema'"])

    def test_timer_netpoll_syscall(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        tm = truth_goroutine(t, "timer")
        for pg in both(ans, tm):
            pg["blocked_on"][0]["wakes_in_seconds"] = 3601.0
        np = truth_goroutine(t, "netpoll", "listener")
        for pg in both(ans, np):
            pg["blocked_on"][0]["fd"] = 99
            pg["blocked_on"][0]["poll_desc"] = "0x8"
        sc = truth_goroutine(t, "syscall")
        for pg in both(ans, sc):
            pg["blocked_on"][0]["m"] = 77
        self.check(dump, ans, t, "waits", 27, expect=[
            f"goroutine {tm}: blocked_on[timer] wakes_in_seconds: expected 'in (3000, 3600]', "
            "plugin 3601.0",
            f"goroutine {np}: blocked_on[netpoll listener] fd: expected {t.fds['listener']}, "
            "plugin 99",
            f"goroutine {np}: netpoll entry (dump: runtime_pollWait(pd, mode))",
            f"goroutine {sc}: blocked_on[syscall] m (the dump's m=): expected "
            f"{dump.by_id()[sc].m}, plugin 77"])

    def test_queues(self):
        dump, t = load(27, "waits")
        ids = cw.ids_to_ask(dump, t)
        ans = answers(dump, t, "waits", ids)
        jobs = hex(t.chans["jobs"].addr)
        r = t.queue("jobs", "recv")
        del ans["waits"]["chans"][jobs]
        ans["waits"]["semaphores"]["0x1"] = []
        full = hex(t.chans["full"].addr)
        ans["waits-ids"]["chans"][full] = copy.deepcopy(ans["waits-system"]["chans"][full])
        ans["waits-ids"]["chans"][full]["senders"].reverse()
        s = t.queue("full", "send")
        for pg in both(ans, s[0]):
            pg["blocked_on"][0]["queue_length"] = 7
        self.check(dump, ans, t, "waits", 27, ids, expect=[
            f"go waits: goroutine {r[0]}: its chan {jobs} is not in \"chans\"",
            "go waits: \"semaphores\" lists 0x1, which no entry names",
            f"\"chans\" lists {full}, which no entry names",
            f"chans[{full}] differs from go waits --system's",
            f"goroutine {s[0]}: go waits --system: chan {full} queue_length (its queue's): "
            f"expected {len(s)}, plugin 7",
            f"goroutine {s[0]}: blocked_on[chan full] queue_length: expected {len(s)}, plugin 7"])
        # a queue in every answer, one goroutine's place in it wrong
        ans = answers(dump, t, "waits", ids)
        for pg in both(ans, r[2]):
            pg["blocked_on"][0]["position"] = 0
        self.check(dump, ans, t, "waits", 27, ids, expect=[
            f"goroutine {r[2]}: go waits --system: chan {jobs} position 0 (its place in the "
            f"queue): expected {r[2]}, plugin {r[0]}"])

    def test_system_and_plain_must_agree(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        g = ans["waits"]["goroutines"][0]
        g["wait_minutes"] = None  # same meaning, other JSON: still a difference
        self.check(dump, ans, t, "waits", 27, expect=[
            f"goroutine {g['id']}: go waits and go waits --system differ: ['wait_minutes']"])

    def test_errors_reported(self):
        dump, t = load(27, "deadlock")
        ans = answers(dump, t, "deadlock")
        ans["chans"]["errors"] = ["chan 0x1: unreadable"]
        self.check(dump, ans, t, "deadlock", 27,
                   expect=["go chans: errors: ['chan 0x1: unreadable']"])

    def test_chans(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        chans = ans["chans"]["chans"]
        jobs = next(c for c in chans if int(c["address"], 16) == t.chans["jobs"].addr)
        jobs["receivers"] = jobs["receivers"][:3]
        gone = chans.pop()
        chans.reverse()
        self.check(dump, ans, t, "waits", 27, expect=[
            f"go chans: chan {hex(t.chans['jobs'].addr)} (jobs) receivers (as go waits says)",
            f"go chans: chan {gone['address']} missing",
            "go chans: not sorted by number of waiters"])

    def test_leaks(self):
        for minor in MINORS:
            with self.subTest(go=minor):
                dump, t = load(minor, "leaks")
                ans = answers(dump, t, "leaks")
                groups = ans["leaks"]["groups"]
                self.assertEqual([g["count"] for g in groups[:2]], [1000, 250])
                a, b = groups[0], groups[1]
                a["labels"] = {}
                a["shared"] = {"kind": "chan"}
                b["objects"] = 1
                b["goroutines"].pop()
                b["count"] -= 1
                workers = next(g for g in groups if g["count"] == 4)
                workers["leak"] = True
                self.check(dump, ans, t, "leaks", minor, expect=[
                    "go leaks: group 0 (site A, main.fetchWithTimeout) labels: expected "
                    "{'handler': 'fetch'}, plugin {}",
                    "go leaks: group 0 (site A, main.fetchWithTimeout) shared: expected None",
                    "go leaks: group 1 (site B, main.startConsumer) count: expected 250, "
                    "plugin 249",
                    "go leaks: group 1 (site B, main.startConsumer) objects: expected 250, "
                    "plugin 1",
                    "go leaks: group 1 (site B, main.startConsumer) goroutines",
                    "is in no group",
                    "go leaks: background workers leak: expected False, plugin True"])
                groups[0], groups[1] = groups[1], groups[0]
                self.check(dump, ans, t, "leaks", minor, expect=[
                    "go leaks: group 0 (site A, main.fetchWithTimeout) count: expected 1000",
                    "go leaks: groups not in order"])

    def test_leak_grouping(self):
        dump, t = load(27, "leaks")
        ans = answers(dump, t, "leaks")
        groups = ans["leaks"]["groups"]
        # merge the workers' group into the ticker's (same reason, other frames)
        workers = next(g for g in groups if g["count"] == 4)
        ticker = next(g for g in groups if g["count"] == 1 and g["wait_reason"] == "chan receive")
        groups.remove(ticker)
        workers["goroutines"] = sorted(workers["goroutines"] + ticker["goroutines"])
        workers["count"] = 5
        # split site B in two
        b = groups[1]
        half = copy.deepcopy(b)
        half["goroutines"], b["goroutines"] = b["goroutines"][:100], b["goroutines"][100:]
        half["count"], b["count"] = 100, 150
        groups.insert(2, half)
        b["frames"] = b["frames"][1:2]
        self.check(dump, ans, t, "leaks", 27, expect=[
            "its members differ in the dump",
            "go leaks: groups 1 and 2 are the same group",
            "go leaks: group 1 (site B, main.startConsumer) count: expected 250, plugin 150",
            "go leaks: group 1 frames"])

    def test_deadlock(self):
        for minor in MINORS:
            with self.subTest(go=minor):
                dump, t = load(minor, "deadlock")
                ans = answers(dump, t, "deadlock")
                dl = ans["waits"]["deadlock"] = copy.deepcopy(ans["waits"]["deadlock"])
                dl["proven"] = False
                dl["cycles"] = [t.cycles["chan"][::-1], t.cycles["mutex"] + [1]]
                self.check(dump, ans, t, "deadlock", minor, expect=[
                    "go waits: deadlock.proven: expected True, plugin False",
                    "go waits: deadlock.cycles (as sets)",
                    "deadlock: go waits and go waits --system differ"])
                ans["waits-system"]["deadlock"] = None
                self.check(dump, ans, t, "deadlock", minor, expect=[
                    "go waits --system: deadlock: expected 'an object"])
                # reversed cycles are the same sets
                ans = answers(dump, t, "deadlock")
                for k in ("waits", "waits-system", "waits-ids"):
                    ans[k]["deadlock"]["cycles"] = [c[::-1] for c in
                                                    ans[k]["deadlock"]["cycles"][::-1]]
                self.check(dump, ans, t, "deadlock", minor)

    def test_no_deadlock_elsewhere(self):
        dump, t = load(27, "waits")
        ans = answers(dump, t, "waits")
        for k in ("waits", "waits-system"):
            ans[k]["deadlock"] = {"all_blocked": True, "proven": True, "cycles": [[7, 8]],
                                  "why": "x"}
        self.check(dump, ans, t, "waits", 27, expect=[
            "go waits: deadlock.all_blocked (a goroutine is running): expected False",
            "go waits: deadlock.cycles (the fixture has none)"])


if __name__ == "__main__":
    unittest.main()
