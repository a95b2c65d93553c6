#!/bin/busybox sh
# /init of the kernel harness guest (kernel/run.sh). Loads the modules, mounts the host's / read-only
# over virtio-9p at /host (plus the read-write shares), runs the job (/job/cmd.sh, from the per-run
# initramfs) chrooted in /host with stdin, stdout and stderr on the virtio ports "snapstore.in",
# "snapstore.out" and "snapstore.err", then reports the exit status on the console and powers off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
CON=/dev/ttyS0
say() { echo "@@SNAPSTORE $*" > $CON; }
fail() { say "FAIL $*"; say "EXIT 125"; sync; poweroff -f; sleep 5; echo o > /proc/sysrq-trigger; }

kver=$(cat /etc/kver)
while read -r m; do
    insmod "/lib/modules/$kver/$m.ko" 2>/dev/null || [ -d "/sys/module/$m" ] || say "WARN insmod $m failed"
done < /lib/modules/load.order

. /job/config   # DISKS, RW_SHARES ("tag:path ..."), CWD
# Wait (at most ~10 s) for the disks, the ports and the device-mapper control node.
i=0
while [ $i -lt 100 ]; do
    n=$(ls -d /sys/block/vd* 2>/dev/null | wc -l)
    p=$(cat /sys/class/virtio-ports/*/name 2>/dev/null | grep -c '^snapstore\.')
    [ "$n" -ge "$DISKS" ] && [ "$p" -ge 3 ] && [ -e /dev/mapper/control ] && break
    sleep 0.1
    i=$((i+1))
done
port() {
    for d in /sys/class/virtio-ports/*; do
        [ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
    done
    return 1
}
IN=$(port snapstore.in) || fail "no virtio port snapstore.in"
OUT=$(port snapstore.out) || fail "no virtio port snapstore.out"
ERR=$(port snapstore.err) || fail "no virtio port snapstore.err"

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostfs /host || fail "cannot mount the host's /"
# The guest's /tmp is its own tmpfs. A working folder under the host's /tmp (a checkout in
# /tmp/x) would vanish under it: keep that top folder visible at its path, read-only like the rest.
mkdir -p /hosttmp && mount -o bind /host/tmp /hosttmp || fail "cannot keep the host's /tmp"
mount -o bind /dev /host/dev && mount -t proc proc /host/proc && mount -t sysfs sysfs /host/sys &&
    mount -t tmpfs tmpfs /host/tmp && mount -t tmpfs tmpfs /host/run || fail "cannot mount /dev /proc /sys /tmp /run in /host"
case "$CWD" in
    /tmp/?*)
        top=${CWD#/tmp/}
        top=${top%%/*}
        mkdir -p "/host/tmp/$top" && mount -o bind "/hosttmp/$top" "/host/tmp/$top" ||
            fail "cannot keep the working folder /tmp/$top"
        ;;
esac
for share in $RW_SHARES; do
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 "${share%%:*}" "/host${share#*:}" ||
        fail "cannot mount the read-write share ${share#*:}"
done
cp -a /kdm /host/tmp/.kdm
cp -a /job /host/tmp/.job
mkdir -p /host/run/lock

say "READY uptime=$(cut -d' ' -f1 /proc/uptime)"
# One open of each port (a virtio port can be open only once at a time). Input and output are
# separate ports: the end of the input must not close the output.
# stdin reaches the command through a fifo: a virtio port answers neither FIONREAD nor lseek, so
# Java's FileInputStream.available() fails on it ("Illegal seek"), which breaks Surefire's fork.
mkfifo /tmp/stdin
cat "$IN" > /tmp/stdin &
relay=$!
exec 4>"$OUT" 5>"$ERR"
chroot /host /bin/sh /tmp/.job/cmd.sh < /tmp/stdin >&4 2>&5
rc=$?
exec 4>&- 5>&-
kill $relay 2>/dev/null
sync
say "EXIT $rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sleep 0.2
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
