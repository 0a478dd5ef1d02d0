#!/usr/bin/env bash
# Builds tests/unit/coredata/waiters with every Go toolchain (plain, stripped, pie) and
# crashes each build with GOTRACEBACK=crash, leaving OUT/go1.NN/MODE/{waiters,core,dump.txt}
# for the engine's unit tests. Two more modes check that what is found without symbols does
# not depend on the heap's history or on where the linker put things: gc, the plain build
# run with WAITERS_GC=1 (a heap through several collections); layout, a build with
# -tags morepkgs (more of the standard library linked in). Idempotent: a core newer than
# its sources is kept.
set -euo pipefail
out=${1:?usage: make-cores.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
src=$(cd "$(dirname "$0")/waiters" && pwd)
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE="$out/gocache"
ulimit -c unlimited
for goroot in /usr/lib/go-1.2[1-7]; do
  v=go1.${goroot##*/go-1.}
  for mode in plain stripped pie gc layout; do
    dir="$out/$v/$mode"
    # Up to date: a core newer than the program's source, the toolchain and this script.
    if [ -s "$dir/core" ] && [ -z "$(find "$src" "$0" "$goroot/VERSION" -newer "$dir/core" -type f 2>/dev/null)" ]; then
      continue
    fi
    mkdir -p "$dir"
    vars=()
    case $mode in
      plain) flags=() ;;
      stripped) flags=(-ldflags=-s\ -w) ;;
      pie) flags=(-buildmode=pie) ;;
      gc) flags=() vars=(WAITERS_GC=1) ;;
      layout) flags=(-tags=morepkgs) ;;
    esac
    (cd "$src" && "$goroot/bin/go" build "${flags[@]}" -o "$dir/waiters" .)
    (cd "$dir" && rm -f core && { env "${vars[@]}" GOTRACEBACK=crash ./waiters > dump.txt 2>&1 || true; })
    if [ ! -s "$dir/core" ]; then
      echo "make-cores.sh: no core in $dir (kernel core_pattern: $(cat /proc/sys/kernel/core_pattern))" >&2
      exit 1
    fi
  done
done
