#!/usr/bin/env bash
# Benchmark: the plugin against Delve on one core file with many parked goroutines.
#
# Builds bench/many, runs it so that it parks N goroutines and leaves a core (crash under
# GOTRACEBACK=crash, or gcore), then measures, on that same core and in this same run, the
# wall time and peak RSS (GNU time) of:
#   ours:  lldb-22 -b -o "plugin load P" -o "target create EXE --core CORE" -o "go goroutines --group-by stack"
#   ours:  lldb-22 ... -o "go goroutines --json --frames all --output FILE"
#   ours:  lldb-22 ... -o "go stacks"   (top 20 by stack use, system stacks, histogram, totals)
#   ours:  lldb-22 ... -o "go waits"    (summary, deadlock verdict, first 100 goroutines' waits)
#   ours:  lldb-22 ... -o "go leaks"    (every blocked goroutine grouped, verdicts)
#   Delve: dlv core EXE CORE, running "goroutines"
#   Delve: dlv core EXE CORE, running "goroutines -t 50"
# and the values commands, on the goroutine parked 100 frames deep in main.deepDive and on
# main.bigMap (100,000 entries):
#   ours:  lldb-22 ... (nothing more: the cost of opening the core, subtracted below)
#   ours:  lldb-22 ... -o "go locals --goroutine G --frame all"
#   ours:  lldb-22 ... -o "go print --elements 100 main.bigMap"
#   Delve: "goroutine G stack 110 -full" (every frame's arguments and locals)
#   Delve: "config max-array-values 100", "print main.bigMap"
# and prints a table (also written to bench/results/latest.md) with the Delve/ours ratios.
#
# Usage: bench/run.sh [options]
#   -n N               goroutines to park (env N; default 100000)
#   --go GO            Go command, or a version such as 1.21 for /usr/lib/go-1.21/bin/go
#                      (env GO; default /usr/lib/go-1.26/bin/go)
#   --core crash|gcore how to get the core (env CORE_METHOD; default crash)
#   --runs K           run each measurement K times, report the median wall and the largest
#                      RSS (env RUNS; default 1)
#   --delve-only       measure Delve only (exit 0 without the plugin)
#   --lldb-only        measure the plugin only
#   --results FILE     where to write the table (default bench/results/latest.md; '-': nowhere)
#   --strict           exit 3 when one of our targets is missed
#   --keep             keep the scratch directory (binary, core, outputs)
#   --live "N1 N2"     the live case: for each count, bench/many parks that many goroutines
#                      and waits; both tools attach, list the goroutines (ours: the grouped
#                      summary; Delve: goroutines) and detach; attach-and-detach alone is
#                      measured too, to tell the command's own time (env LIVE_NS; default
#                      "10000 100000"; "" for none)
# Other environment: PLUGIN (default <repo>/build/lldb-plugin/libgoinspect-lldb.so), LLDB
# (lldb-22), DLV (dlv), TIMEOUT (seconds per measured command, default 1200),
# DELVE_STACKS_MAX_N (Delve's "goroutines -t 50" only up to this N, default 300000: it keeps
# about 35 KB a goroutine).
#
# Exit status: 0 when every selected measurement ran and was checked, 1 when one failed
# (e.g. the plugin is missing: the Delve half still runs), 2 on bad usage, 3 (with --strict)
# when a target is missed. Targets for ours, on the project's 2-core machine and 100k
# goroutines: grouped summary <= 2 s, go stacks, go waits and go leaks within the same 2 s,
# full JSON <= 5 s, lldb peak RSS <= 1 GB; go locals --frame all on 100 frames <= 0.3 s and
# 100 of a 100,000-entry map <= 0.2 s beyond opening the core. (Delve has no stack-usage, wait
# or leak report to set those against.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-100000}
GO=${GO:-/usr/lib/go-1.26/bin/go}
CORE_METHOD=${CORE_METHOD:-crash}
RUNS=${RUNS:-1}
PLUGIN=${PLUGIN:-$ROOT/build/lldb-plugin/libgoinspect-lldb.so}
LLDB=${LLDB:-lldb-22}
DLV=${DLV:-dlv}
TIMEOUT=${TIMEOUT:-1200}
DELVE_STACKS_MAX_N=${DELVE_STACKS_MAX_N:-300000}
RESULTS=$ROOT/bench/results/latest.md
DO_LLDB=1 DO_DELVE=1 STRICT=0 KEEP=${KEEP:-0} LIVE_NS=${LIVE_NS-10000 100000}

TARGET_GROUPED_S=0.3 TARGET_BUDGET_S=2 TARGET_JSON_S=5 TARGET_RSS_MB=1024 TARGET_LOCALS_S=0.3 TARGET_MAP_S=0.2

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    -n) N=$2; shift ;;
    --go) GO=$2; shift ;;
    --core) CORE_METHOD=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --delve-only) DO_LLDB=0 ;;
    --lldb-only) DO_DELVE=0 ;;
    --results) RESULTS=$2; shift ;;
    --strict) STRICT=1 ;;
    --keep) KEEP=1 ;;
    --live) LIVE_NS=$2; shift ;;
    -h|--help) usage ;;
    *) echo "bench: unknown option $1" >&2; usage ;;
  esac
  shift
done
case $GO in 1.[0-9]*) GO=/usr/lib/go-$GO/bin/go ;; esac
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 4 ] || { echo "bench: -n wants a number >= 4" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs wants a positive number" >&2; exit 2; }
case $CORE_METHOD in crash|gcore) ;; *) echo "bench: --core is crash or gcore" >&2; exit 2 ;; esac

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

[ -x /usr/bin/time ] || die "GNU time is missing (/usr/bin/time): install the Debian package 'time'"
command -v "$GO" >/dev/null || die "no Go command at $GO"
command -v python3 >/dev/null || die "python3 is needed"
[ "$DO_DELVE" = 1 ] && { command -v "$DLV" >/dev/null || die "no Delve ($DLV) on PATH"; }
PLUGIN_PROBLEM=""
if [ "$DO_LLDB" = 1 ]; then
  command -v "$LLDB" >/dev/null || die "no $LLDB on PATH"
  if [ ! -f "$PLUGIN" ]; then
    PLUGIN_PROBLEM="the plugin is missing: no $PLUGIN (build it: cmake --build build; or set PLUGIN=...)"
    log "lldb half: $PLUGIN_PROBLEM"
    log "lldb half: will FAIL; the Delve half runs anyway"
  else
    PLUGIN=$(cd "$(dirname "$PLUGIN")" && pwd)/$(basename "$PLUGIN")
  fi
fi
PLUGIN_USED=$PLUGIN

WORK=$(mktemp -d "${TMPDIR:-/tmp}/goinspect-bench.XXXXXX")
MANY_PID="" LIVE_PID=""
cleanup() {
  local rc=$?
  [ -n "$MANY_PID" ] && kill -KILL "$MANY_PID" 2>/dev/null || true
  [ -n "$LIVE_PID" ] && kill -KILL "$LIVE_PID" 2>/dev/null || true
  if [ "$KEEP" = 1 ]; then log "scratch directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$DO_LLDB" = 1 ] && [ -z "$PLUGIN_PROBLEM" ]; then
  # A private copy: a rebuild of the plugin during the run must not change what is measured.
  cp "$PLUGIN" "$WORK/libgoinspect-lldb.so"
  PLUGIN_USED=$WORK/libgoinspect-lldb.so
  # Where the measured copy came from, as of now (the tree may move on during the run).
  dirty=$(git -C "$ROOT" status --porcelain -- engine lldb-plugin CMakeLists.txt 2>/dev/null | head -1)
  PLUGIN_DESC="$PLUGIN, built $(date -u -r "$PLUGIN" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$PLUGIN_USED" | cut -c1-12); repo at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')${dirty:+ with uncommitted changes in engine/ or lldb-plugin/}"
fi
PLUGIN_DESC=${PLUGIN_DESC:-$PLUGIN}
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE=$WORK/gocache
fi

# ---- build and core ----------------------------------------------------------------------
GOVERSION=$("$GO" env GOVERSION)
log "building bench/many with $GOVERSION"
(cd "$ROOT/bench/many" &&
  GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod timeout 300 "$GO" build -o "$WORK/many" .) ||
  die "go build of bench/many failed"
EXE=$WORK/many
CORE=$WORK/core.many

# wait_parked PID NAME SECONDS N: until bench/many (started with output to WORK/NAME.out and
# NAME.err) says PARKED; dies if it exits first or takes longer.
wait_parked() {
  local pid=$1 name=$2 secs=$3 n=$4 i
  for i in $(seq 1 $((secs * 10))); do
    grep -q '^PARKED ' "$WORK/$name.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "bench/many exited early: $(cat "$WORK/$name.err")"
    sleep 0.1
  done
  grep -q '^PARKED ' "$WORK/$name.out" || die "bench/many did not park $n goroutines in $secs s"
}

gcore_many() {
  (cd "$WORK" && exec ./many -n "$N" >"$WORK/many.out" 2>"$WORK/many.err") &
  MANY_PID=$!
  wait_parked "$MANY_PID" many 300 "$N"
  timeout 600 gdb -batch -nx -p "$MANY_PID" -ex "gcore $CORE" >"$WORK/gcore.log" 2>&1 ||
    die "gcore failed: $(tail -5 "$WORK/gcore.log")"
  kill -KILL "$MANY_PID"; wait "$MANY_PID" 2>/dev/null || true; MANY_PID=""
}

crash_many() { # false when no core turned up (core_pattern elsewhere, limits)
  local rc=0
  # (The braces and 2>/dev/null keep bash's "Aborted" job report quiet.)
  { (cd "$WORK" && { ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"; } &&
      GOTRACEBACK=crash exec timeout 900 ./many -n "$N" -crash >"$WORK/many.out"); } 2>/dev/null || rc=$?
  grep -q '^PARKED ' "$WORK/many.out" || die "bench/many did not park $N goroutines (status $rc)"
  [ "$rc" = 134 ] || log "bench/many ended with status $rc, expected 134 (SIGABRT)"
  local f
  for f in "$WORK"/core "$WORK"/core.[0-9]*; do
    [ -f "$f" ] && { mv "$f" "$CORE"; return 0; }
  done
  return 1
}

t0=$(date +%s.%N)
if [ "$CORE_METHOD" = crash ]; then
  log "parking $N goroutines and crashing with GOTRACEBACK=crash (prints every stack: slow)"
  if ! crash_many; then
    log "no core file after the crash (kernel.core_pattern is '$(cat /proc/sys/kernel/core_pattern 2>/dev/null)'): using gcore"
    CORE_METHOD=gcore
    gcore_many
  fi
else
  log "parking $N goroutines and taking a core with gdb's gcore"
  gcore_many
fi
PARKED_LINE=$(grep '^PARKED ' "$WORK/many.out")
CORE_MB=$(( $(stat -c %s "$CORE") / 1048576 ))
log "core: $CORE_METHOD, ${CORE_MB} MB, made in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s; $PARKED_LINE"
cat "$CORE" >/dev/null # both tools then start from a warm page cache

# The goroutine 100 frames deep in main.deepDive: the id the runtime gave it (the same for
# both tools). Found with the CLI when built, else with Delve.
DEEP_GOID=""
CLI=${CLI:-$ROOT/build/cli/goinspect}
if [ -x "$CLI" ]; then
  DEEP_GOID=$("$CLI" "$EXE" "$CORE" goroutines --json --match main.deepDive --limit 1 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["goroutines"][0]["id"])' 2>/dev/null || true)
fi
if [ -z "$DEEP_GOID" ] && command -v "$DLV" >/dev/null; then
  printf 'goroutines -with userloc main.deepDive\nexit\n' >"$WORK/dlv-find.init"
  DEEP_GOID=$(env XDG_CONFIG_HOME="$WORK/dlv-config" "$DLV" core "$EXE" "$CORE" --allow-non-terminal-interactive=true \
    --check-go-version=false --init "$WORK/dlv-find.init" </dev/null 2>/dev/null |
    grep -oE 'Goroutine [0-9]+' | head -1 | grep -oE '[0-9]+' || true)
fi
[ -n "$DEEP_GOID" ] || die "cannot find the goroutine parked in main.deepDive"
log "the main.deepDive goroutine is $DEEP_GOID"

# ---- measuring -----------------------------------------------------------------------------
ROWS=$WORK/rows.tsv
: >"$ROWS"
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
if [ "$(echo "$LOAD_START > $(nproc) / 2" | bc)" = 1 ]; then
  log "warning: load average is $LOAD_START on $(nproc) cores: other work will inflate the wall times"
fi
FAILED=0

# measure OUTFILE CMD...: run under GNU time with a time limit; sets M_WALL, M_CPU (user +
# system seconds), M_RSS_KB, M_RC.
# The high-water mark of anonymous memory (RssAnon: the heap, not the mapped core or
# libraries) of a process and its children, sampled every 20 ms until it ends.
anon_sampler() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
root, out = int(sys.argv[1]), sys.argv[2]
def anon(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
peak = 0
while os.path.exists(f"/proc/{root}"):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    tree, todo = [], [root]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(kids.get(p, []))
    peak = max(peak, sum(anon(p) for p in tree))
    time.sleep(0.02)
open(out, "w").write(f"{peak}\n")
PY
}

measure() {
  local out=$1; shift
  M_RC=0
  /usr/bin/time -o "$WORK/time.txt" -f '%e %M %U %S' timeout -k 10 "$TIMEOUT" "$@" \
    >"$out" 2>&1 </dev/null &
  local pid=$!
  anon_sampler "$pid" "$WORK/anon.txt" &
  local sampler=$!
  wait "$pid" || M_RC=$?
  wait "$sampler" || true
  M_ANON_KB=$(cat "$WORK/anon.txt" 2>/dev/null || echo 0)
  M_WALL=0 M_RSS_KB=0 M_CPU=0
  local u=0 s=0
  read -r M_WALL M_RSS_KB u s < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$WORK/time.txt" | tail -1) || true
  M_CPU=$(printf '%.2f' "$(echo "$u + $s" | bc)")
  [ "$M_RC" = 124 ] && log "timed out after ${TIMEOUT}s: $*"
  return 0
}

# bench_case TOOL LABEL CHECK-FUNCTION CMD...: RUNS measurements, checked, one row in ROWS.
bench_case() {
  local tool=$1 label=$2 check=$3; shift 3
  local walls=() cpus=() rss_max=0 anon_max=0 i status=ok note=""
  for i in $(seq 1 "$RUNS"); do
    log "$tool: $label (run $i of $RUNS)"
    measure "$WORK/out.txt" "$@"
    if [ "$M_RC" != 0 ]; then
      status=FAILED note="exit status $M_RC: $(grep -m3 -iE 'error|fail' "$WORK/out.txt" | tr '\n\t' '  ' | cut -c1-300)"
      log "$tool: $label: $note"; tail -20 "$WORK/out.txt" >&2
      break
    fi
    if ! note=$("$check" "$WORK/out.txt"); then
      status=FAILED; log "$tool: $label: check failed: $note"; tail -20 "$WORK/out.txt" >&2
      break
    fi
    walls+=("$M_WALL"); cpus+=("$M_CPU"); [ "$M_RSS_KB" -gt "$rss_max" ] && rss_max=$M_RSS_KB
    [ "$M_ANON_KB" -gt "$anon_max" ] && anon_max=$M_ANON_KB
    log "$tool: $label: ${M_WALL} s wall, ${M_CPU} s cpu, $((M_RSS_KB / 1024)) MB, $((M_ANON_KB / 1024)) MB anonymous; $note"
  done
  rm -f "$WORK/out.txt"
  if [ "$status" = ok ]; then
    printf '%s\t%s\t%s\t%s\t%s\tok\t%s\t%s\n' "$tool" "$label" "$(median "${walls[@]}")" \
      "$(median "${cpus[@]}")" "$rss_max" "$note" "$anon_max" >>"$ROWS"
  else
    FAILED=1
    printf '%s\t%s\t\t\t\tFAILED\t%s\t\n' "$tool" "$label" "$note" >>"$ROWS"
  fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Checks: print a short note, fail when the tool did not really list the goroutines.
check_lldb_grouped() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  if ! grep -qE 'main\.(parkOnChan|parkInSelect|parkOnMutex|parkInSleep|consume|poll|lockStep|snooze|start[A-Z][a-z]+)' "$1"; then
    echo "the grouped output names none of bench/many's functions"; return 1
  fi
  local total
  total=$(grep -oE '^[0-9]+ goroutines' "$1" | head -1 | grep -oE '[0-9]+' || true)
  if [ -z "$total" ]; then
    echo "grouped output names bench/many's functions (no 'N goroutines' total line found)"
  elif [ "$total" -lt "${CHECK_N:-$N}" ]; then
    echo "the grouped output counts $total goroutines, fewer than ${CHECK_N:-$N}"; return 1
  else
    echo "grouped output: $total goroutines"
  fi
}
check_lldb_json() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  # Streamed, a goroutine a line (the file is gigabytes at a million goroutines): every line
  # counted and its frames counted, every 97th line parsed whole, the ends checked.
  python3 - "$JSON_OUT" "$N" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
count = deep = parsed = 0
try:
    with open(path) as f:
        head = f.readline() + f.readline()
        if not head.startswith('{"go_version"') or '"goroutines": [' not in head:
            print(f"{path} does not start as go goroutines --json does"); sys.exit(1)
        last = ""
        for line in f:
            if not line.startswith('{"id": '):
                last += line
                continue
            count += 1
            deep = max(deep, line.count('"pc": '))
            if count % 97 == 1:
                g = json.loads(line.rstrip().rstrip(","))
                parsed += 1
                if not isinstance(g.get("frames"), list):
                    print(f"goroutine {g.get('id')} has no frames list"); sys.exit(1)
        if not last.rstrip().endswith("]}"):
            print(f"{path} does not end its goroutines list"); sys.exit(1)
except (OSError, ValueError) as e:
    print(f"cannot read {path}: {e}"); sys.exit(1)
print(f"{count} goroutines in the JSON ({parsed} parsed whole), deepest stack {deep} frames")
if count < n:
    sys.exit(1)
if deep < 20:  # depth 18 + entry + park + runtime frames: --frames all must not truncate
    print("stacks look truncated with --frames all"); sys.exit(1)
PY
  local rc=$?
  rm -f "$JSON_OUT"
  # Gigabytes just written push the core out of the page cache: warm it again for what follows.
  cat "$CORE" >/dev/null
  return "$rc"
}
check_lldb_waits() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  local total
  total=$(grep -oE '^[0-9]+ blocked goroutines' "$1" | head -1 | grep -oE '^[0-9]+' || true)
  if [ -z "$total" ]; then echo "no 'N blocked goroutines' line in go waits' output"; return 1; fi
  if [ "$total" -lt "$N" ]; then echo "go waits counts $total blocked goroutines, fewer than $N"; return 1; fi
  if ! grep -q 'sync.Mutex 0x' "$1" && ! grep -q 'receive on chan 0x' "$1"; then
    echo "go waits names no channel or mutex"; return 1
  fi
  echo "go waits: $total blocked goroutines"
}
check_lldb_leaks() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  local sum
  sum=$(grep -oE '^ *[0-9]+ × \[' "$1" | grep -oE '[0-9]+' | awk '{s += $1} END {print s}' || true)
  if ! grep -qE 'groups of blocked goroutines' "$1"; then echo "no summary line in go leaks' output"; return 1; fi
  echo "go leaks: ${sum:-?} goroutines in the groups shown"
}
check_lldb_stacks() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  local total
  total=$(grep -oE '^total: [0-9]+ goroutines' "$1" | grep -oE '[0-9]+' || true)
  if [ -z "$total" ]; then echo "no 'total: N goroutines' line in go stacks' output"; return 1; fi
  if [ "$total" -lt "$N" ]; then echo "go stacks counts $total goroutines, fewer than $N"; return 1; fi
  if ! grep -qE 'main\.descend[AB]→main\.descend[AB] ×' "$1"; then
    echo "go stacks flags no descendA/descendB recursion"; return 1
  fi
  echo "go stacks: $total goroutines, top $(grep -cE '^ *[0-9]+  ' "$1") rows"
}
check_attached() {
  if grep -qE '^error:|error: ' "$1"; then echo "the debugger reported an error"; return 1; fi
  kill -0 "$LIVE_PID" 2>/dev/null || { echo "the process is gone after the detach"; return 1; }
  echo "attached and detached; the process runs on"
}
check_lldb_opened() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  echo "core opened"
}
check_lldb_locals() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  local frames
  frames=$(grep -cE '^#[0-9]+ main\.deepDive ' "$1" || true)
  [ "$frames" = 100 ] || { echo "go locals shows $frames main.deepDive frames, not 100"; return 1; }
  grep -qE '^  label = [0-9]+$' "$1" || { echo "go locals shows no label value"; return 1; }
  echo "go locals: 100 main.deepDive frames, $(grep -cE '^  [a-z]+ = [0-9]+$' "$1") integer values"
}
check_lldb_map() {
  if grep -qE '^error:|error: ' "$1"; then echo "lldb reported an error"; return 1; fi
  grep -q 'map\[int\]string len: 100000, \[' "$1" || { echo "no 'map[int]string len: 100000' in go print's output"; return 1; }
  grep -q '\.\.\.+99900 more\]' "$1" || { echo "go print did not stop at 100 entries"; return 1; }
  echo "go print: 100 of 100000 entries"
}
check_delve_stack() {
  local frames
  # (Delve writes function names in bold: its escape sequences go first.)
  frames=$(sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -cE '^ *[0-9]+  0x[0-9a-f]+ in main\.deepDive$' || true)
  [ "$frames" = 100 ] || { echo "Delve's stack shows $frames main.deepDive frames, not 100"; return 1; }
  echo "Delve: 100 main.deepDive frames with -full"
}
check_delve_map() {
  grep -q 'map\[int\]string \[' "$1" || { echo "no 'map[int]string [' in Delve's output"; return 1; }
  echo "Delve printed main.bigMap"
}
check_delve() {
  local count
  count=$(grep -oE '^\[[0-9]+ goroutines\]' "$1" | tail -1 | grep -oE '[0-9]+' || true)
  if [ -z "$count" ]; then echo "no '[N goroutines]' line in Delve's output"; return 1; fi
  if [ "$count" -lt "${CHECK_N:-$N}" ]; then echo "Delve listed $count goroutines, fewer than ${CHECK_N:-$N}"; return 1; fi
  echo "Delve listed $count goroutines ($(wc -l <"$1") lines of output)"
}

LLDB_VERSION=$("$LLDB" --version 2>/dev/null | head -1 || echo "$LLDB: not found")
DLV_VERSION=$("$DLV" version 2>/dev/null | sed -n 's/^Version: //p' || true)

if [ "$DO_LLDB" = 1 ]; then
  if [ -n "$PLUGIN_PROBLEM" ]; then
    for label in "go goroutines --group-by stack" "go goroutines --json --frames all --output FILE" "go stacks" \
                 "go waits" "go leaks"; do
      printf 'goinspect (lldb)\t%s\t\t\t\tFAILED\t%s\t\n' "$label" "$PLUGIN_PROBLEM" >>"$ROWS"
    done
    FAILED=1
  else
    LLDB_BASE=("$LLDB" --no-lldbinit -b -o "plugin load $PLUGIN_USED" -o "target create $EXE --core $CORE")
    bench_case "goinspect (lldb)" "go goroutines --group-by stack" check_lldb_grouped \
      "${LLDB_BASE[@]}" -o "go goroutines --group-by stack"
    JSON_OUT=$WORK/goroutines.json
    bench_case "goinspect (lldb)" "go goroutines --json --frames all --output FILE" check_lldb_json \
      "${LLDB_BASE[@]}" -o "go goroutines --json --frames all --output $JSON_OUT"
    bench_case "goinspect (lldb)" "go stacks" check_lldb_stacks "${LLDB_BASE[@]}" -o "go stacks"
    bench_case "goinspect (lldb)" "go waits" check_lldb_waits "${LLDB_BASE[@]}" -o "go waits"
    bench_case "goinspect (lldb)" "go leaks" check_lldb_leaks "${LLDB_BASE[@]}" -o "go leaks"
    bench_case "goinspect (lldb)" "(open the core)" check_lldb_opened "${LLDB_BASE[@]}"
    bench_case "goinspect (lldb)" "go locals --goroutine G --frame all" check_lldb_locals \
      "${LLDB_BASE[@]}" -o "go locals --goroutine $DEEP_GOID --frame all"
    bench_case "goinspect (lldb)" "go print --elements 100 main.bigMap" check_lldb_map \
      "${LLDB_BASE[@]}" -o "go print --elements 100 main.bigMap"
  fi
fi

if [ "$DO_DELVE" = 1 ]; then
  # Delve's terminal client reads the commands from --init; 'exit' ends it. A private config
  # directory keeps the user's Delve config out of the numbers.
  mkdir -p "$WORK/dlv-config"
  printf 'goroutines\nexit\n' >"$WORK/dlv-goroutines.init"
  printf 'goroutines -t 50\nexit\n' >"$WORK/dlv-goroutines-t50.init"
  DLV_BASE=(env XDG_CONFIG_HOME="$WORK/dlv-config" "$DLV" core "$EXE" "$CORE"
            --allow-non-terminal-interactive=true --check-go-version=false)
  bench_case "Delve" "goroutines" check_delve "${DLV_BASE[@]}" --init "$WORK/dlv-goroutines.init"
  # Delve keeps every goroutine's 50 frames in memory (about 35 KB a goroutine): past
  # DELVE_STACKS_MAX_N it would need more memory than the machine has.
  if [ "$N" -le "$DELVE_STACKS_MAX_N" ]; then
    bench_case "Delve" "goroutines -t 50" check_delve "${DLV_BASE[@]}" --init "$WORK/dlv-goroutines-t50.init"
  else
    log "Delve: goroutines -t 50 skipped: N=$N > DELVE_STACKS_MAX_N=$DELVE_STACKS_MAX_N"
    printf 'Delve\tgoroutines -t 50\t\t\t\tSKIPPED\tN > DELVE_STACKS_MAX_N=%s (about 35 KB a goroutine)\t\n' \
      "$DELVE_STACKS_MAX_N" >>"$ROWS"
  fi
  printf 'exit\n' >"$WORK/dlv-open.init"
  printf 'goroutine %s stack 110 -full\nexit\n' "$DEEP_GOID" >"$WORK/dlv-stack.init"
  printf 'config max-array-values 100\nprint main.bigMap\nexit\n' >"$WORK/dlv-map.init"
  bench_case "Delve" "(open the core)" check_lldb_opened "${DLV_BASE[@]}" --init "$WORK/dlv-open.init"
  bench_case "Delve" "goroutine G stack 110 -full" check_delve_stack "${DLV_BASE[@]}" --init "$WORK/dlv-stack.init"
  bench_case "Delve" "print main.bigMap (max-array-values 100)" check_delve_map "${DLV_BASE[@]}" --init "$WORK/dlv-map.init"
fi

# ---- the live case ---------------------------------------------------------------------------
# A running process with n parked goroutines: attach, the first listing, detach. The process
# must run on after each detach (check_attached, check_*); it is the same process for both tools.
for LN in $LIVE_NS; do
  [[ $LN =~ ^[0-9]+$ ]] || die "--live wants goroutine counts, not '$LN'"
  log "live: parking $LN goroutines in a running bench/many"
  (cd "$WORK" && exec ./many -n "$LN" >"$WORK/live.out" 2>"$WORK/live.err") &
  LIVE_PID=$!
  wait_parked "$LIVE_PID" live 120 "$LN"
  CHECK_N=$LN
  if [ "$DO_LLDB" = 1 ] && [ -z "$PLUGIN_PROBLEM" ]; then
    LIVE_BASE=("$LLDB" --no-lldbinit -b -o "plugin load $PLUGIN_USED" -o "process attach -p $LIVE_PID")
    bench_case "goinspect (lldb)" "live $LN: attach, detach" check_attached "${LIVE_BASE[@]}" -o "process detach"
    bench_case "goinspect (lldb)" "live $LN: attach, go goroutines --group-by stack, detach" check_lldb_grouped \
      "${LIVE_BASE[@]}" -o "go goroutines --group-by stack" -o "process detach"
  fi
  if [ "$DO_DELVE" = 1 ]; then
    printf 'exit -d\n' >"$WORK/dlv-detach.init"
    printf 'goroutines\nexit -d\n' >"$WORK/dlv-live.init"
    DLV_LIVE=(env XDG_CONFIG_HOME="$WORK/dlv-config" "$DLV" attach "$LIVE_PID"
              --allow-non-terminal-interactive=true --check-go-version=false)
    mkdir -p "$WORK/dlv-config"
    bench_case "Delve" "live $LN: attach, detach" check_attached "${DLV_LIVE[@]}" --init "$WORK/dlv-detach.init"
    bench_case "Delve" "live $LN: attach, goroutines, detach" check_delve "${DLV_LIVE[@]}" --init "$WORK/dlv-live.init"
  fi
  unset CHECK_N
  kill -KILL "$LIVE_PID"; wait "$LIVE_PID" 2>/dev/null || true; LIVE_PID=""
done

LOAD_END=$(cut -d' ' -f1 /proc/loadavg)

# ---- report ----------------------------------------------------------------------------------
REPORT=$WORK/report.md
python3 - "$ROWS" "$REPORT" <<PY
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out = []
w = out.append
w("# Benchmark: goinspect (LLDB plugin) vs Delve")
w("")
w("- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB RAM; kernel $(uname -r)")
w("- target: bench/many, N=$N parked goroutines ($PARKED_LINE), built with $GOVERSION")
w("- core: $CORE_METHOD, ${CORE_MB} MB, warm in the page cache; runs per measurement: $RUNS (median wall, largest RSS)")
w("- load average (1 min) when measuring began / ended: $LOAD_START / $LOAD_END (other work on the machine inflates wall times; cpu s is user + system time of the measured process)")
w("- $LLDB_VERSION; Delve ${DLV_VERSION:-?}; plugin: $PLUGIN_DESC")
w("")
# Anonymous memory is the tool's own (heap); peak RSS adds the core's pages it mapped and
# touched. The engine's own: our command's anonymous peak minus lldb's on opening the core.
anon = {(r[0], r[1]): int(r[7]) / 1024 for r in rows if len(r) > 7 and r[7]}
rows = [r[:7] for r in rows]
w("| tool | command | wall s | cpu s | peak RSS MB | peak anonymous MB | status |")
w("| --- | --- | ---: | ---: | ---: | ---: | --- |")
res = {}
for tool, label, wall, cpu, rss, status, note in rows:
    mb = f"{int(rss)/1024:.0f}" if rss else ""
    an = f"{anon[(tool, label)]:.0f}" if (tool, label) in anon else ""
    w(f"| {tool} | \`{label}\` | {wall} | {cpu} | {mb} | {an} | {status if status == 'ok' else status + ': ' + note} |")
    if status == "ok":
        res[label] = (float(wall), int(rss) / 1024, float(cpu))
w("")
pairs = [("list all goroutines", "goroutines", "go goroutines --group-by stack"),
         ("all goroutines with stacks", "goroutines -t 50", "go goroutines --json --frames all --output FILE")]
w("| comparison | Delve command | our command | wall Delve/ours | cpu Delve/ours | RSS Delve/ours |")
w("| --- | --- | --- | ---: | ---: | ---: |")
ratio = lambda a, b: f"{a/b:.1f}x" if b > 0 else "inf"
for what, d, o in pairs:
    if d in res and o in res:
        (dw, dr, dc), (ow, orr, oc) = res[d], res[o]
        w(f"| {what} | \`{d}\` | \`{o}\` | {ratio(dw, ow)} | {ratio(dc, oc)} | {ratio(dr, orr)} |")
    else:
        w(f"| {what} | \`{d}\` | \`{o}\` | n/a | n/a | n/a |")
w("")
# The values commands: the time beyond opening the core (each tool's "(open the core)" row).
w("| values | Delve command | our command | ours beyond opening s | Delve beyond opening s | wall Delve/ours |")
w("| --- | --- | --- | ---: | ---: | ---: |")
open_o = open_d = None
for tool, label, wall, cpu, rss, status, note in rows:
    if tool == "Delve" and label == "(open the core)" and status == "ok":
        open_d = float(wall)
    if tool != "Delve" and label == "(open the core)" and status == "ok":
        open_o = float(wall)
dres = {l: float(wl) for t, l, wl, c, r, st, n in rows if t == "Delve" and st == "ok"}
ores = {l: float(wl) for t, l, wl, c, r, st, n in rows if t != "Delve" and st == "ok"}
beyond = {}
for what, d, o in [("every frame's locals, 100 frames", "goroutine G stack 110 -full", "go locals --goroutine G --frame all"),
                   ("100 of a 100,000-entry map", "print main.bigMap (max-array-values 100)", "go print --elements 100 main.bigMap")]:
    ob = max(ores[o] - open_o, 0) if o in ores and open_o is not None else None
    db = max(dres[d] - open_d, 0) if d in dres and open_d is not None else None
    beyond[o] = ob
    f = lambda v: f"{v:.2f}" if v is not None else "n/a"
    w(f"| {what} | \`{d}\` | \`{o}\` | {f(ob)} | {f(db)} | {ratio(dres[d], ores[o]) if d in dres and o in ores else 'n/a'} |")
w("")
targets = [("grouped summary wall", "go goroutines --group-by stack", 0, $TARGET_GROUPED_S, "s"),
           ("go stacks wall", "go stacks", 0, $TARGET_BUDGET_S, "s"),
           ("go waits wall", "go waits", 0, $TARGET_BUDGET_S, "s"),
           ("go leaks wall", "go leaks", 0, $TARGET_BUDGET_S, "s"),
           ("full JSON wall", "go goroutines --json --frames all --output FILE", 0, $TARGET_JSON_S, "s"),
           ("lldb peak RSS (grouped)", "go goroutines --group-by stack", 1, $TARGET_RSS_MB, "MB"),
           ("lldb peak RSS (full JSON)", "go goroutines --json --frames all --output FILE", 1, $TARGET_RSS_MB, "MB"),
           ("lldb peak RSS (go stacks)", "go stacks", 1, $TARGET_RSS_MB, "MB"),
           ("lldb peak RSS (go waits)", "go waits", 1, $TARGET_RSS_MB, "MB"),
           ("lldb peak RSS (go leaks)", "go leaks", 1, $TARGET_RSS_MB, "MB")]
missed = 0
w("Targets for ours (2-core machine, 100k goroutines)" + ("" if $N == 100000 else " -- this run has N=$N, so they only indicate") + ":")
w("")
for name, o, limit in [("go locals --frame all, 100 frames, beyond opening", "go locals --goroutine G --frame all", $TARGET_LOCALS_S),
                       ("go print of 100 map entries, beyond opening", "go print --elements 100 main.bigMap", $TARGET_MAP_S)]:
    v = beyond.get(o)
    if v is None:
        w(f"- {name}: not measured")
    else:
        missed += v > limit
        w(f"- {name}: {v:.2f} s (target <= {limit} s): {'met' if v <= limit else 'MISSED'}")
for name, label, k, limit, unit in targets:
    if label in res:
        v = res[label][k]
        ok = v <= limit
        missed += not ok
        w(f"- {name}: {v:.2f} {unit} (target <= {limit} {unit}): {'met' if ok else 'MISSED'}")
    else:
        w(f"- {name}: not measured")
o_open = anon.get(("goinspect (lldb)", "(open the core)"))
if o_open is not None:
    w("")
    w("The engine's own memory: peak anonymous memory beyond lldb's own on opening the core:")
    w("")
    for label in ["go goroutines --group-by stack", "go goroutines --json --frames all --output FILE",
                  "go stacks", "go waits", "go leaks"]:
        a = anon.get(("goinspect (lldb)", label))
        if a is not None:
            own = max(a - o_open, 0)
            w(f"- \`{label}\`: {own:.0f} MB, {own * 1048576 / $N:.0f} bytes per goroutine")
live = [n for n in "$LIVE_NS".split()]
live10k = None
if live:
    w("")
    w("The live case: a running process, attach, the first listing, detach (the listing's own time is the row minus attach-and-detach):")
    w("")
    w("| goroutines | ours: attach → summary printed → detach, s | ours: the summary alone, s | Delve: attach → goroutines → detach, s | Delve: goroutines alone, s | Delve/ours (whole) |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: |")
    get = lambda label: res[label][0] if label in res else None
    f = lambda v: f"{v:.2f}" if v is not None else "n/a"
    for n in live:
        o = get(f"live {n}: attach, go goroutines --group-by stack, detach")
        d = get(f"live {n}: attach, goroutines, detach")
        oa = da = None  # both tools' rows share the label: told apart by tool
        for t, l, wl, c, r, st, nt in rows:
            if t == "Delve" and l == f"live {n}: attach, detach" and st == "ok":
                da = float(wl)
            if t != "Delve" and l == f"live {n}: attach, detach" and st == "ok":
                oa = float(wl)
        ob = max(o - oa, 0) if o is not None and oa is not None else None
        db = max(d - da, 0) if d is not None and da is not None else None
        w(f"| {n} | {f(o)} | {f(ob)} | {f(d)} | {f(db)} | {ratio(d, o) if d is not None and o else 'n/a'} |")
        if n == "10000" and o is not None:
            live10k = o
    if live10k is not None:
        w("")
        w(f"- live 10k, attach → first summary printed → detach: {live10k:.2f} s (target <= 0.5 s): {'met' if live10k <= 0.5 else 'MISSED'}")
# Cost per goroutine, to compare runs of different N (the 2M run against the 1M one).
w("")
w("Per goroutine (wall and the engine's own memory, divided by N=$N):")
w("")
for label in ["go goroutines --group-by stack", "go goroutines --json --frames all --output FILE", "go stacks", "go waits", "go leaks"]:
    if label in res:
        a = anon.get(("goinspect (lldb)", label)); o_op = anon.get(("goinspect (lldb)", "(open the core)"))
        mem = f", {max(a - o_op, 0) * 1048576 / $N:.0f} bytes" if a is not None and o_op is not None else ""
        w(f"- \`{label}\`: {res[label][0] * 1e6 / $N:.2f} µs{mem}")
if $N >= 1000000:
    # The million-goroutine targets (a core of 1M parked goroutines, Go 1.26, this machine).
    w("")
    w("Targets for a million goroutines" + ("" if $N == 1000000 else " -- this run has N=$N, so they only indicate") + ":")
    w("")
    own = lambda l: max(anon[("goinspect (lldb)", l)] - o_open, 0) if o_open is not None and ("goinspect (lldb)", l) in anon else None
    for name, label, limit, unit in [("grouped summary wall", "go goroutines --group-by stack", 2, "s"),
                                     ("go leaks wall", "go leaks", 3, "s"), ("go waits wall", "go waits", 3, "s"),
                                     ("go stacks wall", "go stacks", 3, "s"),
                                     ("full JSON wall", "go goroutines --json --frames all --output FILE", 8, "s"),
                                     ("engine's own memory (grouped)", "go goroutines --group-by stack", 600, "MB")]:
        v = own(label) if unit == "MB" else (res[label][0] if label in res else None)
        if v is None:
            w(f"- {name}: not measured")
        else:
            w(f"- {name}: {v:.2f} {unit} (target <= {limit} {unit}): {'met' if v <= limit else 'MISSED'}")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
open(sys.argv[2] + ".missed", "w").write(str(missed))
PY
echo
cat "$REPORT"
if [ "$RESULTS" != - ]; then
  mkdir -p "$(dirname "$RESULTS")"
  cp "$REPORT" "$RESULTS"
  log "table written to $RESULTS"
fi
[ "$FAILED" = 0 ] || { log "FAILED: at least one measurement did not run or did not check out (see above)"; exit 1; }
if [ "$STRICT" = 1 ] && [ "$(cat "$REPORT.missed")" != 0 ]; then log "a target was missed"; exit 3; fi
exit 0
