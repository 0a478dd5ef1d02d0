#!/usr/bin/env bash
# Regenerates the samples test_check_waits.py reads: the truth lines (stdout) and the
# runtime's dump (stderr) of `FIXTURE crash` for the waits, leaks and deadlock fixtures,
# plain builds of Go 1.21 and 1.27, GOTRACEBACK=crash, GODEBUG=tracebacklabels=1, no core.
#
#   regen.sh FIXTURE_DIR      (FIXTURE_DIR as filled by tests/fixtures/build.sh)
#
# go1.NN/FIXTURE.stdout, go1.NN/FIXTURE.stderr (leaks: .stderr.gz, 1250 goroutines).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 FIXTURE_DIR" >&2; exit 2; }
bin=$(cd "$1" && pwd)
out=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ulimit -c 0
for t in go1.21 go1.27; do
  mkdir -p "$out/$t"
  for f in waits leaks deadlock; do
    (cd /tmp && GODEBUG=tracebacklabels=1 GOTRACEBACK=crash timeout 60 "$bin/$t/plain/$f" crash \
        >"$out/$t/$f.stdout" 2>"$out/$t/$f.stderr") || true
  done
  gzip -9nf "$out/$t/leaks.stderr"
done
echo "regen.sh: wrote $(find "$out" -name '*.std*' | wc -l) files under $out"
