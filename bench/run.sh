#!/usr/bin/env bash
# Runs the short benchmark profile (issue 6) and prints, for each figure, snapstore's number, the
# raw FileChannel baseline measured in the same run on the same files, their ratio and the goal.
#
#   bench/run.sh                       # everything, about 10 minutes on 2 cores
#   bench/run.sh --only load,memory    # parts: load, memory, cow, export, lookup, peers
#
# The part "peers" is bench/peers.sh: export, merge and status against qemu-img, cp and java -version
# as whole processes on the issue-12 workload (it installs qemu-utils when missing, or skips those
# rows with a line saying so). It runs after the JMH parts when no --only is given.
#
# SNAPSTORE_BENCH_DIR picks where the files go (default: $TMPDIR or /tmp, then snapstore-bench).
# It should be a real disk: the raw baselines run on the same files, so tmpfs would flatter both.
# The files are kept for the next run; delete the folder to rebuild them. The table is also
# written to bench/target/results.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar=$here/target/bench.jar

# Build when the jar is missing or older than any main source or pom of the modules it runs.
stale=
if [[ -f $jar ]]; then
  stale=$(find "$root"/{spi,cow-format,cow-tools,store-persistent,store-transient,engine,bench} \
    \( -path '*/src/main/*' -o -name pom.xml \) -newer "$jar" -print -quit)
fi
if [[ ! -f $jar || -n $stale ]]; then
  echo "building the benchmarks (mvn package)..." >&2
  (cd "$root" && mvn -B -q -pl bench -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true)
fi

dir=${SNAPSTORE_BENCH_DIR:-${TMPDIR:-/tmp}/snapstore-bench}
mkdir -p "$dir"
echo "files in $dir ($(df -T "$dir" | awk 'NR==2 {print $2}'))" >&2

# "peers" is not a JMH part: take it out of --only for BenchMain.
args=("$@")
peers=yes
if [ "${1:-}" = --only ]; then
  parts=",${2:-},"
  case $parts in *,peers,*) peers=yes ;; *) peers= ;; esac
  parts=${parts//,peers,/,}
  parts=${parts#,}
  parts=${parts%,}
  args=(--only "$parts")
  [ -z "$parts" ] && args=()
  [ -z "$parts" ] && [ -n "$peers" ] && exec "$here/peers.sh"
fi

java -Xmx3g -Xms3g -Dsnapstore.bench.dir="$dir" -cp "$jar:$here/target/lib/*" \
  dev.snapstore.bench.BenchMain "${args[@]}" | tee "$here/target/results.log"
# The table is the last block of the output.
sed -n '/^| figure /,$p' "$here/target/results.log" > "$here/target/results.md"
if [ -n "$peers" ]; then
  SNAPSTORE_BENCH_DIR=$dir "$here/peers.sh" | tee -a "$here/target/results.md"
fi
