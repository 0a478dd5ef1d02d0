#!/usr/bin/env bash
# Builds the unit tests' Go program (tests/unit/testdata/hello) with every installed
# toolchain go1.21..go1.27 in four modes, and writes the Go toolchain's own answers next to
# each binary, for the unit tests to compare the engine against:
#
#   OUT/unit/go1.NN/MODE/hello          MODE: plain, noopt (-gcflags=all=-N -l),
#                                             stripped (-ldflags=-s -w), pie (-buildmode=pie)
#   OUT/unit/go1.NN/MODE/addr2line.txt  pc <TAB> function <TAB> file <TAB> line, from
#                                       `go tool addr2line` (entry, middle and last byte of
#                                       every function `go tool nm` lists, plus pcs spread
#                                       evenly over .text)
#   OUT/unit/go1.NN/MODE/objdump.txt    `go tool objdump` of main.* and a few runtime
#                                       functions (not for stripped: objdump needs symbols)
#   OUT/unit/go1.NN/MODE/frames.txt     hello's own runtime.Callers/CallersFrames view of
#                                       some stacks with inlined calls
#   OUT/unit/go1.NN/MODE/buildinfo.txt  hello's runtime/debug.ReadBuildInfo and `go version`
#
# Usage: tests/unit/build-testbins.sh OUT     (OUT is the build's FIXTURE_DIR, normally
#        build/fixtures). Idempotent: a mode whose outputs are newer than the sources and
#        this script is skipped. Builds offline (GOTOOLCHAIN=local GOPROXY=off).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/testdata/hello
out=${1:?usage: $0 OUTPUT_DIR (the FIXTURE_DIR, e.g. build/fixtures)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-buildvcs=false GO111MODULE=on CGO_ENABLED=0
# The user's build cache when there is one (it is shared with other Go work); else a private one.
if [ -z "${GOCACHE:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ] && [ -z "${HOME:-}" ]; then
  export GOCACHE=$out/unit/.gocache
fi

# Each oracle is a pure function of the binary: build it first, derive the rest.
inputs=("$src/main.go" "$src/go.mod" "${BASH_SOURCE[0]}")

up_to_date() { # dir
  local f i
  for f in hello addr2line.txt frames.txt buildinfo.txt; do
    [ -s "$1/$f" ] || return 1
    for i in "${inputs[@]}"; do [ "$1/$f" -nt "$i" ] || return 1; done
  done
}

# The pcs to ask addr2line about come from testdata/pcs (entries, middles and last bytes
# of function symbols, plus pcs spread over .text), built once with the newest toolchain.
pcs=$out/unit/pcs
pcs_src=$here/testdata/pcs
if [ ! -x "$pcs" ] || [ "$pcs_src/main.go" -nt "$pcs" ]; then
  newest=
  for v in 27 26 25 24 23 22 21; do
    [ -x /usr/lib/go-1.$v/bin/go ] && { newest=/usr/lib/go-1.$v/bin/go; break; }
  done
  [ -n "$newest" ] || { echo "build-testbins: no Go toolchain in /usr/lib/go-1.NN" >&2; exit 1; }
  mkdir -p "$out/unit"
  (cd "$pcs_src" && "$newest" build -o "$pcs.tmp" .) && mv -f "$pcs.tmp" "$pcs"
fi
inputs+=("$pcs")

built=0
for v in 21 22 23 24 25 26 27; do
  go=/usr/lib/go-1.$v/bin/go
  if [ ! -x "$go" ]; then
    echo "build-testbins: $go is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  for mode in plain noopt stripped pie; do
    dir=$out/unit/go1.$v/$mode
    if up_to_date "$dir"; then continue; fi
    mkdir -p "$dir"
    flags=()
    case $mode in
      noopt) flags=("-gcflags=all=-N -l") ;;
      stripped) flags=("-ldflags=-s -w") ;;
      pie) flags=(-buildmode=pie) ;;
    esac
    echo "build-testbins: go1.$v $mode" >&2
    (cd "$src" && "$go" build "${flags[@]}" -o "$dir/hello.tmp" .)
    mv -f "$dir/hello.tmp" "$dir/hello"

    "$pcs" "$dir/hello" >"$dir/pcs.tmp"
    "$go" tool addr2line "$dir/hello" <"$dir/pcs.tmp" |
      paste "$dir/pcs.tmp" - - |
      awk -F'\t' '{ n = match($3, /:-?[0-9]+$/); file = substr($3, 1, n - 1); line = substr($3, n + 1)
                    printf "%s\t%s\t%s\t%s\n", $1, $2, file, line }' >"$dir/addr2line.tmp"
    rm -f "$dir/pcs.tmp"
    mv -f "$dir/addr2line.tmp" "$dir/addr2line.txt"

    if [ "$mode" != stripped ]; then
      "$go" tool objdump -s '^(main\..*|runtime\.main|runtime\.gopark|runtime\.schedule|fmt\.Fprintf)$' \
        "$dir/hello" >"$dir/objdump.tmp"
      mv -f "$dir/objdump.tmp" "$dir/objdump.txt"
    fi

    "$dir/hello" -oracle "$dir/frames.tmp" "$dir/buildinfo.tmp"
    printf 'go version\t%s\n' "$("$go" version "$dir/hello" | awk '{ print $2 }')" >>"$dir/buildinfo.tmp"
    mv -f "$dir/buildinfo.tmp" "$dir/buildinfo.txt"
    mv -f "$dir/frames.tmp" "$dir/frames.txt"
    built=$((built + 1))
  done
done
echo "build-testbins: $built binaries built, in $out/unit" >&2
