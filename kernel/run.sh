#!/usr/bin/env bash
# kernel/run.sh [OPTIONS] [--] COMMAND [ARG...]
#
# Runs COMMAND as root inside a Debian kernel (see build-image.sh) booted under qemu, chrooted in
# the host's / (shared read-only over virtio-9p), in the current directory. COMMAND's stdin,
# stdout and stderr are this script's (over virtio-serial ports, byte for byte), and this script
# exits with COMMAND's status (124: timeout, 125: the guest gave no status). One boot runs one
# COMMAND; give it a shell (`sh -s` with commands on stdin) or a JVM to run many things per boot.
# In the guest, PATH starts with Debian's dmsetup (/tmp/.kdm/bin), /tmp and /run are the guest's
# tmpfs, /dev its devtmpfs (with /dev/mapper/control), and SNAPSTORE_KERNEL=<kernel release>.
#
# Options:
#   --disk FILE     attach FILE as a raw virtio disk (/dev/vda, /dev/vdb, ... in order, serial diskN)
#   --scratch N     attach N sparse 1 GiB scratch disks after the --disk ones (serial scratchN)
#   --nbd URI       attach an NBD export, nbd+unix:///EXPORT?socket=PATH, as a virtio disk through
#                   qemu's own NBD client (after the others, serial nbdN; repeatable); guest flushes
#                   reach the server as NBD_CMD_FLUSH, and qemu flushes and disconnects at power-off
#   --rw DIR        share the host's DIR read-write at the same path (repeatable)
#   --mem MIB       guest memory (default 2048)   --cpus N  (default 2)
#   --timeout SEC   wall-clock limit of the whole run (default 900)
# Environment: SNAPSTORE_KERNEL_CACHE (cache folder), SNAPSTORE_KERNEL_KEEP=1 (keep the run folder),
# SNAPSTORE_KERNEL_CONSOLE=1 (print the kernel console on stderr afterwards), SNAPSTORE_KERNEL_QUIET=1
# (no timing line on stderr), SNAPSTORE_KERNEL_ACCEL (default tcg; KVM does not work on our CI hosts).
# Environment passed to COMMAND: PATH, LANG, LC_ALL, TZ, JAVA_HOME and every SNAPSTORE_* variable.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "kernel/run: $*" >&2; exit 2; }

DISKS=() NBDS=() RW=() SCRATCH=0 MEM=2048 CPUS=2 TIMEOUT=900
while [ $# -gt 0 ]; do
    case "$1" in
        --disk) [ -f "${2:-}" ] || die "no such disk image: ${2:-}"; DISKS+=("$(readlink -f "$2")"); shift 2 ;;
        --scratch) SCRATCH=$2; shift 2 ;;
        --nbd) [[ "${2:-}" =~ ^nbd\+unix:///[^?]*\?socket=.+$ ]] || die "--nbd wants nbd+unix:///EXPORT?socket=PATH, not ${2:-}"
               NBDS+=("$2"); shift 2 ;;
        --rw) [ -d "${2:-}" ] || die "no such folder: ${2:-}"; RW+=("$(cd "$2" && pwd -P)"); shift 2 ;;
        --mem) MEM=$2; shift 2 ;;
        --cpus) CPUS=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) die "unknown option $1 (--help)" ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install -y qemu-system-x86)"
command -v cpio >/dev/null || die "cpio is missing (apt-get install -y cpio)"

IMAGE=$("$HERE/build-image.sh")
KVER=$(cat "$IMAGE/KVER")
RUN=$(mktemp -d "${TMPDIR:-/tmp}/snapstore-kernel.XXXXXX")
cleanup() {
    if [ "${SNAPSTORE_KERNEL_KEEP:-0}" = 1 ]; then echo "kernel/run: kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT

# Single-quotes a word for sh.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# The per-run part of the initramfs: /job/config for /init, /job/cmd.sh for the chroot.
mkdir -p "$RUN/job/job"
shares="" qargs=()
i=0
for d in "${RW[@]}"; do
    shares="$shares rw$i:$d"
    qargs+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none")
    i=$((i+1))
done
{
    echo "DISKS=$(( ${#DISKS[@]} + SCRATCH + ${#NBDS[@]} ))"
    echo "RW_SHARES=$(q "${shares# }")"
    echo "CWD=$(q "$PWD")"
} > "$RUN/job/job/config"
{
    echo "export PATH=$(q "/tmp/.kdm/bin:${PATH:-/usr/sbin:/usr/bin:/sbin:/bin}")"
    echo "export HOME=/tmp SNAPSTORE_KERNEL=$(q "$KVER")"
    for v in LANG LC_ALL TZ JAVA_HOME $(compgen -e | grep '^SNAPSTORE_' || true); do
        [ -n "${!v+x}" ] && echo "export $v=$(q "${!v}")"
    done
    echo "cd $(q "$PWD") || exit 125"
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    echo
} > "$RUN/job/job/cmd.sh"
(cd "$RUN/job" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -1 > "$RUN/job.cpio.gz"
cat "$IMAGE/base.cpio.gz" "$RUN/job.cpio.gz" > "$RUN/initrd"

i=0
for d in "${DISKS[@]}"; do
    qargs+=(-drive "file=${d//,/,,},format=raw,if=none,id=d$i,cache=writeback,file.locking=off"
            -device "virtio-blk-pci,drive=d$i,serial=disk$i")
    i=$((i+1))
done
for ((s = 0; s < SCRATCH; s++)); do
    truncate -s 1G "$RUN/scratch$s.img"
    qargs+=(-drive "file=$RUN/scratch$s.img,format=raw,if=none,id=s$s,cache=unsafe"
            -device "virtio-blk-pci,drive=s$s,serial=scratch$s")
done

i=0
for u in "${NBDS[@]}"; do
    name=${u#nbd+unix:///}; name=${name%%\?*}
    sock=${u#*\?socket=}
    [ -S "$sock" ] || die "--nbd $u: no unix socket at $sock"
    qargs+=(-blockdev "driver=nbd,node-name=n$i,server.type=unix,server.path=${sock//,/,,},export=${name//,/,,}"
            -device "virtio-blk-pci,drive=n$i,serial=nbd$i")
    i=$((i+1))
done

ACCEL=${SNAPSTORE_KERNEL_ACCEL:-tcg}
[ "$ACCEL" = kvm ] && CPU=host || CPU=max
t0=$(date +%s%N)
# stdin, stdout and stderr each have a guest port of their own: when stdin ends, qemu closes its port,
# and a port whose host side is closed blocks the guest's writes. qemu's own messages go to stderr.
set +e
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
    -machine q35,accel="$ACCEL" -cpu "$CPU" -smp "$CPUS" -m "$MEM" \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$IMAGE/vmlinuz" -initrd "$RUN/initrd" \
    -append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init" \
    -serial "file:$RUN/console.log" \
    -virtfs "local,path=/,mount_tag=hostfs,security_model=none,readonly=on,multidevs=remap" \
    -device virtio-serial-pci \
    -chardev stdio,id=in,signal=off -device virtserialport,chardev=in,name=snapstore.in \
    -chardev file,id=out,path=/dev/stdout,append=on -device virtserialport,chardev=out,name=snapstore.out \
    -chardev file,id=err,path=/dev/stderr,append=on -device virtserialport,chardev=err,name=snapstore.err \
    "${qargs[@]}"
QRC=$?
set -e
t1=$(date +%s%N)

console=$(tr -d '\r' < "$RUN/console.log")
rc=$(printf '%s\n' "$console" | sed -n 's/.*@@SNAPSTORE EXIT \([0-9]*\).*/\1/p' | tail -n1)
ready=$(printf '%s\n' "$console" | sed -n 's/.*@@SNAPSTORE READY uptime=\([0-9.]*\).*/\1/p' | head -n1)
end=$(printf '%s\n' "$console" | sed -n 's/.*@@SNAPSTORE EXIT [0-9]* uptime=\([0-9.]*\).*/\1/p' | tail -n1)
printf '%s\n' "$console" | grep -E '@@SNAPSTORE (WARN|FAIL)' | sed 's/.*@@SNAPSTORE /kernel\/run: guest: /' >&2 || true
if [ "${SNAPSTORE_KERNEL_CONSOLE:-0}" = 1 ]; then
    echo "----- kernel console -----" >&2; printf '%s\n' "$console" >&2
fi
if [ -z "$rc" ]; then
    if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
        echo "kernel/run: timeout after ${TIMEOUT}s" >&2; rc=124
    else
        echo "kernel/run: the guest gave no exit status (qemu status $QRC); kernel console tail:" >&2
        printf '%s\n' "$console" | tail -n 30 >&2
        rc=125
    fi
fi
if [ "${SNAPSTORE_KERNEL_QUIET:-0}" != 1 ]; then
    awk -v k="$KVER" -v a="$ACCEL" -v r="${ready:-?}" -v e="${end:-?}" -v t="$(( (t1 - t0) / 1000000 ))" -v c="$rc" \
        'BEGIN { printf "kernel/run: %s (%s): guest ready at %ss uptime, command done at %ss, %.1fs wall, exit %s\n", k, a, r, e, t / 1000, c }' >&2
fi
exit "$rc"
