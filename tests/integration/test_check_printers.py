"""Self-tests of check_printers.py without gdb: the parser of gdb's value syntax, the
comparison (maps without order, strings as bytes), the truth lines, and runtime-gdb_test.go's
assertions as re-expressed."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_printers as cp  # noqa: E402


class ParseTest(unittest.TestCase):
    def test_map_order_does_not_matter(self):
        self.assertIsNone(cp.same_value('map[string]string = {["abc"] = "def", ["ghi"] = "jkl"}',
                                        'map[string]string = {["ghi"] = "jkl", ["abc"] = "def"}'))

    def test_map_value_differs(self):
        self.assertEqual(cp.same_value('map[int]int = {[1] = 2}', 'map[int]int = {[1] = 3}'),
                         "differs")

    def test_int_keys(self):
        v = cp.parse("map[int]int = {[0] = 0, [10] = -10}")
        self.assertEqual(v, ("typed", "map[int]int",
                             ("list", [("kv", ("atom", "0"), ("atom", "0")),
                                       ("kv", ("atom", "10"), ("atom", "-10"))])))

    def test_slice_order_matters(self):
        self.assertEqual(cp.same_value("[]int = {1, 2}", "[]int = {2, 1}"), "differs")

    def test_strings_as_bytes(self):
        # the fixture's octal escapes against gdb's raw UTF-8 and C escapes
        self.assertIsNone(cp.same_value(r'"tab\011h\303\251 \"q\" \\ \001"',
                                        '"tab\\th\u00e9 \\"q\\" \\\\ \\001"'))

    def test_channel_and_interface(self):
        self.assertIsNone(cp.same_value(
            "(len 2, cap 3, closed, senders: 7 8) chan int = {7, 8}",
            "(len 2, cap 3, closed, senders: 7 8) chan int = {7, 8}"))
        self.assertEqual(cp.same_value("(len 1, cap 3) chan int = {7}",
                                       "(len 1, cap 4) chan int = {7}"), "differs")
        self.assertIsNone(cp.same_value("(main.point) {X = 1, Y = 2}",
                                        "(main.point) {X = 1, Y = 2}"))
        self.assertIsNone(cp.same_value('(map[string]int) {["x"] = 1, ["y"] = 2}',
                                        '(map[string]int) {["y"] = 2, ["x"] = 1}'))

    def test_nested_struct(self):
        s = ('{Name = "h", M = map[string]int = {["one"] = 1, ["two"] = 2}, S = []int = {7}, '
             'C = (len 1, cap 4) chan string = {"queued"}, I = (main.point) {X = 5, Y = 6}, '
             'P = 0xc000010110, Arr = {"a", "", "c"}, NilM = nil}')
        t = s.replace('["one"] = 1, ["two"] = 2', '["two"] = 2, ["one"] = 1')
        self.assertIsNone(cp.same_value(s, t))
        self.assertEqual(cp.same_value(s, s.replace("X = 5", "X = 6")), "differs")

    def test_slice_of_slices_is_not_a_map(self):
        v = cp.parse("[][]int = {[]int = {1}, nil}")
        self.assertEqual(v[2][1][0], ("typed", "[]int", ("list", [("atom", "1")])))

    def test_elements_limit(self):
        v = cp.parse("[]int = {0, 1, 2, 3...}")
        self.assertEqual(v[2][1][-1], ("atom", "..."))

    def test_bad_output(self):
        self.assertIn("does not parse", cp.same_value("[]int = {1}", "[]int = {1"))


class TruthTest(unittest.TestCase):
    def test_parse(self):
        t = cp.parse_truth('GLOBAL strvar "abc"\nLEN strvar 3\nCAP slicevar 16\n'
                           'DTYPE anyPtr *main.point\nLOCAL mapvar nil\nREADY\n')
        self.assertEqual(t.globals, {"strvar": '"abc"'})
        self.assertEqual(t.lens, {"strvar": 3})
        self.assertEqual(t.caps, {"slicevar": 16})
        self.assertEqual(t.dtypes, {"anyPtr": "*main.point"})
        self.assertEqual(t.locals, {"mapvar": "nil"})

    def test_empty(self):
        with self.assertRaises(ValueError):
            cp.parse_truth("READY\n")

    def test_norm_type(self):
        self.assertEqual(cp._norm_type("type = main.point *"), "*main.point")
        self.assertEqual(cp._norm_type("type = struct container/list.Element"),
                         "container/list.Element")
        self.assertEqual(cp._norm_type("type = int64_t"), "int")


class RuntimeTestAssertions(unittest.TestCase):
    GOOD = {
        "print smallmapvar": '$1 = map[string]string = {["abc"] = "def"}',
        "print mapvar": '$2 = map[string]string = {["ghi"] = "jkl", ["abc"] = "def"}',
        "print slicemap": '$3 = map[string][]string = {["a"] = []string = {"b", "c", "d"}, '
                          '["e"] = []string = {"f", "g", "h"}}',
        "print chanint": "$4 = (len 2, cap 10) chan int = {99, 11}",
        "print chanstr": '$5 = (len 2, cap 10) chan string = {"spongepants", "squarebob"}',
        "print strvar": '$6 = "abc"',
    }

    def test_good(self):
        self.assertEqual(cp.runtime_test_checks(self.GOOD), [])

    def test_bad(self):
        bad = dict(self.GOOD)
        bad["print mapvar"] = '$2 = (map[string]string) 0xc000010000'
        bad["print chanint"] = "$4 = (chan int) 0xc000010000"
        self.assertEqual(len(cp.runtime_test_checks(bad)), 2)

    def test_backtrace(self):
        bt = ("goroutine 1 [running] m=2:\n#0   runtime.raise()\n       /x.s:154 +0x21\n"
              "#1  >main.holdLocals()\n       /m.go:493\n#2  >main.main()\n       /m.go:528\n")
        self.assertIsNone(cp.check_clean_backtrace(bt))
        self.assertTrue(cp.RE_BT_MAIN.search(bt))
        self.assertIn("expected #1", cp.check_clean_backtrace(bt.replace("#1", "#3")))
        self.assertTrue(cp.check_clean_backtrace("Python Exception <class 'x'>: y\n"))
        self.assertTrue(cp.RE_INFO_GOROUTINES.search(" 1  running   m2 #1  main.f\n"))
        self.assertTrue(cp.RE_INFO_GOROUTINES.search("* 1 running  main.f\n"))

    def test_blocks(self):
        out = "junk\nBEGIN print strvar\n$1 = \"abc\"\nEND\nBEGIN x\nEND\n"
        self.assertEqual(cp.parse_blocks(out)["print strvar"], '$1 = "abc"')


if __name__ == "__main__":
    unittest.main()
