#!/usr/bin/env python3
"""The `go` commands' help in real LLDB and GDB, on an 80-column terminal.

For `help go` and `help go CMD` of every command, in lldb-22 (term-width 80) and in GDB
(width 80) with go-gdb.py:
  - no line is wider than 80 columns;
  - every paragraph is wrapped once, greedily: no line ends early, so nothing is left
    alone on a line mid-sentence (what LLDB did to pre-wrapped help);
  - the two debuggers show the same words, in the same order: one help, two wrappings;
  - every option the syntax names is described under Options, and nothing else is.
Prints PASS/FAIL per check and "N passed, M failed"; exits 1 on any failure.
"""
import argparse
import re
import subprocess
import sys

WIDTH = 80


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    return p.stdout


def split_sections(text, marker_re):
    """{command: its output}, cutting the debugger's transcript at each `help go CMD` echo."""
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(marker_re, line)
        if m:
            name = m.group(1)
            out[name] = []
            continue
        if name is not None:
            out[name].append(line)
    return out


def lldb_help(plugin, names):
    cmd = ["lldb-22", "-b", "-o", "settings set term-width %d" % WIDTH, "-o", "plugin load " + plugin,
           "-o", "help go"]
    for n in names:
        cmd += ["-o", "help go " + n]
    return split_sections(run(cmd), r"^\(lldb\) help go ?(\S*)$")


def gdb_help(script, names):
    # GDB echoes nothing in batch mode: mark each section with an echo of our own.
    cmd = ["gdb", "-batch", "-nx", "-ex", "set width %d" % WIDTH, "-ex", "source " + script,
           "-ex", "echo @@help go\\n", "-ex", "help go"]
    for n in names:
        cmd += ["-ex", "echo @@help go %s\\n" % n, "-ex", "help go " + n]
    return split_sections(run(cmd), r"^@@help go ?(\S*)$")


def command_names(plugin):
    # 'help go' in LLDB lists the subcommands as "      NAME  -- summary".
    text = run(["lldb-22", "-b", "-o", "plugin load " + plugin, "-o", "help go"])
    return re.findall(r"^\s{4,}(\w+)\s+-- ", text, re.M)


OPTION_HEADER = re.compile(r"^  --[a-z]")  # "  --state S", its help below, indented more
SYNTAX_WORD = re.compile(r"\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)?\](?:\.\.\.)?")


def too_wide(lines):
    return ["%d columns: %r" % (len(l), l) for l in lines if len(l) > WIDTH]


def ends_early(lines):
    """Lines of one paragraph (consecutive, same indent) where the next line's first word
    would have fitted: a paragraph wrapped twice, or pre-wrapped and re-wrapped."""
    bad = []
    for a, b in zip(lines, lines[1:]):
        if not a.strip() or not b.strip():
            continue
        ia, ib = len(a) - len(a.lstrip()), len(b) - len(b.lstrip())
        if ia != ib or OPTION_HEADER.match(a) or OPTION_HEADER.match(b):
            continue
        # The syntax's words are whole "[--opt VALUE]" groups.
        group = SYNTAX_WORD.match(b.lstrip())
        first = group.group(0) if group else b.split()[0]
        # Two columns of slack: LLDB breaks a line one column short of the width.
        if len(a) + 1 + len(first) <= WIDTH - 2:
            bad.append("%r ends early: %r fits" % (a, first))
    return bad


def words(lines):
    return " ".join(lines).split()


def body(lines):
    """The help proper: from the summary line to the end, without the framing the debugger
    adds around it (LLDB's closing hint, GDB's nothing)."""
    return [l for l in lines if l.strip()]


def syntax_options(lines):
    text = " ".join(l.strip() for l in lines)
    m = re.search(r"Syntax: (.*?)(?: Options:| [A-Z][a-z]|$)", text)
    return set(re.findall(r"\[(--[a-z-]+)", m.group(1))) if m else set()


def described_options(lines):
    try:
        at = next(i for i, l in enumerate(lines) if l.strip() == "Options:")
    except StopIteration:
        return set()
    return {l.split()[0] for l in lines[at + 1:] if OPTION_HEADER.match(l)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--gdb-script", required=True)
    args = ap.parse_args()

    names = command_names(args.plugin)
    results = []

    def check(name, problems):
        results.append(not problems)
        print("%s %s" % ("PASS" if not problems else "FAIL", name))
        for p in problems[:10]:
            print("    " + p)

    check("lldb lists the go commands", [] if len(names) >= 10 else ["only %r" % names])
    lldb, gdb = lldb_help(args.plugin, names), gdb_help(args.gdb_script, names)
    for n in [""] + names:
        label = "help go" + (" " + n if n else "")
        lo, go = lldb.get(n), gdb.get(n)
        if lo is None or go is None:
            check(label, ["missing in %s" % ("lldb" if lo is None else "gdb")])
            continue
        check("lldb %s: at most %d columns" % (label, WIDTH), too_wide(lo))
        check("gdb %s: at most %d columns" % (label, WIDTH), too_wide(go))
        if not n:
            # GDB lists "go NAME -- summary" unwrapped: each must fit as it is.
            listed = [l for l in go if l.startswith("go ")]
            check("gdb help go lists every command", [] if len(listed) == len(names) else listed)
            continue
        check("lldb %s: each paragraph wrapped once" % label, ends_early(lo))
        check("gdb %s: each paragraph wrapped once" % label, ends_early(go))
        # LLDB closes with nothing of its own after a subcommand's help; GDB neither.
        lw, gw = words(body(lo)), words(body(go))
        check("%s: the same words in lldb and gdb" % label,
              [] if lw == gw else ["lldb: %s" % " ".join(lw)[:400], "gdb:  %s" % " ".join(gw)[:400]])
        so, do = syntax_options(lo), described_options(lo)
        check("%s: the syntax's options are the described ones" % label,
              [] if so == do and so else ["syntax %s, described %s" % (sorted(so), sorted(do))])

    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
