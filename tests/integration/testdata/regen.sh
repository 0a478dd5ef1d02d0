#!/usr/bin/env bash
# Regenerates the sample goroutine dumps that test_crashdump.py parses: real output of
# the fixtures (tests/fixtures), plain builds, every toolchain built in FIXTURE_DIR.
#
#   regen.sh FIXTURE_DIR      (FIXTURE_DIR as filled by tests/fixtures/build.sh)
#
# go1.NN/FIXTURE.crash.txt        FIXTURE crash, GOTRACEBACK=crash (stderr)
# go1.NN/overflow.crash-default.txt  overflow crash-default, likewise
# go1.NN/FIXTURE.quit-MODE.txt    FIXTURE hang, GOTRACEBACK=MODE, SIGQUIT after READY
# go1.NN/parked.ancestors.txt     parked crash with GODEBUG=tracebackancestors=2
# Every run has GODEBUG=tracebacklabels=1 (goroutine labels in 1.26+ headers). No cores.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 FIXTURE_DIR" >&2; exit 2; }
bin=$(cd "$1" && pwd)
out=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ulimit -c 0

crash() { # toolchain fixture [extra GODEBUG]
  local dbg=tracebacklabels=1${3:+,$3} name=$2.crash.txt
  [ -n "${3:-}" ] && name=$2.ancestors.txt
  (cd /tmp && GODEBUG=$dbg GOTRACEBACK=crash timeout 60 "$bin/$1/plain/$2" crash \
      >/dev/null 2>"$out/$1/$name") || true
}

crash_default() { # toolchain: overflow crash-default (the default 1 GB limit; no core)
  (cd /tmp && GODEBUG=tracebacklabels=1 GOTRACEBACK=crash timeout 60 "$bin/$1/plain/overflow" \
      crash-default >/dev/null 2>"$out/$1/overflow.crash-default.txt") || true
}

quit() { # toolchain fixture gotraceback
  local ready pid
  ready=$(mktemp)
  GODEBUG=tracebacklabels=1 GOTRACEBACK=$3 timeout 60 "$bin/$1/plain/$2" hang \
      >"$ready" 2>"$out/$1/$2.quit-$3.txt" &
  pid=$!
  for _ in $(seq 1 600); do grep -q READY "$ready" && break; sleep 0.05; done
  pkill -QUIT -P "$pid" || true
  wait "$pid" || true
  rm -f "$ready"
}

for dir in "$bin"/go1.*; do
  t=$(basename "$dir")
  minor=${t#go1.}
  mkdir -p "$out/$t"
  crash "$t" parked
  crash "$t" deferpanic
  quit "$t" running crash
  case $minor in
    21|24|27)
      crash "$t" overflow
      crash "$t" deadlock
      crash "$t" parked tracebackancestors=2
      quit "$t" syscalls system
      quit "$t" parked all
      ;;
  esac
  case $minor in
    21|27) crash "$t" recursion; crash_default "$t" ;;
  esac
done
echo "regen.sh: wrote $(find "$out" -name '*.txt' | wc -l) dumps under $out"
