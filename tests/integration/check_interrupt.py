#!/usr/bin/python3
"""Progress and Ctrl-C of a long command, in LLDB, GDB and the CLI, on the core of bench/many
with 200,000 parked goroutines.

The long command is `go goroutines --json --frames all --output FILE` (every frame of every
goroutine, about 760 MB of JSON: seconds in every front end, so its progress shows at half
a second whatever the machine's speed).

LLDB (through its Python API, in this process): the command is interrupted with
SBDebugger::RequestInterrupt as soon as LLDB broadcasts the plugin's first progress event
("go: ...", completed <= total). It must fail within 0.5 s saying "interrupted while" and
leave no FILE; then `go goroutines --group-by stack` in the same session must print the
CLI's output byte for byte.

GDB and the CLI (stderr on a pseudo-terminal, where they draw their progress line): SIGINT
as soon as the progress line shows; the command must end within 0.5 s with "interrupted
while" and no FILE, and in GDB the grouped summary run next must print the CLI's output.

Usage: check_interrupt.py --plugin SO --gdb-script go-gdb.py --cli goinspect
                          [--go /usr/lib/go-1.26/bin/go] [-n 200000] [--work DIR]
Exit status 0 when every check passed, 1 otherwise.
"""
import argparse
import os
import pty
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUPED = ["goroutines", "--group-by", "stack"]


def long_command(out: str):
    return ["goroutines", "--json", "--frames", "all", "--output", out]
# The user's Ctrl-C to the command's end: the engine looks every 256 goroutines (about
# 2 ms); the rest is the debugger's own return and, on a loaded 2-core machine, waiting for
# a core.
MAX_LATENCY_S = 0.5

failures = []


def check(ok: bool, what: str):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def make_core(go: str, n: int, work: str) -> (str, str):
    exe = os.path.join(work, "many")
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod")
    if not any(k in env for k in ("GOCACHE", "HOME", "XDG_CACHE_HOME")):
        env["GOCACHE"] = os.path.join(work, "gocache")
    subprocess.run([go, "build", "-o", exe, "."], cwd=os.path.join(ROOT, "bench", "many"),
                   env=env, check=True, timeout=300)

    def unlimited():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOTRACEBACK", "GODEBUG"))}
    env["GOTRACEBACK"] = "crash"
    p = subprocess.run([exe, "-n", str(n), "-crash"], cwd=work, env=env, preexec_fn=unlimited,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
    if b"PARKED " not in p.stdout:
        sys.exit(f"bench/many did not park {n} goroutines (status {p.returncode})")
    core = next((os.path.join(work, f) for f in sorted(os.listdir(work))
                 if f == "core" or f.startswith("core.")), None)
    if core is None:  # core_pattern sends cores elsewhere: take one with gdb instead
        core = os.path.join(work, "core.gdb")
        subprocess.run(["gdb", "-nx", "-batch", "-ex", "handle SIGURG nostop noprint pass",
                        "-ex", "run", "-ex", f"gcore {core}", "-ex", "kill",
                        "--args", exe, "-n", str(n), "-crash"], cwd=work, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    if not os.path.exists(core):
        sys.exit("no core of bench/many")
    return exe, core


def cli_output(cli: str, exe: str, core: str) -> str:
    p = subprocess.run([cli, exe, core] + GROUPED, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    if p.returncode != 0:
        sys.exit("the CLI failed: " + p.stderr[-500:])
    return p.stdout


def check_lldb(plugin: str, exe: str, core: str, want: str, work: str):
    import lldb  # Debian's python3-lldb-22, for /usr/bin/python3
    dbg = lldb.SBDebugger.Create(False)
    dbg.SetAsync(False)
    ci = dbg.GetCommandInterpreter()

    def run(cmd: str):
        r = lldb.SBCommandReturnObject()
        ci.HandleCommand(cmd, r)
        return r

    for cmd in (f"plugin load {plugin}", f"target create {exe} --core {core}"):
        r = run(cmd)
        if not r.Succeeded():
            sys.exit(f"lldb: {cmd}: {r.GetError()}")
    listener = lldb.SBListener("goinspect-progress")
    # SBProgress made through the API is "external" progress to LLDB (what lldb-dap shows).
    dbg.GetBroadcaster().AddListener(listener, lldb.SBDebugger.eBroadcastBitProgress |
                                     lldb.SBDebugger.eBroadcastBitExternalProgress)
    events = []  # (time, title, completed, total)
    interrupt_at = []
    stop = threading.Event()

    def watch(interrupt: bool):
        ev = lldb.SBEvent()
        while not stop.is_set():
            if not listener.WaitForEvent(1, ev):
                continue
            data = lldb.SBDebugger.GetProgressDataFromEvent(ev)
            title = data.GetValueForKey("title").GetStringValue(1000) or ""
            completed = data.GetValueForKey("completed").GetUnsignedIntegerValue()
            total = data.GetValueForKey("total").GetUnsignedIntegerValue()
            events.append((time.monotonic(), title, completed, total))
            if interrupt and title.startswith("go: ") and not interrupt_at:
                interrupt_at.append(time.monotonic())
                dbg.RequestInterrupt()

    # 1. The long command, interrupted on its first progress event.
    out = os.path.join(work, "lldb.json")
    t = threading.Thread(target=watch, args=(True,))
    t.start()
    r = run("go " + " ".join(long_command(out)))
    ended = time.monotonic()
    stop.set()
    t.join()
    dbg.CancelInterruptRequest()
    mine = [e for e in events if e[1].startswith("go: ")]
    check(bool(interrupt_at), "lldb: the command reported progress (an SBProgress event titled 'go: ...'; "
                              f"titles {sorted({e[1] for e in mine})})")
    check(all(e[2] <= e[3] or e[3] == 0 or e[2] == (1 << 64) - 1 for e in mine),
          "lldb: no progress event reports more done than its total")
    check(not r.Succeeded() and "interrupted while" in (r.GetError() or ""),
          f"lldb: the interrupted command failed saying so: {(r.GetError() or r.GetOutput())[:200]!r}")
    check(not os.path.exists(out), "lldb: the interrupted command left no --output file")
    if interrupt_at:
        latency = ended - interrupt_at[0]
        check(latency <= MAX_LATENCY_S, f"lldb: it stopped {latency:.3f} s after the interrupt "
                                        f"(at most {MAX_LATENCY_S} s)")

    # 2. The same session goes on: the grouped summary is the CLI's.
    r = run("go " + " ".join(GROUPED))
    check(r.Succeeded() and r.GetOutput() == want,
          "lldb: after the interrupt, the grouped summary prints the CLI's output byte for byte")
    lldb.SBDebugger.Destroy(dbg)


class PtyRun:
    """A command with stdout on a pipe and stderr on a pseudo-terminal (where GDB and the
    CLI draw their progress line)."""

    def __init__(self, argv):
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(slave)
        self.err = b""
        self.out = b""

    def pump(self, timeout: float):
        r, _, _ = select.select([self.master, self.p.stdout], [], [], timeout)
        for fd in r:
            try:
                chunk = os.read(fd if isinstance(fd, int) else fd.fileno(), 65536)
            except OSError:
                chunk = b""
            if fd is self.master:
                self.err += chunk
            else:
                self.out += chunk

    def wait_for(self, pattern: bytes, where: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.out if where == "out" else self.err):
                return True
            if self.p.poll() is not None:
                self.pump(0.1)
                return bool(re.search(pattern, self.out if where == "out" else self.err))
            self.pump(0.05)
        return False

    def finish(self, timeout: float):
        end = time.monotonic() + timeout
        while self.p.poll() is None and time.monotonic() < end:
            self.pump(0.05)
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        self.pump(0.1)
        self.out += self.p.stdout.read() or b""
        os.close(self.master)


def interrupt_on_progress(run: "PtyRun", line: bytes, who: str) -> Optional[float]:
    """SIGINT to the command once its progress line shows; when it was sent, or None."""
    shown = run.wait_for(line + rb": [A-Za-z ]+: \d+ of \d+", "err", 120)
    check(shown, f"{who}: the command drew its progress line on the terminal")
    if not shown:
        run.finish(1)
        return None
    t = time.monotonic()
    os.kill(run.p.pid, signal.SIGINT)
    return t


def check_gdb(script: str, exe: str, core: str, want: str, work: str):
    marker = "GOINSPECT-AFTER-INTERRUPT"
    out_file = os.path.join(work, "gdb.json")
    run = PtyRun(["gdb", "-nx", "-batch", "-ex", f"source {script}", "-ex", f"file {exe}",
                  "-ex", f"core-file {core}", "-ex", "go " + " ".join(long_command(out_file)),
                  "-ex", f"echo {marker}\\n", "-ex", "go " + " ".join(GROUPED)])
    t = interrupt_on_progress(run, rb"go", "gdb")
    if t is None:
        return
    stopped = run.wait_for(marker.encode(), "out", 30)
    latency = time.monotonic() - t
    run.finish(300)
    err = run.err.decode("utf-8", "replace")
    out = run.out.decode("utf-8", "replace")
    check(stopped and latency <= MAX_LATENCY_S,
          f"gdb: the command stopped {latency:.3f} s after Ctrl-C (at most {MAX_LATENCY_S} s)")
    check("interrupted while" in err, "gdb: the interrupted command said so")
    check(not os.path.exists(out_file), "gdb: the interrupted command left no --output file")
    after = out.split(marker + "\n", 1)
    check(len(after) == 2 and after[1] == want,
          "gdb: the grouped summary run next in the same session prints the CLI's output byte for byte")


def check_cli(cli: str, exe: str, core: str, work: str):
    out_file = os.path.join(work, "cli.json")
    run = PtyRun([cli, exe, core] + long_command(out_file))
    t = interrupt_on_progress(run, rb"goinspect", "cli")
    if t is None:
        return
    run.finish(30)
    latency = time.monotonic() - t
    err = run.err.decode("utf-8", "replace")
    check(run.p.returncode == 1 and "interrupted while" in err and not run.out,
          f"cli: exit status 1, no output, the error says it was interrupted ({err[-200:]!r})")
    check(not os.path.exists(out_file), "cli: the interrupted command left no --output file")
    check(latency <= MAX_LATENCY_S,
          f"cli: it exited {latency:.3f} s after Ctrl-C (at most {MAX_LATENCY_S} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--gdb-script", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--go", default="/usr/lib/go-1.26/bin/go")
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--work", help="scratch directory (default: a new one, removed after)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="goinspect-interrupt.")
    os.makedirs(work, exist_ok=True)
    try:
        t = time.monotonic()
        exe, core = make_core(args.go, args.n, work)
        print(f"core of {args.n} parked goroutines in {time.monotonic() - t:.1f} s", flush=True)
        want = cli_output(args.cli, exe, core)
        check_lldb(os.path.abspath(args.plugin), exe, core, want, work)
        check_gdb(os.path.abspath(args.gdb_script), exe, core, want, work)
        check_cli(args.cli, exe, core, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
