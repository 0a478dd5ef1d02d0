#!/usr/bin/env bash
# Installs what is needed (Debian packages, Go 1.21..1.27, LLDB 22, clang), builds, prepares
# the Go test programs and cores, and runs every test: engine unit tests (no debugger),
# integration tests driving real lldb and gdb against live processes and cores, then the
# hostile-input stage: the unit tests and a short run of each fuzz harness under ASan and
# UBSan, in a clang build of their own (tests/fuzz/README.md).
#
#   scripts/test.sh                 everything
#   SKIP_INSTALL=1 scripts/test.sh  when the packages are already there
#   CTEST_ARGS="-R unit" scripts/test.sh
#   SKIP_SANITIZE=1 scripts/test.sh without the sanitizer stage
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
asan=${ASAN_BUILD_DIR:-$root/build-asan}
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

# run_ctest DIR [ARGS...]: CTest in DIR; on failure the failing cases, at the end of the
# output, which is what a CI summary keeps. Sets rc.
rc=0
run_ctest() {
  local dir=$1 r=0 summary
  shift
  (cd "$dir" && ctest --output-on-failure "$@") || r=$?
  [ $r -eq 0 ] && return 0
  rc=$r
  summary=$(
    echo "== FAILED in $dir (ctest exit $r); failing cases from Testing/Temporary/LastTest.log:"
    grep -E "^(FAIL |       )|Failed|failed, |ERROR|SUMMARY|FINDING" "$dir/Testing/Temporary/LastTest.log" |
      grep -v "0 failed" | tail -60 || true
  )
  printf '%s\n' "$summary"
  # Also on stderr when it goes somewhere else. Through the descriptor: reopening
  # /dev/stderr (tee /dev/stderr) truncates a log file that both streams go to.
  if [ "$(stat -L -c %d:%i /proc/$$/fd/1)" != "$(stat -L -c %d:%i /proc/$$/fd/2)" ]; then
    printf '%s\n' "$summary" >&2
  fi
}

echo "== running tests"
# As many at a time as there are cores: most tests drive one debugger process, and one at a
# time the suite took about 50 minutes on a 2-core VM. A test that measures latency says
# RUN_SERIAL in its CMakeLists.
# shellcheck disable=SC2086
run_ctest "$build" -j"$(nproc)" ${CTEST_ARGS:-}

if [ "${SKIP_SANITIZE:-}" != 1 ]; then
  echo "== the unit tests and the fuzz harnesses under ASan and UBSan ($asan)"
  # -O1 and line tables only: a quicker build, still readable reports.
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DGOINSPECT_SANITIZE=ON -DGOINSPECT_FUZZ=ON -DFIXTURE_DIR="$fixtures"
  cmake --build "$asan" -j"$(nproc)" --target unit-tests fuzz-binary fuzz-core
  run_ctest "$asan" -L "unit|fuzz" -j"$(nproc)"
fi
exit $rc
