#!/usr/bin/env bash
# Fetch Debian 12's arm64 kernel and busybox-static and build the Linux guest:
#   images/cache/linux/Image              plain arm64 Image (Debian's vmlinuz, decompressed if needed)
#   images/cache/linux/initramfs.cpio.gz  busybox, /init, virtio-mmio + ext4 modules
#   images/cache/linux/disk.img           16 MiB ext4 with hello.txt and /bin/p1 ... p32
#                                         (images/linux/prog.c, for the code-coherence test)
# Idempotent: apt is asked only when no debs are cached (UPDATE=1 looks for a
# newer kernel, LINUX_PKG=linux-image-6.1.0-N-arm64 picks one); each output is
# rebuilt only when older than what it is made from. apt steps need root or sudo.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/cache/linux"
debs="$out/debs"
# Modules /init loads; mkinitramfs.py adds their dependencies.
MODULES=(virtio_mmio virtio_blk virtio_console virtio-rng ext4)
HELLO="hello from the hvsim test disk"

PROGS=32
CROSS="${CROSS:-aarch64-linux-gnu-}"
for tool in dpkg-deb python3 mke2fs debugfs "${CROSS}gcc"; do
  command -v "$tool" >/dev/null || { echo "build-linux.sh: $tool not found (run scripts/deps.sh)" >&2; exit 1; }
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "build-linux.sh: need root or sudo for: $*" >&2; exit 1
  fi
}

# newer TARGET SOURCE...: true if TARGET is missing or older than a SOURCE.
newer() {
  local t="$1" s; shift
  [ -e "$t" ] || return 0
  for s in "$@"; do [ "$s" -nt "$t" ] && return 0; done
  return 1
}

fetch_debs() {
  dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
  as_root apt-get update -qq
  local kpkg="${LINUX_PKG:-}"
  if [ -z "$kpkg" ]; then
    # The metapackage depends on the current ABI's image; with backports enabled
    # it has a 6.12 version too, so keep the newest 6.1 one.
    kpkg="$(apt-cache show linux-image-arm64:arm64 |
            sed -n 's/^Depends:.*\(linux-image-6\.1\.0-[0-9]*-arm64\)\( .*\|,.*\|\)$/\1/p' | sort -Vu | tail -1)"
    [ -n "$kpkg" ] || { echo "build-linux.sh: no linux-image-6.1.0-*-arm64 found via linux-image-arm64:arm64" >&2; exit 1; }
  fi
  # _apt cannot write into a root-owned cache; root downloads it itself.
  local sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  rm -rf "$debs.new"; mkdir -p "$debs.new"
  (cd "$debs.new" && apt-get download -q "${sandbox[@]}" "$kpkg:arm64" busybox-static:arm64)
  rm -rf "$debs"; mv "$debs.new" "$debs"
}

mkdir -p "$out"
kdeb="$(ls "$debs"/linux-image-*_arm64.deb 2>/dev/null | tail -1 || true)"
bdeb="$(ls "$debs"/busybox-static_*_arm64.deb 2>/dev/null | tail -1 || true)"
if [ -z "$kdeb" ] || [ -z "$bdeb" ] || [ "${UPDATE:-0}" = 1 ] ||
   { [ -n "${LINUX_PKG:-}" ] && [[ "$kdeb" != */"${LINUX_PKG}"_* ]]; }; then
  fetch_debs
  kdeb="$(ls "$debs"/linux-image-*_arm64.deb | tail -1)"
  bdeb="$(ls "$debs"/busybox-static_*_arm64.deb | tail -1)"
fi

# Unpack the packages (the kernel's is 350 MB unpacked, so only when it changed).
pkg="$out/pkg"
if newer "$pkg/.stamp" "$kdeb" "$bdeb"; then
  rm -rf "$pkg"; mkdir -p "$pkg"
  dpkg-deb -x "$kdeb" "$pkg"
  dpkg-deb -x "$bdeb" "$pkg"
  touch "$pkg/.stamp"
fi
vmlinuz="$(ls "$pkg"/boot/vmlinuz-* | tail -1)"
kver="${vmlinuz##*/vmlinuz-}"

# Kernel: Debian's arm64 vmlinuz has been a plain Image (with an EFI stub
# header); older or other builds gzip it. An Image has "ARM\x64" at 0x38.
is_image() { [ "$(od -An -tx1 -j56 -N4 "$1" | tr -d ' ')" = 41524d64 ]; }
if newer "$out/Image" "$vmlinuz"; then
  if is_image "$vmlinuz"; then
    kind="a plain arm64 Image"
    rm -f "$out/vmlinuz"
    cp "$vmlinuz" "$out/Image.tmp"
  elif [ "$(od -An -tx1 -N2 "$vmlinuz" | tr -d ' ')" = 1f8b ]; then
    kind="gzip-compressed (kept as vmlinuz, Image is decompressed)"
    cp "$vmlinuz" "$out/vmlinuz"
    gzip -dc "$vmlinuz" >"$out/Image.tmp"
    is_image "$out/Image.tmp" || { echo "build-linux.sh: decompressed vmlinuz is no arm64 Image" >&2; exit 1; }
  else
    echo "build-linux.sh: $vmlinuz is neither an arm64 Image nor gzip" >&2; exit 1
  fi
  mv "$out/Image.tmp" "$out/Image"
  echo "kernel $kver: vmlinuz is $kind -> $out/Image"
fi

if newer "$out/initramfs.cpio.gz" "$pkg/.stamp" "$here/linux/init" "$here/linux/mkinitramfs.py" "$0"; then
  python3 "$here/linux/mkinitramfs.py" --moddir "$pkg/lib/modules/$kver" \
    --busybox "$pkg/bin/busybox" --init "$here/linux/init" \
    --out "$out/initramfs.cpio.gz" "${MODULES[@]}"
  echo "built $out/initramfs.cpio.gz"
fi

# Test disk, reproducible: fixed UUID, hash seed and times, all at Debian 12's
# release (E2FSPROGS_FAKE_TIME for what mke2fs stamps; debugfs for the ctimes
# that -d copies from the host files).
if newer "$out/disk.img" "$0" "$here/linux/prog.c"; then
  src="$out/disk.d"
  rm -rf "$src" "$out/disk.img.tmp"; mkdir -p "$src/bin"
  echo "$HELLO" >"$src/hello.txt"
  for i in $(seq 1 "$PROGS"); do
    "${CROSS}gcc" -O1 -DID="$i" -static -nostdlib -ffreestanding -fno-stack-protector -fno-pic -no-pie \
      -Wl,--build-id=none -o "$src/bin/p$i" "$here/linux/prog.c"
  done
  t=1686355200  # 2023-06-10 00:00 UTC
  touch -d "@$t" "$src/hello.txt" "$src/bin"/* "$src/bin" "$src"
  export E2FSPROGS_FAKE_TIME="$t"
  mke2fs -q -F -t ext4 -b 4096 -L hvsim -U 6876736d-7369-4d00-8000-000000000001 \
    -E hash_seed=6876736d-7369-4d00-8000-000000000002,root_owner=0:0 \
    -d "$src" "$out/disk.img.tmp" 16M >/dev/null
  # debugfs exits 0 even when a command fails: anything but its banner and the
  # echoed commands is an error.
  files=(/ /hello.txt /bin)
  for i in $(seq 1 "$PROGS"); do files+=("/bin/p$i"); done
  msgs="$(for f in "${files[@]}"; do printf "sif %s ctime @$t\nsif %s crtime @$t\n" "$f" "$f"; done |
          debugfs -w -f - "$out/disk.img.tmp" 2>&1 | grep -v -e '^debugfs' || true)"
  [ -z "$msgs" ] || { echo "build-linux.sh: debugfs: $msgs" >&2; exit 1; }
  rm -rf "$src"
  mv "$out/disk.img.tmp" "$out/disk.img"
  echo "built $out/disk.img (ext4, /hello.txt: \"$HELLO\", /bin/p1 ... p$PROGS)"
fi

# Optional: the instruction-counting QEMU plugin (needs a host C compiler).
if command -v gcc >/dev/null && newer "$out/insncount.so" "$here/linux/insncount.c"; then
  gcc -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -o "$out/insncount.so" "$here/linux/insncount.c"
  echo "built $out/insncount.so"
fi
