#!/usr/bin/env bash
# A fuzzing campaign (tests/fuzz/README.md): each harness for N minutes under ASan and UBSan,
# the harnesses side by side (one a core), each from its corpus of earlier campaigns
# (fuzz-work/NAME/corpus, seeded from tests/fuzz/corpus and regressions). Prints per harness
# the executions, the coverage (libFuzzer's cov: edges and ft: features), the peak memory
# and the findings (crash-, timeout-, oom-, leak- inputs), and appends the same table to
# bench/results/fuzz.md. Exits 1 on any finding. Ctrl-C (or SIGINT to a fuzzer) ends a run
# early: libFuzzer prints its figures, and the row says "interrupted".
#
#   scripts/fuzz.sh --minutes 60                 every harness, an hour each
#   scripts/fuzz.sh --minutes 10 --harness core  one of them
#   scripts/fuzz.sh --minutes 600 --runs 1000000 each until a million executions (or N min)
#   scripts/fuzz.sh --report                     the table of the last (or a running) campaign
#   options: --build DIR (the clang build, made if missing: build-fuzz)
#            --fixtures DIR (the seeds: build/fixtures, as scripts/test.sh makes them)
#            --work DIR (corpora and findings: fuzz-work)  --seed N (libFuzzer's, default 1)
#            --no-record (do not append to bench/results/fuzz.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes="" runs=-1 report=0 harnesses="binary core" build=$root/build-fuzz fixtures=$root/build/fixtures
work=$root/fuzz-work seed=1 record=1
usage() { sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --harness) harnesses=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --fixtures) fixtures=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    --report) report=1; shift ;;
    -h|--help) usage ;;
    *) echo "fuzz.sh: unknown option $1" >&2; usage ;;
  esac
done
if [ "$report" != 1 ]; then
  if ! [[ "$minutes" =~ ^[0-9]+$ ]] || [ "$minutes" -eq 0 ]; then
    echo "fuzz.sh: --minutes N is required" >&2
    usage
  fi
  if [ ! -d "$fixtures/cores" ] || [ ! -d "$fixtures/unit" ]; then
    echo "fuzz.sh: no seeds in $fixtures: run scripts/test.sh (or its fixture steps) first" >&2
    exit 2
  fi
  if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DGOINSPECT_SANITIZE=ON -DGOINSPECT_FUZZ=ON -DFIXTURE_DIR="$fixtures" >/dev/null
  fi
  targets=()
  for h in $harnesses; do targets+=("fuzz-$h"); done
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
fi

seconds=$((${minutes:-0} * 60))
if [ "$report" != 1 ]; then
  mkdir -p "$work"
  echo "$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes')" >"$work/commit"
fi
for h in $harnesses; do
  [ "$report" = 1 ] && break
  d=$work/$h
  mkdir -p "$d/corpus" "$d/findings"
  for s in "$root/tests/fuzz/corpus/$h" "$root/tests/fuzz/regressions/$h"; do
    [ -d "$s" ] && find "$s" -maxdepth 1 -type f ! -name 'README*' -exec cp -n {} "$d/corpus/" \;
  done
  echo "== fuzz-$h: $minutes min from $(find "$d/corpus" -type f | wc -l) inputs (log: $d/log)"
  rm -f "$d/exit"
  date +%s >"$d/started"
  (
    r=0
    GOINSPECT_FUZZ_SEEDS=$fixtures "$build/tests/fuzz/fuzz-$h" -seed="$seed" -max_total_time="$seconds" \
      -runs="$runs" -timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$d/findings/" "$d/corpus" >"$d/log" 2>&1 || r=$?
    echo "$r" >"$d/exit"
  ) &
done
wait

# One row per harness, from libFuzzer's final statistics and its last status line.
table="| harness | minutes | executions | exec/s | cov (edges) | ft (features) | corpus | peak RSS MB | crashes | hangs | ooms/leaks | exit |
|---|---|---|---|---|---|---|---|---|---|---|---|"
found=0 running=0
for h in $harnesses; do
  d=$work/$h log=$d/log
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1 || true)
  speed=$(grep -o 'stat::average_exec_per_sec: [0-9]*' "$log" | awk '{print $2}' | tail -1 || true)
  rss=$(grep -o 'stat::peak_rss_mb: [0-9]*' "$log" | awk '{print $2}' | tail -1 || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  # Still running: its last status line says how far it is.
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  [ -n "$speed" ] || speed=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$last")
  [ -n "$rss" ] || rss=$(sed -n 's/.* rss: \([0-9]*\)Mb.*/\1/p' <<<"$last")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  crashes=$(find "$d/findings" -name 'crash-*' | wc -l)
  hangs=$(find "$d/findings" -name 'timeout-*' | wc -l)
  other=$(find "$d/findings" \( -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  # libFuzzer exits 72 when interrupted (SIGINT): its figures are final, nothing was found.
  rc=$(cat "$d/exit" 2>/dev/null || echo running)
  [ "$rc" = 72 ] && rc=interrupted
  [ -f "$d/started" ] && mins=$(( ($(stat -c %Y "$d/exit" 2>/dev/null || date +%s) - $(cat "$d/started")) / 60 ))
  [ "$rc" = running ] && running=1
  bad=0
  [ "$crashes$hangs$other" = 000 ] && { [ "$rc" = 0 ] || [ "$rc" = interrupted ] || [ "$rc" = running ]; } || bad=1
  [ "$bad" = 1 ] && found=1
  table+="
| $h | ${mins:-?} | ${execs:-?} | ${speed:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | ${rss:-?} | $crashes | $hangs | $other | $rc |"
  if [ "$bad" = 1 ]; then
    echo "== fuzz-$h: finding (exit $rc); inputs in $d/findings; the report:"
    grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==" "$log" | head -20 || true
  fi
done
echo
echo "$table"
# --report only shows the table: the campaign itself appended it when it ended.
if [ "$record" = 1 ] && [ "$report" != 1 ] && [ "$running" = 0 ]; then
  commit=$(cat "$work/commit" 2>/dev/null || git -C "$root" rev-parse --short HEAD)
  mkdir -p "$root/bench/results"
  {
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, seed $seed, $(nproc) cores"
    echo
    echo "$table"
  } >>"$root/bench/results/fuzz.md"
  echo "(appended to bench/results/fuzz.md)"
fi
exit $found
