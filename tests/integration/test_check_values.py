"""Self-tests of check_values.py without a debugger: the truth lines, the commands and their
quoting for LLDB and GDB, and the comparisons (exact output, one-line errors)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_values as cv  # noqa: E402

SAMPLE = "\n".join([
    "GLOBAL strvar \"abc\"",
    "LEN strvar 3",
    "VALUE strvar \"abc\"",
    "VALUE holderVar main.holder {Name: \"h\", I: interface {} nil}",
    "VALUE oddstr \"tab\\there\"",
    "EXPR mapvar[\"ghi\"]\t\"jkl\"",
    "EXPR (*main.point)(0x5da310)\t&main.point {X: -1, Y: 1099511627776}",
    "EXPRERR intslice[7]\tindex out of range [7] with length 3",
    "READY",
])


class TruthTest(unittest.TestCase):
    def test_parse(self):
        t = cv.parse_truth(SAMPLE)
        self.assertEqual(list(t.values), ["strvar", "holderVar", "oddstr"])
        self.assertEqual(t.values["holderVar"], 'main.holder {Name: "h", I: interface {} nil}')
        self.assertEqual(t.values["oddstr"], '"tab\\there"')
        self.assertEqual(t.exprs, [('mapvar["ghi"]', '"jkl"'),
                                   ("(*main.point)(0x5da310)",
                                    "&main.point {X: -1, Y: 1099511627776}")])
        self.assertEqual(t.errors, [("intslice[7]", "index out of range [7] with length 3")])

    def test_no_values(self):
        with self.assertRaises(ValueError):
            cv.parse_truth("GLOBAL strvar \"abc\"\n")

    def test_expr_needs_a_tab(self):
        with self.assertRaises(ValueError):
            cv.parse_truth("VALUE a 1\nEXPR len(x) 3\n")


class CommandTest(unittest.TestCase):
    def test_commands(self):
        t = cv.parse_truth(SAMPLE)
        cmds = cv.commands(t)
        self.assertEqual(cmds[0], ("VALUE", "strvar", cv.VALUE_OPTIONS + ["main.strvar"]))
        self.assertEqual([k for k, _, _ in cmds], ["VALUE"] * 3 + ["EXPR"] * 2 + ["EXPRERR"])
        self.assertEqual(len(cv.commands(t, values_only=True)), 3)

    def test_quoting(self):
        self.assertEqual(cv.quote_arg("len(longslice)"), "len(longslice)")
        self.assertEqual(cv.quote_arg('mapvar["ghi"]'), "'mapvar[\"ghi\"]'")
        self.assertEqual(cv.quote_arg("a b"), "'a b'")
        with self.assertRaises(ValueError):
            cv.quote_arg("it's")
        self.assertEqual(cv.debugger_command(["--depth", "50", "main.x"]),
                         "go print --depth 50 main.x")


class CompareTest(unittest.TestCase):
    def test_exact(self):
        self.assertIsNone(cv.check_value("VALUE", "x", "42", (True, "42\n", "")))

    def test_differs(self):
        why = cv.check_value("VALUE", "x", "42", (True, "43\n", ""))
        self.assertIn("VALUE x", why)
        self.assertIn("'42'", why)
        self.assertIn("'43'", why)

    def test_two_lines(self):
        why = cv.check_value("VALUE", "x", "42", (True, "42\n42\n", ""))
        self.assertIn("not one line", why)

    def test_failed(self):
        why = cv.check_value("EXPR", "a.b", "1", (False, "", "error: no variable a\n"))
        self.assertIn("failed", why)
        self.assertIn("no variable a", why)

    def test_missing(self):
        self.assertIn("no result", cv.check_value("VALUE", "x", "1", None))

    def test_long_difference(self):
        exp = "[" + ", ".join(str(i) for i in range(300)) + "]"
        got = exp.replace("150, ", "150, 999, ")
        why = cv.describe_difference(exp, got)
        self.assertIn("first difference at character %d" % (exp.index("150, ") + 5), why)
        self.assertLess(len(why), 400)

    def test_error(self):
        self.assertIsNone(cv.check_error("i[7]", "out of range",
                                         (False, "", "error: index out of range [7]\n")))
        self.assertIn("succeeded", cv.check_error("i[7]", "out of range", (True, "1\n", "")))
        self.assertIn("does not contain",
                      cv.check_error("i[7]", "out of range", (False, "", "error: boom\n")))
        self.assertIn("2 lines", cv.check_error("i[7]", "out of range",
                                                (False, "", "out of range\nmore\n")))
        self.assertIn("printed", cv.check_error("i[7]", "out of range",
                                                (False, "x\n", "out of range\n")))

    def test_compare(self):
        t = cv.parse_truth(SAMPLE)
        cmds = cv.commands(t)
        good = [(True, t.values[n] + "\n", "") for n in t.values]
        good += [(True, v + "\n", "") for _, v in t.exprs]
        good += [(False, "", "error: " + s + "\n") for _, s in t.errors]
        self.assertEqual(cv.compare(t, cmds, good, "cli").items, [])
        bad = list(good)
        bad[1] = (True, 'main.holder {Name: "h", I: nil}\n', "")
        d = cv.compare(t, cmds, bad[:-1], "lldb")
        self.assertEqual(len(d.items), 3)  # the count, holderVar, the missing EXPRERR
        self.assertTrue(any("VALUE holderVar" in x for x in d.items))
        self.assertTrue(all(x.startswith("lldb: ") for x in d.items))

    def test_dwarf_error(self):
        self.assertIsNone(cv.one_line_error_with("DWARF", (False, "", "error: no DWARF\n")))
        self.assertIsNotNone(cv.one_line_error_with("DWARF", (False, "", "error: no types\n")))
        self.assertIsNotNone(cv.one_line_error_with("DWARF", (True, '"abc"\n', "")))


class DelveNormaliserTest(unittest.TestCase):
    """delve_values.py's rules for reading Delve's output against the truth, on examples."""

    def test_examples(self):
        import delve_values
        for out, truth, want in delve_values.SELF_TEST:
            got, detail = delve_values.classify(out, truth, "t.init")
            self.assertEqual(got, want, f"{out!r} against {truth!r}: {detail}")


if __name__ == "__main__":
    unittest.main()
