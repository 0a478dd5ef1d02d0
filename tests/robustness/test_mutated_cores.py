"""Self-tests of mutated_cores.py without debuggers: the classification of a command's
output, the markers that split a session's streams, the ELF reading, mutations and their
reproducibility."""
import os
import random
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutated_cores as mc  # noqa: E402


class Classify(unittest.TestCase):
    def c(self, cmd, out, err, prefix=True):
        return mc.classify(cmd, out.splitlines(), err.splitlines(), need_prefix=prefix)[0]

    def test_output(self):
        self.assertEqual(self.c("info", "Go version go1.26\n", ""), "ok")

    def test_item_errors_inside_output_are_output(self):
        self.assertEqual(self.c("goroutines", "ID STATE\nerror: goroutine 5: cannot read\n", ""), "ok")

    def test_one_error_line(self):
        self.assertEqual(self.c("bt 9", "", "error: no goroutine 9 (dead goroutines are not listed)\n"), "error")

    def test_gdb_error_has_no_prefix(self):
        self.assertEqual(self.c("bt 9", "", "no goroutine 9\n", prefix=False), "error")
        self.assertEqual(self.c("bt 9", "", "no goroutine 9\n", prefix=True), "unclear")

    def test_debugger_warnings_are_noise(self):
        self.assertEqual(self.c("bt 9", "", "warning: Section `.reg-xstate/1' in core file too small.\n"
                                            "error: no goroutine 9\n"), "error")

    def test_silent(self):
        self.assertEqual(self.c("bt all", "\n", ""), "silent")

    def test_two_error_lines(self):
        self.assertEqual(self.c("info", "", "error: a\nerror: b\n"), "multi-error")

    def test_raw_exception_text(self):
        self.assertEqual(self.c("info", "", "error: std::bad_alloc\n"), "unclear")
        self.assertEqual(self.c("info", "", "error: basic_string::_M_create\n"), "unclear")
        self.assertEqual(self.c("info --json", "", "error: [json.exception.type_error.316] invalid UTF-8\n"),
                         "unclear")
        self.assertEqual(self.c("info", "", "error: \n"), "unclear")

    def test_traceback(self):
        self.assertEqual(self.c("info", "", "Python Exception <class 'KeyError'>: 'x'\n", prefix=False), "trace")

    def test_json(self):
        self.assertEqual(self.c("info --json", '{"a": 1}\n', ""), "ok")
        self.assertEqual(self.c("info --json", '{"a": 1}\n#1 0x47 in f ()\n', ""), "badjson")

    def test_output_and_error(self):
        self.assertEqual(self.c("info", "Go version\n", "error: x y z\n"), "mixed")


class Marks(unittest.TestCase):
    def test_split(self):
        text = "(lldb) target create\n(lldb) zzmark_0\n(lldb) go info\nA\nB\n(lldb) zzmark_1\n(lldb) go bt 1\n"
        segs, last, pre = mc.split_marks(text)
        self.assertEqual(segs[0], ["(lldb) go info", "A", "B"])
        self.assertEqual(segs[1], ["(lldb) go bt 1"])
        self.assertEqual(last, 1)
        self.assertEqual(pre, ["(lldb) target create"])

    def test_gdb_marker_error(self):
        segs, last, _ = mc.split_marks('Undefined command: "zzmark_3".  Try "help".\nno goroutine 9\n')
        self.assertEqual(segs[3], ["no goroutine 9"])
        self.assertEqual(last, 3)

    def test_gdb_steps(self):
        steps = mc.session_steps("gdb", ["info", "goroutine 1", "goroutine 1 --json"])
        self.assertEqual([t for _, t in steps],
                         ["go info", "go goroutine 1", "bt 40", "go goroutine none", "go goroutine 1 --json"])
        self.assertEqual([i for i, _ in steps], [0, 1, None, None, 2])
        self.assertEqual(len(mc.session_steps("lldb", ["info", "goroutine 1"])), 2)

    def test_every_command_text_and_json(self):
        cmds = mc.command_list([1, 7])
        names = {c.split()[0] for c in cmds}
        self.assertEqual(names, {"info", "goroutines", "bt", "goroutine", "frames", "stacks", "waits",
                                 "chans", "leaks", "defers", "panics", "sched", "threads"})
        for n in names:
            self.assertTrue(any(c.split()[0] == n and "--json" in c for c in cmds), n)
            self.assertTrue(any(c.split()[0] == n and "--json" not in c for c in cmds), n)


def tiny_core(path, vaddr, data):
    """An ELF64 core: one PT_NOTE with an NT_PRSTATUS, one PT_LOAD of data at vaddr."""
    prstatus = bytearray(336)
    struct.pack_into("<I", prstatus, 32, 4242)  # pr_pid
    struct.pack_into("<Q", prstatus, mc.PR_REG + 8 * mc.REGS["rip"], 0x401000)
    note = struct.pack("<III", 5, len(prstatus), mc.NT_PRSTATUS) + b"CORE\0\0\0\0" + bytes(prstatus)
    phoff, n = 64, 2
    note_off = phoff + 56 * n
    load_off = (note_off + len(note) + 4095) & ~4095
    eh = bytearray(64)
    eh[:4] = b"\x7fELF"
    eh[4] = 2
    struct.pack_into("<HH", eh, 16, 4, 62)  # ET_CORE, EM_X86_64
    struct.pack_into("<Q", eh, 32, phoff)
    struct.pack_into("<HH", eh, 54, 56, n)
    ph = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(note), 0, 1)
    ph += struct.pack("<IIQQQQQQ", 1, 6, load_off, vaddr, 0, len(data), len(data), 4096)
    body = bytes(eh) + ph + note
    with open(path, "wb") as f:
        f.write(body + bytes(load_off - len(body)) + data)
    return load_off


class Elf(unittest.TestCase):
    def test_core(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "core")
            data = bytes(4096) + b"\x01" * 4096 + bytes(8192)
            load = tiny_core(p, 0x10000, data)
            c = mc.Core(p)
            self.assertEqual(len(c.loads), 1)
            self.assertEqual(len(c.threads), 1)
            self.assertEqual(c.offset(0x10008), load + 8)
            self.assertIsNone(c.offset(0x30000))
            self.assertEqual(c.data_pages(), [(load + 4096, load + 8192)])

    def test_apply_ops_sparse_and_exact(self):
        with tempfile.TemporaryDirectory() as d:
            p, q = os.path.join(d, "core"), os.path.join(d, "mut")
            load = tiny_core(p, 0x10000, b"\x01" * 8192 + bytes(1 << 20))
            ops = [{"op": "write", "off": load, "hex": "ffee"},
                   {"op": "fill", "off": load + 16, "len": 8, "seed": 0},
                   {"op": "fill", "off": load + 32, "len": 4, "seed": 7},
                   {"op": "truncate", "size": load + 4096}]
            mc.apply_ops(p, q, ops)
            with open(q, "rb") as f:
                b = f.read()
            self.assertEqual(len(b), load + 4096)
            self.assertEqual(b[load:load + 2], b"\xff\xee")
            self.assertEqual(b[load + 16:load + 24], bytes(8))
            self.assertEqual(b[load + 32:load + 36], mc.fill_bytes(4, 7))
            self.assertEqual(b[load + 36:load + 40], b"\x01" * 4)


class Mutations(unittest.TestCase):
    def base(self, d):
        p = os.path.join(d, "core")
        load = tiny_core(p, 0x10000, bytes(4096) + bytes(range(256)) * 32 + bytes(4096))
        b = mc.Base(26, "plain", "waits", "/nonexistent", d)
        c = mc.Core(p)
        b.meta = {"size": len(c.data), "pages": c.data_pages(),
                  "regions": [["g", 0x11000, 0x180, "g of goroutine 7"], ["chan", 0x11200, 0x60, "chan"],
                              ["global", 0x11400, 24, "runtime.allgs"]],
                  "goroutines": [{"id": 7, "gp": 0x11000, "status": "waiting", "lo": 0x11800, "hi": 0x12000,
                                  "sp": 0x11900, "frames": [[0x401000, 0x11900, 0x11940],
                                                            [0x401100, 0x11940, 0x11a00]]}],
                  "ids": [7], "goid_off": 152, "status_off": 144, "text": [0x401000, 0x401100]}
        return b, load

    def test_reproducible(self):
        with tempfile.TemporaryDirectory() as d:
            b, _ = self.base(d)
            for i in range(40):
                r1 = mc.Mutator(b, random.Random(f"5/{i}")).recipe()
                r2 = mc.Mutator(b, random.Random(f"5/{i}")).recipe()
                self.assertEqual(r1, r2)
                self.assertTrue(r1["ops"])
                for op in r1["ops"]:
                    self.assertIn(op["op"], ("write", "fill", "truncate"))
                    self.assertTrue(op["what"])

    def test_structure_ops_hit_their_structure(self):
        with tempfile.TemporaryDirectory() as d:
            b, load = self.base(d)
            m = mc.Mutator(b, random.Random(3))
            for _ in range(20):
                ops = m.op_g_field()
                self.assertTrue(ops)
                self.assertTrue(load + 0x1000 <= ops[0]["off"] < load + 0x1000 + 0x180)


if __name__ == "__main__":
    unittest.main()
