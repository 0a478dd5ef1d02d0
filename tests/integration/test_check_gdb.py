"""Self-tests of check_gdb.py without gdb: the bt comparison rules, core corruption, argv."""
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_gdb  # noqa: E402
from check_goroutines import Diffs  # noqa: E402


def eframe(fn, line, pc, inlined=False):
    return {"function": fn, "file": "/x/%s.go" % fn.split(".")[0], "line": line, "pc": hex(pc),
            "sp": "0x0", "fp": "0x0", "inlined": inlined}


def gframe(fn, line, pc, inlined=False):
    return {"function": fn, "file": "/x/%s.go" % fn.split(".")[0], "line": line, "pc": pc,
            "inlined": inlined}


ENGINE = [eframe("runtime.gopark", 462, 0x10), eframe("runtime.goparkunlock", 468, 0x20, True),
          eframe("runtime.semacquire1", 192, 0x20), eframe("runtime.goexit", 1771, 0x30)]


class BtRules(unittest.TestCase):
    def run_rule(self, kind, gframes, stripped=False):
        d = Diffs()
        check_gdb.bt_diffs(d, kind, {"id": 7, "go_bt": {"frames": ENGINE}, "gdb_frames": gframes}, stripped)
        return d

    def test_parked_equal(self):
        g = [gframe(f["function"], f["line"], int(f["pc"], 16), f["inlined"]) for f in ENGINE]
        self.assertEqual(self.run_rule("parked", g).items, [])

    def test_parked_missing_frame(self):
        g = [gframe(f["function"], f["line"], int(f["pc"], 16)) for f in ENGINE[:-1]]
        self.assertEqual(len(self.run_rule("parked", g).items), 1)

    def test_parked_wrong_line(self):
        g = [gframe(f["function"], f["line"] + 1, int(f["pc"], 16)) for f in ENGINE]
        self.assertEqual(len(self.run_rule("syscall", g).items), 1)

    def test_running_signal_frames_before(self):
        g = [gframe("runtime.sigtramp", 364, 0x99), gframe("<signal handler called>", None, 0x98)]
        g += [gframe(f["function"], f["line"], int(f["pc"], 16)) for f in ENGINE]
        self.assertEqual(self.run_rule("running", g).items, [])
        self.assertEqual(len(self.run_rule("parked", g).items), 1)

    def test_stripped_compares_physical_pcs(self):
        g = [{"function": None, "file": None, "line": None, "pc": pc, "inlined": False}
             for pc in (0x10, 0x20, 0x30)]
        self.assertEqual(self.run_rule("parked", g, stripped=True).items, [])
        self.assertEqual(len(self.run_rule("parked", g[:2], stripped=True).items), 1)

    def test_error_is_reported(self):
        d = Diffs()
        check_gdb.bt_diffs(d, "parked", {"id": 3, "error": "GdbError: boom"}, False)
        self.assertTrue(d.items and "boom" in d.items[0])


def tiny_core(path, vaddr, data):
    """An ELF64 file with one PT_LOAD of data at vaddr."""
    eh = bytearray(64)
    eh[:4] = b"\x7fELF"
    eh[4] = 2
    struct.pack_into("<Q", eh, 32, 64)  # e_phoff
    struct.pack_into("<HH", eh, 54, 56, 1)  # e_phentsize, e_phnum
    ph = struct.pack("<IIQQQQQQ", 1, 6, 64 + 56, vaddr, 0, len(data), len(data), 4096)
    with open(path, "wb") as f:
        f.write(bytes(eh) + ph + data)


class CoreCorruption(unittest.TestCase):
    def test_offset_and_zero_page(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "core")
            tiny_core(p, 0x10000, b"\xff" * 8192)
            self.assertEqual(check_gdb.core_file_offset(p, 0x10008), 64 + 56 + 8)
            self.assertIsNone(check_gdb.core_file_offset(p, 0x20000))
            self.assertTrue(check_gdb.zero_page(p, 0x11010))
            with open(p, "rb") as f:
                body = f.read()[120:]
            self.assertEqual(body[:4096], b"\xff" * 4096)
            self.assertEqual(body[4096:], b"\0" * 4096)
            self.assertFalse(check_gdb.zero_page(p, 0x50000))

    def test_not_elf(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "core")
            with open(p, "wb") as f:
                f.write(b"nope")
            self.assertIsNone(check_gdb.core_file_offset(p, 0))


class Argv(unittest.TestCase):
    def test_gdb_argv(self):
        a = check_gdb.gdb_argv("/b/go-gdb.py", ["file /e"], ["go info"])
        self.assertIn("-batch", a)
        self.assertIn("-nx", a)
        i = a.index("source /b/go-gdb.py")
        self.assertLess(i, a.index("file /e"))
        self.assertLess(a.index("file /e"), a.index("go info"))


if __name__ == "__main__":
    unittest.main()
