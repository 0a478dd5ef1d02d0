#!/usr/bin/env bash
# Builds tests/unit/coredata/waiters with every Go toolchain (plain, stripped, pie) and
# crashes each build with GOTRACEBACK=crash, leaving OUT/go1.NN/MODE/{waiters,core,dump.txt}
# for the engine's unit tests. Idempotent: a core newer than its sources is kept.
set -euo pipefail
out=${1:?usage: make-cores.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
src=$(cd "$(dirname "$0")/waiters" && pwd)
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE="$out/gocache"
ulimit -c unlimited
for goroot in /usr/lib/go-1.2[1-7]; do
  v=go1.${goroot##*/go-1.}
  for mode in plain stripped pie; do
    dir="$out/$v/$mode"
    # Up to date: a core newer than the program's source, the toolchain and this script.
    if [ -s "$dir/core" ] && [ -z "$(find "$src" "$0" "$goroot/VERSION" -newer "$dir/core" -type f 2>/dev/null)" ]; then
      continue
    fi
    mkdir -p "$dir"
    case $mode in
      plain) flags=() ;;
      stripped) flags=(-ldflags=-s\ -w) ;;
      pie) flags=(-buildmode=pie) ;;
    esac
    (cd "$src" && "$goroot/bin/go" build "${flags[@]}" -o "$dir/waiters" .)
    (cd "$dir" && rm -f core && { GOTRACEBACK=crash ./waiters > dump.txt 2>&1 || true; })
    if [ ! -s "$dir/core" ]; then
      echo "make-cores.sh: no core in $dir (kernel core_pattern: $(cat /proc/sys/kernel/core_pattern))" >&2
      exit 1
    fi
  done
done
