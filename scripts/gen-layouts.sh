#!/bin/bash
# Builds a small Go program (tools/layoutprog) with each Go toolchain and writes the layout
# tables of the runtime's structures, read from its DWARF by tools/go-layouts, to
# engine/binary/layouts/go1.NN.json. Re-runnable; the output is deterministic (sorted keys).
#
#   scripts/gen-layouts.sh                       # all toolchains found: 1.21 .. 1.27
#   scripts/gen-layouts.sh 1.26 1.27             # only these
#   scripts/gen-layouts.sh --bins-only [--out-dir DIR]   # only the test binaries
#
# Options:
#   --out-dir DIR   where the binaries go: DIR/go1.NN/{plain,stripped}/prog
#                   (default: build/fixtures/layouts, which the [layouts] unit tests read)
#   --bins-only     build the binaries, leave the JSON tables alone (for tests and CI)
#   --tool PATH     the go-layouts binary (default: build/tools/go-layouts, built if missing)
#
# Toolchains are looked up as /usr/lib/go-1.NN/bin/go (override the root with GOROOTS_DIR).
# Builds are offline (GOTOOLCHAIN=local GOPROXY=off). Idempotent: binaries newer than the
# program's sources, this script and the toolchain are not rebuilt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT_DIR=$ROOT/build/fixtures/layouts
TOOL=""
BINS_ONLY=0
GOROOTS_DIR=${GOROOTS_DIR:-/usr/lib}
VERSIONS=()
while [ $# -gt 0 ]; do
  case $1 in
    --out-dir) OUT_DIR=$2; shift 2 ;;
    --bins-only) BINS_ONLY=1; shift ;;
    --tool) TOOL=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    1.*) VERSIONS+=("$1"); shift ;;
    *) echo "gen-layouts: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ ${#VERSIONS[@]} -eq 0 ]; then
  for m in 21 22 23 24 25 26 27; do VERSIONS+=("1.$m"); done
fi

# The types whose layouts the tables keep (those missing from a release are skipped).
TYPES=(
  runtime.g runtime.m runtime.p runtime.schedt runtime.gobuf runtime.stack runtime.moduledata
  runtime.hchan runtime.waitq runtime.sudog runtime._defer runtime._panic runtime.mutex
  runtime.timer runtime.timers runtime.timeTimer runtime.timerWhen runtime.semaRoot
  runtime.mstats runtime.heapStatsDelta runtime.consistentHeapStats runtime.itab
  runtime.funcval runtime.pcHeader runtime.gsignalStack runtime.mcache runtime.special
  runtime.specialfinalizer runtime.specialprofile runtime.specialCleanup
  runtime.specialWeakHandle runtime.labelMap runtime.mspan runtime.mheap runtime.mcentral
  runtime.eface runtime.iface runtime.slice runtime.stringStruct runtime._func
  runtime.functab runtime.textsect runtime.itabTableType runtime.hmap runtime.bmap
  runtime.mapextra runtime.hiter runtime.scase runtime.coro runtime.synctestGroup
  runtime.synctestBubble runtime.sysmontick runtime.mOS runtime.libcall runtime.gList
  runtime.gQueue runtime.note runtime.notifyList runtime.rwmutex runtime.ancestorInfo
  runtime.stkframe runtime.bitvector runtime.stackObjectRecord runtime.funcInfo
  runtime.inlinedCall runtime.Frame runtime.pollDesc runtime.forcegcstate runtime.workType
  runtime.gcControllerState runtime.gTraceState runtime.mTraceState runtime.pTraceState
  runtime.lockRankStruct runtime.savedOpenDeferState runtime.finalizer runtime.finblock
  runtime.finBlock runtime.cpuProfile runtime.profBuf runtime.rtype runtime.pinner
  runtime.cgoTracebackArg runtime.sigctxt runtime.xRegPerG runtime.xRegPerP
  internal/abi.Type internal/abi.ITab internal/abi.UncommonType internal/abi.Name
  internal/abi.Method internal/abi.Imethod internal/abi.ArrayType internal/abi.ChanType
  internal/abi.FuncType internal/abi.InterfaceType internal/abi.MapType
  internal/abi.SwissMapType internal/abi.OldMapType internal/abi.PtrType
  internal/abi.SliceType internal/abi.StructType internal/abi.StructField
  internal/abi.EmptyInterface internal/abi.NonEmptyInterface
  internal/runtime/maps.Map internal/runtime/maps.table internal/runtime/maps.groupsReference
  internal/runtime/maps.groupReference
  runtime/pprof.labelMap runtime/pprof.LabelSet runtime/pprof.label
  sync.Mutex sync.RWMutex sync.WaitGroup sync.Once sync.Cond internal/sync.Mutex
)

if [ $BINS_ONLY -eq 0 ] && [ -z "$TOOL" ]; then
  TOOL=$ROOT/build/tools/go-layouts
  if [ ! -x "$TOOL" ]; then
    cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
    make -C "$ROOT/build" -j2 go-layouts >/dev/null
  fi
fi

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-buildvcs=false GOWORK=off CGO_ENABLED=0 \
  GOOS=linux GOARCH=amd64
unset GOROOT
# The user's build cache when there is one; else a private one beside the binaries.
if [ -z "${GOCACHE:-}" ] && { [ -z "${HOME:-}" ] || [ ! -w "${HOME:-/nonexistent}" ]; }; then
  export GOCACHE=$OUT_DIR/.gocache
fi
SRC=$ROOT/tools/layoutprog
found=0
for v in "${VERSIONS[@]}"; do
  GO=$GOROOTS_DIR/go-$v/bin/go
  if [ ! -x "$GO" ]; then
    echo "gen-layouts: no Go $v toolchain at $GO (skipped)" >&2
    continue
  fi
  found=$((found + 1))
  rel=go$v
  dir=$OUT_DIR/$rel
  mkdir -p "$dir/plain" "$dir/stripped"
  fresh=1
  for b in "$dir/plain/prog" "$dir/stripped/prog"; do
    for dep in "$SRC/main.go" "$SRC/go.mod" "$0" "$GO"; do
      [ -f "$b" ] && [ "$b" -nt "$dep" ] || fresh=0
    done
  done
  if [ $fresh -eq 0 ]; then
    # Write beside, then rename: a concurrent reader never sees half a binary.
    (cd "$SRC" && "$GO" build -trimpath -o "$dir/plain/prog.tmp" . &&
       "$GO" build -trimpath -ldflags='-s -w' -o "$dir/stripped/prog.tmp" .)
    mv "$dir/plain/prog.tmp" "$dir/plain/prog"
    mv "$dir/stripped/prog.tmp" "$dir/stripped/prog"
  fi
  toolchain=$("$GO" env GOVERSION)
  echo "gen-layouts: $toolchain -> $dir/{plain,stripped}/prog" >&2
  if [ $BINS_ONLY -eq 0 ]; then
    json=$ROOT/engine/binary/layouts/$rel.json
    "$TOOL" dump --release "$rel" --toolchain "$toolchain" "$dir/plain/prog" "${TYPES[@]}" \
      > "$json.tmp" 2> "$dir/go-layouts.log"
    mv "$json.tmp" "$json"
    echo "gen-layouts: $json ($(grep -c 'runtime\.' "$json") runtime lines)" >&2
  fi
done
if [ $found -eq 0 ]; then
  echo "gen-layouts: no Go toolchain found under $GOROOTS_DIR" >&2
  exit 1
fi
