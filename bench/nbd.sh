#!/usr/bin/env bash
# NBD serving benchmark (issue 14): snapstore serve against qemu-nbd + a qcow2 overlay, nbdkit's cow
# filter and nbdkit's file plugin on a raw copy (the physical limit), all with the same clients over a
# unix socket, and prints a markdown table of medians.
#
#   bench/nbd.sh                         # 128 MiB base, 3 repetitions, chunk sizes 4 KiB and 64 KiB
#   NBD_BENCH_SIZE=512M NBD_BENCH_REPS=5 bench/nbd.sh
#   NBD_BENCH_PROFILE=1 bench/nbd.sh     # afterwards, a JFR profile of snapstore's write workloads
#   NBD_BENCH_SERVERS=snapstore bench/nbd.sh   # only these servers (snapstore qemu cow file); others "-"
#
# Workloads, each on a fresh overlay (new snapstore COW, new qcow2, new nbdkit cow overlay, new raw
# copy), with the base's page cache warmed alike (cat base > /dev/null) first:
#   read-fresh   nbdcopy --connections=1 URI null:          (a snapshot nobody wrote)
#   seq-write    nbdcopy --connections=1 --flush src URI    (the whole export: every chunk copied out)
#   randwrite    fio --ioengine=nbd randwrite bs=4k iodepth=32, a fixed byte count, end_fsync; fio's own
#                figure (its start-up would dominate a wall-clock time of a few tens of MiB)
#   read-after   nbdcopy --connections=1 URI null:          (the randwrite overlay, same server)
# nbdcopy figures are MiB/s = bytes / wall time of the client process (higher is better). Every server gets
# SIGTERM and is waited for between runs, then `sync`, so one run's writeback does not land in the next.
#
# One connection for every client: qemu-nbd does not offer multi-conn on a writable export, so nbdcopy
# would fall back to one connection there anyway; nbdcopy's defaults otherwise (64 requests of 256 KiB).
# A 1 GiB base (fio: 64 MiB of random writes) makes each run long enough that a server's start-up,
# and the JIT warming snapstore's JVM, is not most of it; the whole script takes about 2.5 minutes
# on a quiet 2-core machine. Files go to ${SNAPSTORE_BENCH_DIR:-/tmp/snapstore-bench}/nbd (a real disk).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
size=${NBD_BENCH_SIZE:-1G}
reps=${NBD_BENCH_REPS:-3}
chunks=${NBD_BENCH_CHUNKS:-"4096 65536"}
fio_bytes=${NBD_BENCH_FIO_BYTES:-64M}
dir=${SNAPSTORE_BENCH_DIR:-/tmp/snapstore-bench}/nbd
export TMPDIR=$dir # nbdkit's cow filter puts its overlay in $TMPDIR: the same disk as the others

say() { echo "nbd.sh: $*" >&2; }

# --- tools -------------------------------------------------------------------------------------
need_pkgs=()
command -v nbdcopy >/dev/null || need_pkgs+=(libnbd-bin)
command -v fio >/dev/null || need_pkgs+=(fio)
command -v jq >/dev/null || need_pkgs+=(jq)
command -v qemu-nbd >/dev/null || need_pkgs+=(qemu-utils)
command -v nbdkit >/dev/null || need_pkgs+=(nbdkit) # Debian's nbdkit has the file plugin and cow filter
if ((${#need_pkgs[@]})); then
  say "installing ${need_pkgs[*]}"
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get install -y -q "${need_pkgs[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need_pkgs[@]}" >/dev/null 2>&1; } \
      || say "apt-get install ${need_pkgs[*]} failed"
  else
    say "not root or no apt-get: cannot install ${need_pkgs[*]}"
  fi
fi
for tool in nbdcopy nbdinfo fio jq; do
  command -v $tool >/dev/null || { say "$tool is needed (packages libnbd-bin, fio, jq); giving up"; exit 2; }
done
servers=(snapstore)
if command -v qemu-nbd >/dev/null && command -v qemu-img >/dev/null; then servers+=(qemu); else
  say "skipping qemu-nbd + qcow2: qemu-nbd/qemu-img missing (package qemu-utils)"
fi
if command -v nbdkit >/dev/null && nbdkit --filter=cow null --dump-plugin >/dev/null 2>&1; then servers+=(cow); else
  say "skipping nbdkit cow: nbdkit or its cow filter missing (package nbdkit)"
fi
if command -v nbdkit >/dev/null && nbdkit file --dump-plugin >/dev/null 2>&1; then servers+=(file); else
  say "skipping nbdkit file: nbdkit or its file plugin missing (package nbdkit)"
fi
if ! fio --enghelp=nbd >/dev/null 2>&1; then say "this fio has no nbd engine; giving up"; exit 2; fi
if [[ -n ${NBD_BENCH_SERVERS:-} ]]; then # a subset, e.g. "snapstore" on a shared machine; "-" in the table
  wanted=()
  for s in "${servers[@]}"; do [[ " $NBD_BENCH_SERVERS " == *" $s "* ]] && wanted+=("$s"); done
  servers=("${wanted[@]}")
  ((${#servers[@]})) || { say "NBD_BENCH_SERVERS=$NBD_BENCH_SERVERS names no available server"; exit 2; }
fi

# Build snapstore once now (the launcher builds when the jars are missing or stale), not inside a run.
"$root/snapstore" types >/dev/null || { say "snapstore does not build/run"; exit 2; }

# --- files -------------------------------------------------------------------------------------
mkdir -p "$dir"
bytes=$(numfmt --from=iec "$size")
fio_io=$(numfmt --from=iec "$fio_bytes")
base=$dir/base-$size.raw
src=$dir/src-$size.raw
# Random data: nothing for a server or nbdcopy to skip as zero, and a fully allocated base.
[[ -f $base && $(stat -c %s "$base") == "$bytes" ]] || head -c "$bytes" /dev/urandom >"$base"
[[ -f $src && $(stat -c %s "$src") == "$bytes" ]] || head -c "$bytes" /dev/urandom >"$src"
sync

sock=$dir/nbd.sock
pid=
uri=
results=$dir/results.tsv
: >"$results"

cow_bytes() { # the COW size that lets every chunk be copied out (lvm2's rule, from snapstore size)
  "$root/snapstore" size --origin-size "$bytes" --chunk-size $(($1 / 512)) | sed -n 's/.*(\([0-9]*\) bytes).*/\1/p'
}
declare -A cowsize
for c in $chunks; do cowsize[$c]=$(cow_bytes "$c"); done

start_server() { # $1 server, $2 chunk bytes; fresh overlay; sets pid and uri
  local server=$1 chunk=$2
  rm -f "$sock" "$dir"/ov.*
  cat "$base" >/dev/null
  case $server in
    snapstore)
      truncate -s "${cowsize[$chunk]}" "$dir/ov.cow"
      SNAPSTORE_JAVA_OPTS=${SERVE_JAVA_OPTS:-} "$root/snapstore" serve --origin "$base" --cow snap="$dir/ov.cow" \
        --chunk-size $((chunk / 512)) --socket "$sock" >"$dir/server.log" 2>&1 &
      pid=$!
      uri="nbd+unix:///snap?socket=$sock" ;;
    qemu)
      qemu-img create -q -f qcow2 -o cluster_size="$chunk" -b "$base" -F raw "$dir/ov.qcow2"
      qemu-nbd --persistent --shared=0 -f qcow2 -x snap -k "$sock" "$dir/ov.qcow2" >"$dir/server.log" 2>&1 &
      pid=$!
      uri="nbd+unix:///snap?socket=$sock" ;;
    cow)
      nbdkit -f -U "$sock" --filter=cow file file="$base" cow-block-size="$chunk" >"$dir/server.log" 2>&1 &
      pid=$!
      uri="nbd+unix:///?socket=$sock" ;;
    file)
      cp "$base" "$dir/ov.raw" && sync
      cat "$dir/ov.raw" >/dev/null
      nbdkit -f -U "$sock" file file="$dir/ov.raw" >"$dir/server.log" 2>&1 &
      pid=$!
      uri="nbd+unix:///?socket=$sock" ;;
  esac
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -S $sock ]] && nbdinfo --size "$uri" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  say "$server did not start: $(tail -n 3 "$dir/server.log")"
  return 1
}

stop_server() { # SIGTERM, wait; the server must exit on its own
  local i
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "server $pid ignored SIGTERM for 60 s; killing it"
    kill -KILL "$pid"
  fi
  wait "$pid"
  local rc=$?
  ((rc == 0)) || say "server exited with $rc: $(tail -n 3 "$dir/server.log")"
  rm -f "$dir"/ov.* "$sock"
  sync
}

timed() { # runs the command; prints MiB/s for $1 bytes, or "fail"
  local n=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  if "$@" >"$dir/client.log" 2>&1; then
    t1=$(date +%s.%N)
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", n / 1048576 / (b - a) }'
  else
    say "client failed: $* : $(tail -n 3 "$dir/client.log")"
    echo fail
  fi
}

fio_rate() { # runs fio's random 4 KiB writes; prints fio's own MiB/s (its write phase, end_fsync included)
  if fio --name=randwrite --ioengine=nbd --uri="$uri" --rw=randwrite --bs=4k --iodepth=32 --size="$bytes" \
    --io_size="$fio_io" --randrepeat=1 --randseed=14 --end_fsync=1 --output-format=json --output="$dir/fio.json" \
    >"$dir/client.log" 2>&1; then
    jq -r '.jobs[0].write | if .io_bytes > 0 then "\(.io_bytes / 1048576 / .runtime * 1000 * 100 | round / 100)" else "fail" end' \
      "$dir/fio.json"
  else
    say "fio failed: $(tail -n 3 "$dir/client.log")"
    echo fail
  fi
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }

run_one() { # $1 server, $2 chunk bytes: all four workloads on two fresh overlays
  local server=$1 chunk=$2 v
  if start_server "$server" "$chunk"; then
    v=$(timed "$bytes" nbdcopy --connections=1 "$uri" null:)
    record read-fresh "$chunk" "$server" "$v"
    v=$(fio_rate)
    record randwrite "$chunk" "$server" "$v"
    v=$(timed "$bytes" nbdcopy --connections=1 "$uri" null:)
    record read-after "$chunk" "$server" "$v"
    stop_server
  fi
  cat "$src" >/dev/null
  if start_server "$server" "$chunk"; then
    v=$(timed "$bytes" nbdcopy --connections=1 --flush "$src" "$uri")
    record seq-write "$chunk" "$server" "$v"
    stop_server
  fi
}

cleanup() {
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && { kill -TERM "$pid"; wait "$pid"; }
  rm -f "$dir"/ov.* "$sock"
}
trap cleanup EXIT

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
say "base $size in $dir ($(df -T "$dir" | awk 'NR==2 {print $2}')), servers: ${servers[*]}, chunk sizes: $chunks, $reps repetitions"
for ((r = 1; r <= reps; r++)); do
  for c in $chunks; do
    for s in "${servers[@]}"; do
      say "repetition $r, chunk $c, $s"
      run_one "$s" "$c"
    done
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(($(date +%s) - t_start))

# --- table -------------------------------------------------------------------------------------
{
  echo "NBD serving, base $size, $reps repetitions (median), MiB/s (higher is better), $(nproc) CPUs, $(uname -r)"
  echo "load average at start: $load_start, at end: $load_end; $elapsed s in all"
  echo "clients: nbdcopy $(nbdcopy --version | head -n1 | cut -d' ' -f2) --connections=1, fio $(fio --version) bs=4k iodepth=32 io_size=$fio_bytes end_fsync=1;" \
    "servers: qemu-nbd $(qemu-nbd --version 2>/dev/null | head -n1 | cut -d' ' -f2), nbdkit $(nbdkit --version 2>/dev/null | cut -d' ' -f2)"
  echo
  awk -F'\t' -v servers="${servers[*]}" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) if (a[i] == "fail") return "fail"
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] + 0 < a[j-1] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n ? a[int((n + 1) / 2)] : "-"
    }
    function ratio(a, b) { return (a == "-" || b == "-" || a == "fail" || b == "fail" || b + 0 == 0) ? "-" : sprintf("%.2f×", a / b) }
    { key = $1 SUBSEP $2 SUBSEP $3; vals[key] = vals[key] " " $4; if (!(($1, $2) in seen)) { seen[$1, $2] = 1; order[++n] = $1 SUBSEP $2 } }
    END {
      print "| workload | chunk | snapstore | qemu-nbd+qcow2 | nbdkit cow | nbdkit file | vs qemu-nbd | vs nbdkit file |"
      print "|---|---|---:|---:|---:|---:|---:|---:|"
      split("read-fresh seq-write randwrite read-after", wl, " ")
      for (w = 1; w <= 4; w++) for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP); if (k[1] != wl[w]) continue
        s = median(vals[k[1], k[2], "snapstore"]); q = median(vals[k[1], k[2], "qemu"])
        c = median(vals[k[1], k[2], "cow"]); f = median(vals[k[1], k[2], "file"])
        printf "| %s | %d KiB | %s | %s | %s | %s | %s | %s |\n", k[1], k[2] / 1024, s, q, c, f, ratio(s, q), ratio(s, f)
      }
    }' "$results"
} | tee "$dir/results.md"

# --- optional profile ----------------------------------------------------------------------------
if [[ -n ${NBD_BENCH_PROFILE:-} ]] && command -v jfr >/dev/null; then
  c=${NBD_BENCH_PROFILE_CHUNK:-4096}
  for w in seq-write randwrite read-fresh; do
    jfrfile=$dir/serve-$w.jfr
    rm -f "$jfrfile"
    SERVE_JAVA_OPTS="-XX:StartFlightRecording=name=nbd,settings=profile" \
      start_server snapstore "$c" || continue
    case $w in
      seq-write) timed "$bytes" nbdcopy --connections=1 --flush "$src" "$uri" >/dev/null ;;
      randwrite) fio_rate >/dev/null ;;
      read-fresh) timed "$bytes" nbdcopy --connections=1 "$uri" null: >/dev/null ;;
    esac
    # serve ends with Runtime.halt, which skips JFR's dump-on-exit: dump while it runs.
    jcmd "$pid" JFR.dump name=nbd filename="$jfrfile" >/dev/null || say "jcmd JFR.dump failed"
    stop_server
    echo
    echo "snapstore serve, $w, chunk $c: JFR samples (Java code on CPU, threads in native code),"
    echo "by top frame <- first snapstore frame"
    jfr print --stack-depth 40 --events jdk.ExecutionSample,jdk.NativeMethodSample "$jfrfile" | awk '
      /^jdk\./ { ev = ($1 == "jdk.ExecutionSample") ? "cpu" : "native"; top = ""; own = "" }
      /^[ \t]+[a-zA-Z_$][a-zA-Z0-9_$.]*\(.*\)/ {
        f = $0; sub(/^[ \t]+/, "", f); sub(/ *line:.*/, "", f); sub(/\(.*/, "", f)
        if (top == "") top = f
        if (own == "" && f ~ /^dev\.snapstore\./) own = f
      }
      /^}/ && top != "" { n[ev "  " top " <- " (own == "" ? "-" : own)]++; t[ev]++ }
      END { for (k in n) { split(k, e, "  "); printf "%6d %5.1f%%  %s\n", n[k], 100 * n[k] / t[e[1]], k } }' \
      | sort -rn | head -n 14
  done
fi
