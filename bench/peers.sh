#!/usr/bin/env bash
# snapstore against its peers on identical work (issue 12): whole processes, timed back to back in
# the same run, each repeated and the median kept, printed as ratios (peer time / snapstore time:
# above 1 snapstore is faster).
#
#   bench/peers.sh                 # every row, 3 repetitions
#   bench/peers.sh export merge    # rows: export, merge, status
#   PEERS_REPEAT=5 bench/peers.sh
#
# The workload (kept between runs in $SNAPSTORE_BENCH_DIR/peers, default /tmp/snapstore-bench/peers;
# delete it to rebuild): a 1 GiB origin of random bytes; 20,000 scattered 4 KiB chunks (seeded)
# written, with pattern 1 + chunk % 250, through snapstore's engine into a P COW with 4 KiB chunks
# in one process (bench/peers/MakeCow.java), and the same writes by one qemu-io process reading
# its commands from a file into a qcow2 overlay with 4 KiB clusters on the same origin. The outputs
# of export and convert, and the origins after merge and commit, are compared byte for byte.
#
# qemu-utils is installed with apt-get when missing (as root); otherwise the qemu rows are skipped
# with a line saying so.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
dir=${SNAPSTORE_BENCH_DIR:-${TMPDIR:-/tmp}/snapstore-bench}/peers
repeat=${PEERS_REPEAT:-3}
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=(export merge status)
mkdir -p "$dir"
cd "$dir"

qemu=yes
if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing qemu-utils..." >&2
    apt-get install -y -q qemu-utils >/dev/null 2>&1 || apt-get update -q >/dev/null 2>&1 && apt-get install -y -q qemu-utils >/dev/null 2>&1 || true
  fi
  command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || qemu=no
fi
[ $qemu = no ] && echo "SKIPPED: qemu-img/qemu-io not installed (apt-get install qemu-utils); the qemu rows are left out" >&2

snapstore=$root/snapstore
"$snapstore" types >/dev/null # builds the jars when needed, outside any timing
modulepath="$(ls "$root"/cli/target/snapstore-cli-*.jar | grep -v -- '-sources\|-javadoc' | head -n 1):$root/cli/target/lib"

# --- the workload --------------------------------------------------------------------------------
if [ ! -f ready ]; then
  echo "building the workload in $dir (once)..." >&2
  rm -f origin.img cow.img overlay.qcow2 chunks qemu-io.cmds small-*.img
  python3 - <<'EOF'
import random
r = random.Random(12)
chunks = sorted(r.sample(range(262144), 20000))
open('chunks', 'w').write('\n'.join(map(str, chunks)) + '\n')
EOF
  head -c 1G /dev/urandom >origin.img
  truncate -s 96M cow.img
  java --module-path "$modulepath" --add-modules ALL-MODULE-PATH "$here/peers/MakeCow.java" origin.img cow.img chunks
  if [ $qemu = yes ]; then
    qemu-img create -q -f qcow2 -b "$dir/origin.img" -F raw -o cluster_size=4096 overlay.qcow2
    awk '{printf "write -q -P %d %d 4096\n", 1 + $1 % 250, $1 * 4096}' chunks >qemu-io.cmds
    qemu-io -f qcow2 overlay.qcow2 <qemu-io.cmds >/dev/null
  fi
  # status: a small kernel-format COW (16 MiB, one chunk written) on a 64 MiB origin
  head -c 64M /dev/urandom >small-origin.img
  "$snapstore" create --cow small-cow.img --size 16M --chunk-size 8 >/dev/null
  "$snapstore" write --origin small-origin.img --cow small-cow.img --type P --chunk-size 8 --to snapshot --offset 0 \
    --fill 7 --length 4096 >/dev/null
  sync
  touch ready
fi

# --- timing --------------------------------------------------------------------------------------
now() { date +%s.%N; }
# time_cmd SETUP CMD: runs SETUP (untimed, then sync), then CMD, printing CMD's seconds
time_cmd() {
  eval "$1" >/dev/null 2>&1
  sync
  local t0 t1
  t0=$(now)
  eval "$2" >/dev/null 2>&1 || { echo "FAILED: $2" >&2; exit 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
fmt() { printf '%.3f' "$1"; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

table=()
row() { table+=("| $1 | $(fmt "$2") s | $3 | $(fmt "$4") s | $(ratio "$4" "$2")× |"); }

run_export() {
  local s=() q=() c=()
  for i in $(seq "$repeat"); do
    s+=("$(time_cmd 'rm -f out-s.img' "$snapstore export --origin origin.img --cow cow.img --output out-s.img")")
    if [ $qemu = yes ]; then
      q+=("$(time_cmd 'rm -f out-q.img' 'qemu-img convert -O raw overlay.qcow2 out-q.img')")
    fi
    c+=("$(time_cmd 'rm -f out-c.img' 'cp origin.img out-c.img')")
  done
  if [ $qemu = yes ]; then
    cmp out-s.img out-q.img || { echo "export and qemu-img convert differ" >&2; exit 1; }
    row "export (1 GiB, 20,000 COW chunks)" "$(median "${s[@]}")" '`qemu-img convert -O raw`' "$(median "${q[@]}")"
  fi
  row "export (1 GiB, 20,000 COW chunks)" "$(median "${s[@]}")" '`cp` of the origin' "$(median "${c[@]}")"
  rm -f out-s.img out-q.img out-c.img
}

run_merge() {
  local s=() q=()
  for i in $(seq "$repeat"); do
    s+=("$(time_cmd 'cp origin.img m-s.img && cp cow.img m-s.cow' \
      "$snapstore merge --origin m-s.img --cow m-s.cow")")
    if [ $qemu = yes ]; then
      q+=("$(time_cmd "cp origin.img m-q.img && cp overlay.qcow2 m-q.qcow2 && qemu-img rebase -u -b $dir/m-q.img -F raw m-q.qcow2" \
        'qemu-img commit -q m-q.qcow2')")
    fi
  done
  if [ $qemu = yes ]; then
    cmp m-s.img m-q.img || { echo "merge and qemu-img commit give different origins" >&2; exit 1; }
    row "merge (20,000 scattered chunks)" "$(median "${s[@]}")" '`qemu-img commit`' "$(median "${q[@]}")"
  else
    echo "merge: $(fmt "$(median "${s[@]}")") s (no qemu-img to compare with)" >&2
  fi
  rm -f m-s.img m-s.cow m-q.img m-q.qcow2
}

run_status() {
  local s=() j=()
  for i in $(seq "$repeat"); do
    s+=("$(time_cmd true "$snapstore status --origin small-origin.img --cow small-cow.img --type P")")
    j+=("$(time_cmd true 'java -version')")
  done
  row "status (16 MiB COW)" "$(median "${s[@]}")" '`java -version`' "$(median "${j[@]}")"
}

for r in "${rows[@]}"; do
  "run_$r"
done

echo
echo "bench/peers.sh ${*:-}: $(date -u '+%F %T') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs," \
  "median of $repeat, files on $(df -T . | awk 'NR==2 {print $2}')"
echo
echo "| job | snapstore | peer | peer time | ratio (peer time / ours) |"
echo "|---|---:|---|---:|---:|"
printf '%s\n' "${table[@]}"
