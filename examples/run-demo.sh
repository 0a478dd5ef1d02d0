#!/usr/bin/env bash
# The main job on the bundled example: build examples/hungservice, start it, wait until it
# has hung, attach LLDB with the plugin and show what is wrong with it:
#   go info; go goroutines --group-by stack; go bt <one of the two deadlocked goroutines>;
#   go stacks (the runaway category recursion on top); go waits (the two Ledger.Transfer
#   goroutines in a wait-for cycle); go leaks --min 2 (the fetchShard workers: a leak);
#   go defers <the deadlocked goroutine> (its pending `defer src.mu.Unlock()`); go sched
# then detach and stop the service. Every step has a time limit; any failure exits non-zero.
#
# Environment:
#   GO       Go command to build with       (default /usr/lib/go-1.26/bin/go)
#   PLUGIN   the plugin shared object       (default <repo>/build/lldb-plugin/libgoinspect-lldb.so)
#   LLDB     the debugger                   (default lldb-22)
#   KEEP=1   keep the scratch directory (the binary, the service's log, lldb's output)
#   DEMO_COMMANDS  lldb commands, one per line, to run instead of the demo's own (they are
#            still checked to run without error; the README's samples are captured this way)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-/usr/lib/go-1.26/bin/go}
PLUGIN=${PLUGIN:-$ROOT/build/lldb-plugin/libgoinspect-lldb.so}
LLDB=${LLDB:-lldb-22}

say() { printf '\n=== run-demo: %s\n' "$*"; }
die() { printf 'run-demo: FAILED: %s\n' "$*" >&2; exit 1; }

[ -x "$GO" ] || command -v "$GO" >/dev/null || die "no Go command at $GO (set GO=...)"
command -v "$LLDB" >/dev/null || die "no $LLDB on PATH (set LLDB=...)"
[ -f "$PLUGIN" ] || die "no plugin at $PLUGIN: build it first (cmake --build build), or set PLUGIN=..."
PLUGIN=$(cd "$(dirname "$PLUGIN")" && pwd)/$(basename "$PLUGIN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/goinspect-demo.XXXXXX")
SERVICE_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill -KILL "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then
    echo "run-demo: scratch files kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build -------------------------------------------------------------------------------
say "building examples/hungservice with $("$GO" version)"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE=$WORK/gocache
fi
(cd "$ROOT/examples/hungservice" &&
  GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod timeout 300 "$GO" build -o "$WORK/hungservice" .) ||
  die "go build failed"

# ---- start and wait for the hang -----------------------------------------------------------
say "starting the service"
# -lifetime: a safety net should this script be killed before its cleanup runs.
"$WORK/hungservice" -lifetime 15m >"$WORK/service.out" 2>"$WORK/service.err" &
SERVICE_PID=$!
for _ in $(seq 1 600); do # 60 s
  grep -q '^READY ' "$WORK/service.out" 2>/dev/null && break
  kill -0 "$SERVICE_PID" 2>/dev/null || { cat "$WORK/service.err" >&2; die "the service exited before READY"; }
  sleep 0.1
done
grep -q "^READY pid=$SERVICE_PID\$" "$WORK/service.out" ||
  { cat "$WORK/service.err" >&2; die "no 'READY pid=$SERVICE_PID' from the service within 60 s"; }
cat "$WORK/service.err"
echo "service is hung and ready: pid $SERVICE_PID"

run_lldb() { # log-file lldb-commands...: attach, run them, detach; 180 s at most
  local log=$1; shift
  # The two settings keep lldb's own stop report on attach to one line per thread.
  local args=(--no-lldbinit -b -O "settings set stop-line-count-before 0"
              -O "settings set stop-line-count-after 0"
              -o "plugin load $PLUGIN" -o "process attach --pid $SERVICE_PID")
  local c
  for c in "$@"; do args+=(-o "$c"); done
  args+=(-o "process detach")
  local rc=0
  timeout -k 10 180 "$LLDB" "${args[@]}" >"$log" 2>&1 || rc=$?
  return "$rc"
}

# ---- pick a deadlocked goroutine from the plugin's JSON ------------------------------------
say "asking the plugin for all goroutines as JSON"
JSON=$WORK/goroutines.json
run_lldb "$WORK/lldb-json.log" "go goroutines --json --frames all --output $JSON" ||
  { cat "$WORK/lldb-json.log"; die "lldb: go goroutines --json --frames all --output failed"; }
[ -s "$JSON" ] || { cat "$WORK/lldb-json.log"; die "go goroutines --json wrote nothing to $JSON"; }
DEADLOCKED=$(timeout 60 python3 - "$JSON" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
gs = doc["goroutines"]

def funcs(g):
    return [f.get("function") or "" for f in g.get("frames") or []]

def has(g, name):
    return any(name in f for f in funcs(g))

leaked = [g for g in gs if has(g, "main.(*Server).fetchShard")]
export = [g for g in gs if has(g, "main.(*Server).handleExport")]
locked = [g for g in gs if has(g, "main.(*Ledger).Transfer")]
crumbs = [g for g in gs if has(g, "main.(*Catalog).crumbs")]
print(f"{len(gs)} goroutines; fetchShard workers {len(leaked)}, handleExport {len(export)}, "
      f"Ledger.Transfer {len(locked)}, Catalog.crumbs {len(crumbs)} (wait reasons: "
      f"{sorted(set(g.get('wait_reason') for g in locked))})", file=sys.stderr)
problems = []
if len(leaked) < 300:
    problems.append(f"expected >= 300 goroutines in main.(*Server).fetchShard, got {len(leaked)}")
if len(export) != 1:
    problems.append(f"expected 1 goroutine in main.(*Server).handleExport, got {len(export)}")
if len(locked) != 2:
    problems.append(f"expected 2 goroutines in main.(*Ledger).Transfer, got {len(locked)}")
if len(crumbs) != 1:
    problems.append(f"expected 1 goroutine in main.(*Catalog).crumbs, got {len(crumbs)}")
mutex = [g for g in locked if g.get("wait_reason") == "sync.Mutex.Lock"]
if locked and not mutex:
    problems.append("no Ledger.Transfer goroutine has wait_reason sync.Mutex.Lock")
for p in problems:
    print("check: " + p, file=sys.stderr)
pick = sorted(mutex or locked, key=lambda g: g["id"])
if not pick:
    sys.exit(1)
print(pick[0]["id"])
sys.exit(1 if problems else 0)
PY
) || die "the plugin's JSON does not show the hang as expected (see above; file $JSON)"
echo "deadlocked goroutine: $DEADLOCKED"

# ---- the demo itself -------------------------------------------------------------------------
if [ -n "${DEMO_COMMANDS:-}" ]; then
  mapfile -t cmds <<<"$DEMO_COMMANDS"
  say "${cmds[*]}"
  rc=0
  run_lldb "$WORK/lldb-custom.log" "${cmds[@]}" || rc=$?
  cat "$WORK/lldb-custom.log"
  [ "$rc" = 0 ] || die "lldb exited with status $rc"
  ! grep -q '^error: ' "$WORK/lldb-custom.log" || die "a command failed (see above)"
  kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true; SERVICE_PID=""
  exit 0
fi
say "go info; go goroutines --group-by stack; go bt $DEADLOCKED; go stacks --top 5; go waits --limit 5; go leaks --min 2; go defers $DEADLOCKED; go sched"
DEMO_LOG=$WORK/lldb-demo.log
rc=0
run_lldb "$DEMO_LOG" "go info" "go goroutines --group-by stack" "go bt $DEADLOCKED" "go stacks --top 5" \
  "go waits --limit 5" "go leaks --min 2" "go defers $DEADLOCKED" "go sched" || rc=$?
cat "$DEMO_LOG"
[ "$rc" = 0 ] || die "lldb exited with status $rc"
grep -q 'main.(\*Server).fetchShard' "$DEMO_LOG" ||
  die "go goroutines --group-by stack did not show the leaked main.(*Server).fetchShard workers"
grep -q 'main.(\*Ledger).Transfer' "$DEMO_LOG" ||
  die "go bt $DEADLOCKED did not show main.(*Ledger).Transfer"
grep -q 'main.(\*Catalog).crumbs→main.(\*Catalog).parentCrumbs ×' "$DEMO_LOG" ||
  die "go stacks did not flag the recursion in main.(*Catalog).crumbs"
grep -A4 'wait-for cycle of 2 goroutines' "$DEMO_LOG" | grep -q "goroutine $DEADLOCKED waits: sync.Mutex" ||
  die "go waits did not put goroutine $DEADLOCKED in a wait-for cycle on a sync.Mutex"
grep -qE '^ +[0-9]+ × \[chan send\]  LEAK' "$DEMO_LOG" ||
  die "go leaks did not call the fetchShard workers (chan send) a leak"
grep -qE 'open-coded +main.\(\*Ledger\).Transfer.deferwrap1 +deferred at hungservice/ledger.go' "$DEMO_LOG" ||
  die "go defers $DEADLOCKED did not show Transfer's pending deferred Unlock"
grep -qE '^GOMAXPROCS [0-9]+: ' "$DEMO_LOG" || die "go sched printed no summary line"
kill -0 "$SERVICE_PID" 2>/dev/null || die "the service died while attached"

# ---- stop the service ----------------------------------------------------------------------
say "stopping the service"
kill -TERM "$SERVICE_PID"
for _ in $(seq 1 100); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVICE_PID" 2>/dev/null; then
  die "the service did not exit on SIGTERM after detach (still stopped or traced?)"
fi
wait "$SERVICE_PID" 2>/dev/null || true
SERVICE_PID=""
echo "run-demo: OK"
