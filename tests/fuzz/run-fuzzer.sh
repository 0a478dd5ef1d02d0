#!/usr/bin/env bash
# run-fuzzer.sh FUZZER NAME SECONDS WORKDIR [libFuzzer flags...]: one harness's run, as CI
# makes it: a fixed seed, from a copy of tests/fuzz/corpus/NAME and regressions/NAME, for
# SECONDS; what it finds is left in WORKDIR/findings. Prints libFuzzer's last status line
# (executions, coverage) and exits non-zero on any finding.
set -euo pipefail
fuzzer=${1:?usage: run-fuzzer.sh FUZZER NAME SECONDS WORKDIR} name=$2 seconds=$3 work=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/corpus" "$work/findings"
for d in "$here/corpus/$name" "$here/regressions/$name"; do
  [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name 'README*' -exec cp {} "$work/corpus/" \;
done
rc=0
"$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=1024 \
  -print_final_stats=1 -artifact_prefix="$work/findings/" "$@" "$work/corpus" >"$work/log" 2>&1 || rc=$?
grep -E "^(#[0-9]+|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/log" | tail -3 || true
if [ $rc -ne 0 ] || [ -n "$(ls -A "$work/findings")" ]; then
  echo "fuzz-$name: FINDING (exit $rc); the input is in $work/findings, the report in $work/log:"
  grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==" "$work/log" | head -20 || true
  exit 1
fi
echo "fuzz-$name: no finding in ${seconds}s"
