#!/usr/bin/env bash
# Installs what is needed (Debian packages, Go 1.21..1.27, LLDB 22), builds, prepares the
# Go test programs and cores, and runs every test: engine unit tests (no debugger) and
# integration tests driving real lldb against live processes and cores.
#
#   scripts/test.sh                 everything
#   SKIP_INSTALL=1 scripts/test.sh  when the packages are already there
#   CTEST_ARGS="-R unit" scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cd "$root"

[ "${SKIP_INSTALL:-}" = 1 ] || bash scripts/install-deps.sh

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"

fixtures=$build/fixtures
mkdir -p "$fixtures"
echo "== preparing Go test programs and cores in $fixtures"
bash tests/unit/build-testbins.sh "$fixtures"
bash scripts/gen-layouts.sh --bins-only --out-dir "$fixtures/layouts"
bash tests/unit/coredata/make-cores.sh "$fixtures/cores"
bash tests/fixtures/build.sh "$fixtures/integration"

echo "== running tests"
cd "$build"
# shellcheck disable=SC2086
rc=0
ctest --output-on-failure ${CTEST_ARGS:-} || rc=$?
if [ $rc -ne 0 ]; then
  # The end of the output is what a CI summary keeps: say there what failed.
  summary=$(
    echo "== FAILED (ctest exit $rc); failing cases from Testing/Temporary/LastTest.log:"
    grep -E "^(FAIL |       )|Failed|failed, " Testing/Temporary/LastTest.log | grep -v "0 failed" | tail -60 || true
  )
  printf '%s\n' "$summary"
  # Also on stderr when it goes somewhere else. Through the descriptor: reopening
  # /dev/stderr (tee /dev/stderr) truncates a log file that both streams go to.
  if [ "$(stat -L -c %d:%i /proc/$$/fd/1)" != "$(stat -L -c %d:%i /proc/$$/fd/2)" ]; then
    printf '%s\n' "$summary" >&2
  fi
fi
exit $rc
