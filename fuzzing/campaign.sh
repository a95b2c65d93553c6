#!/usr/bin/env bash
# Fuzzing mode for one @FuzzTest target, at the lowest CPU priority, with CPU time measured.
#   fuzzing/campaign.sh TARGET SECONDS     TARGET: loader | check | restore | table | status
# Needs the test classes compiled once before (e.g. mvn -B -pl cli,store-persistent,dm -am
# test-compile). Writes logs/<target>.log (libFuzzer's output and GNU time's report) under
# fuzzing/logs/, which is not committed. The generated corpus goes to <module>/.cifuzz-corpus/
# (ignored by git); a crashing input is written by Jazzer into the target's Inputs folder under
# src/test/resources, where the next `mvn verify` replays it: fix the bug before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1 seconds=$2
case $target in
  loader)  module=store-persistent test=LoaderFuzzTest    max_len=16384 ;;
  check)   module=cli              test=CheckFuzzTest     max_len=16384 ;;
  restore) module=cli              test=RestoreFuzzTest   max_len=4096 ;;
  table)   module=dm        test=TableLineFuzzTest max_len=512 ;;
  status)  module=dm        test=StatusLineFuzzTest max_len=256 ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p fuzzing/logs
log=fuzzing/logs/$target.log
# -max_total_time and -max_len override @FuzzTest's defaults (libFuzzer takes the last flag given);
# -timeout: an input running longer than this many seconds is a finding (a hang), generous because
# the process runs at nice 19 on a shared machine; -Xmx bounds the heap, so a memory blow-up is an
# OutOfMemoryError, which Jazzer reports as a finding (it disables libFuzzer's RSS limit itself);
# -report_slow_units=60: without it libFuzzer drops a slow-unit-* file into src/test/resources for
# every input that took 10 s, which on a loaded machine is any input. jazzer.instrument: by default
# jazzer-junit instruments only the test's own package, so the loader's coverage feedback would miss
# cow-format and spi, and the CLI's would miss cow-format and dm.
JAZZER_FUZZ=1 nice -n 19 /usr/bin/time -v -o "$log.time" \
  mvn -B -o -Dstyle.color=never -pl "$module" -am surefire:test \
    -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx1g \
    '-Djazzer.instrument=dev.snapstore.**' \
    -Djazzer.internal.arg.0=fake_argv0 \
    -Djazzer.internal.arg.1=-max_total_time="$seconds" \
    -Djazzer.internal.arg.2=-max_len="$max_len" \
    -Djazzer.internal.arg.3=-timeout=60 \
    -Djazzer.internal.arg.4=-print_final_stats=1 \
    -Djazzer.internal.arg.5=-report_slow_units=60 \
    >"$log" 2>&1 || echo "campaign: $target exited with $?" >>"$log"
grep -E "^#[0-9]+ +DONE|^Done|stat::|Elapsed|User time|System time|FAIL|crash-|Test unit written" "$log" "$log.time" || true
