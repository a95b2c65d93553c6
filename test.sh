#!/usr/bin/env bash
# The project's test command: installs what the build and the kernel tests need from Debian's
# packages when it is missing (Java 17, Maven, qemu, cpio, the NBD clients, strace, e2fsprogs; root and apt-get required only then),
# then runs every test, the in-kernel integration tests (kernel-it, kernel/README.md) included.
# Arguments go to Maven, e.g. ./test.sh -DskipITs (no kernel tests) or ./test.sh -pl dm -am.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v java >/dev/null 2>&1 && java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])' || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
# Real NBD clients for the serve tests, and strace for the real-kill tests of restore.
command -v qemu-img >/dev/null 2>&1 && command -v qemu-io >/dev/null 2>&1 || need+=(qemu-utils)
command -v nbdinfo >/dev/null 2>&1 && command -v nbdcopy >/dev/null 2>&1 || need+=(libnbd-bin)
command -v fio >/dev/null 2>&1 || need+=(fio)
command -v strace >/dev/null 2>&1 || need+=(strace)
# mkfs.ext4 and e2fsck for the guest test of a served snapshot (kernel-it's NbdGuestHostIT).
command -v mkfs.ext4 >/dev/null 2>&1 && command -v e2fsck >/dev/null 2>&1 || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
elif ! apt-cache policy linux-image-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    # kernel/build-image.sh resolves the kernel package from the package lists.
    apt-get update -qq
fi

exec mvn -B -Dstyle.color=never verify "$@"
