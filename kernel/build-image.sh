#!/usr/bin/env bash
# Builds (once) the guest image of the kernel harness and prints its folder on stdout:
#   <folder>/vmlinuz        the Debian kernel
#   <folder>/base.cpio.gz   the initramfs: busybox, dmsetup + libraries, dm/9p/virtio/loop/ext4 modules, /init
#   <folder>/KVER           the kernel release, e.g. 6.1.0-56-amd64
#   <folder>/MANIFEST       the packages (name=version) it was built from
# The folder is $SNAPSTORE_KERNEL_CACHE (default ~/.cache/snapstore-kernel)/image-<key>, the key a
# hash of the package versions and of this harness's guest files, so a new Debian kernel or a
# changed /init builds a new image and an unchanged one is reused. Downloaded .deb files are kept
# in <cache>/debs. Nothing is installed on the host: `apt-get download` + `dpkg -x` only.
#
# Environment: SNAPSTORE_KERNEL_PKG (default: what linux-image-amd64 depends on, e.g.
# linux-image-6.1.0-56-amd64), SNAPSTORE_KERNEL_CACHE.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${SNAPSTORE_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapstore-kernel}
log() { echo "kernel/build-image: $*" >&2; }
die() { log "$*"; exit 2; }

for t in apt-get apt-cache dpkg dpkg-deb cpio gzip xz sha256sum; do
    command -v "$t" >/dev/null || die "missing host tool: $t (apt-get install -y cpio xz-utils)"
done

KPKG=${SNAPSTORE_KERNEL_PKG:-}
if [ -z "$KPKG" ]; then
    KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 (run apt-get update first)"

# The guest userland: busybox and dmsetup with its shared-library closure (checked below with the
# packaged ld.so, so a new dependency fails the build loudly instead of the guest).
PKGS="$KPKG busybox-static dmsetup libdevmapper1.02.1 libselinux1 libpcre2-8-0 libudev1 libc6"
# ext4 for the guest test of a served snapshot (NbdGuestHostIT); ext4 asks the crypto API for "crc32c"
# by name at mount, which no depends= line covers and no modprobe can load here, so crc32c_generic
# is named explicitly (ext4's own depends= bring jbd2, mbcache, crc16).
MODULES="virtio_pci virtio_blk virtio_console 9pnet_virtio 9p loop dm-mod dm-bufio dm-snapshot crc32c_generic ext4"

versions=""
for p in $PKGS; do
    v=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
    [ -n "$v" ] && [ "$v" != "(none)" ] || die "package $p has no candidate version (apt-get update?)"
    versions="$versions$p=$v"$'\n'
done
key=$( { printf '%s' "$versions"; echo "$MODULES"; cat "$HERE/build-image.sh" "$HERE/guest-init.sh"; } |
       sha256sum | cut -c1-16)
IMAGE=$CACHE/image-$key
if [ -f "$IMAGE/READY" ]; then
    echo "$IMAGE"
    exit 0
fi

log "building $IMAGE from $KPKG (one time, ~20 s plus downloads)"
DEBS=$CACHE/debs
mkdir -p "$DEBS"
need=()
while IFS='=' read -r p v; do
    [ -n "$p" ] || continue
    # apt-get download names files <name>_<version, its ":" as "%3a">_<arch>.deb.
    ls "$DEBS/${p}_${v//:/%3a}_"*.deb >/dev/null 2>&1 || need+=("$p=$v")
done <<< "$versions"
if [ ${#need[@]} -gt 0 ]; then
    log "apt-get download ${need[*]}"
    (cd "$DEBS" && apt-get download -q "${need[@]}" >&2) || die "apt-get download failed"
fi

WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
STAGE=$WORK/stage
mkdir -p "$ROOT"
while IFS='=' read -r p v; do
    [ -n "$p" ] || continue
    dpkg -x "$(ls "$DEBS/${p}_${v//:/%3a}_"*.deb | head -n1)" "$ROOT"
done <<< "$versions"

KVER=$(ls "$ROOT/lib/modules" | head -n1)
[ -n "$KVER" ] && [ -f "$ROOT/boot/vmlinuz-$KVER" ] || die "no kernel in $KPKG"

mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,tmp,run,host,etc,kdm/bin,kdm/lib,lib/modules/"$KVER"}
cp "$ROOT/bin/busybox" "$STAGE/bin/busybox"
# dmsetup and its libraries live in /kdm; the init copies /kdm into the chroot where Java runs, so
# the guest uses Debian's dmsetup even when the host has none.
cp "$ROOT/sbin/dmsetup" "$STAGE/kdm/bin/dmsetup.bin"
LIBDIRS="$ROOT/lib/x86_64-linux-gnu $ROOT/usr/lib/x86_64-linux-gnu"
for n in libdevmapper.so.1.02.1 libselinux.so.1 libpcre2-8.so.0 libudev.so.1 libc.so.6 libm.so.6 \
         ld-linux-x86-64.so.2; do
    f=""
    for d in $LIBDIRS; do [ -n "$f" ] || [ ! -e "$d/$n" ] || f=$d/$n; done
    [ -n "$f" ] || die "library $n not found in the packages"
    cp -L "$f" "$STAGE/kdm/lib/$n"
done
if "$STAGE/kdm/lib/ld-linux-x86-64.so.2" --library-path "$STAGE/kdm/lib" --list "$STAGE/kdm/bin/dmsetup.bin" |
        grep -q 'not found'; then
    die "dmsetup needs a library that is not bundled: $("$STAGE/kdm/lib/ld-linux-x86-64.so.2" \
        --library-path "$STAGE/kdm/lib" --list "$STAGE/kdm/bin/dmsetup.bin" | grep 'not found' | tr '\n' ' ')"
fi
cat > "$STAGE/kdm/bin/dmsetup" <<'SH'
#!/bin/sh
# Debian's dmsetup with its own libraries (bundled by kernel/build-image.sh).
d=$(dirname "$0")/..
exec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/bin/dmsetup.bin" "$@"
SH
chmod 755 "$STAGE/kdm/bin/dmsetup"

# Modules, decompressed, with their dependencies first in /lib/modules/load.order (insmod order).
MODSRC=$ROOT/lib/modules/$KVER/kernel
declare -A path=() loaded=()
while IFS= read -r f; do
    b=${f##*/}; b=${b%%.ko*}; path[${b//-/_}]=$f
done < <(find "$MODSRC" -name '*.ko*')
: > "$STAGE/lib/modules/load.order"
add_module() {
    local m=${1//-/_} f dst dep
    [ -z "${loaded[$m]:-}" ] || return 0
    loaded[$m]=1
    f=${path[$m]:-}
    if [ -z "$f" ]; then
        grep -q "/${m//_/[-_]}.ko" "$ROOT/lib/modules/$KVER/modules.builtin" 2>/dev/null ||
            log "module $m: neither a module nor built in; skipped"
        return 0
    fi
    dst=$STAGE/lib/modules/$KVER/$m.ko
    case "$f" in
        *.xz) xz -dc "$f" > "$dst" ;;
        *.zst) zstd -qdc "$f" > "$dst" ;;
        *.gz) gzip -dc "$f" > "$dst" ;;
        *) cp "$f" "$dst" ;;
    esac
    for dep in $(tr '\0' '\n' < "$dst" | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dep"
    done
    echo "$m" >> "$STAGE/lib/modules/load.order"
}
for m in $MODULES; do add_module "$m"; done
log "modules: $(tr '\n' ' ' < "$STAGE/lib/modules/load.order")"

cp "$HERE/guest-init.sh" "$STAGE/init"
chmod 755 "$STAGE/init"
echo "$KVER" > "$STAGE/etc/kver"
echo 'root:x:0:0:root:/root:/bin/sh' > "$STAGE/etc/passwd"

mkdir -p "$WORK/out"
(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) |
    gzip -6 > "$WORK/out/base.cpio.gz"
cp "$ROOT/boot/vmlinuz-$KVER" "$WORK/out/vmlinuz"
echo "$KVER" > "$WORK/out/KVER"
printf '%s' "$versions" > "$WORK/out/MANIFEST"
date -u +%Y-%m-%dT%H:%M:%SZ > "$WORK/out/READY"
rm -rf "$IMAGE"
mv "$WORK/out" "$IMAGE"
log "ready: $IMAGE (kernel $KVER, initramfs $(du -h "$IMAGE/base.cpio.gz" | cut -f1))"
echo "$IMAGE"
