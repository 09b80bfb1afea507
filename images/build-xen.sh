#!/usr/bin/env bash
# Fetch Debian 12's own Xen 4.17 arm64 hypervisor (package xen-hypervisor-4.17-arm64) for
# the "real Xen" checks of hvsim's EL2 emulation (images/run-xen-qemu.sh, RealXenTests,
# scripts/bench_xen.py):
#   images/cache/xen/xen       Xen's arm64 Image-style binary (/boot/xen-4.17-arm64 in the deb)
#   images/cache/xen/host.dtb  QEMU virt's device tree (2 CPUs, 2 GiB, GICv3, EL2) with Xen's
#                              command line and one dom0less domU: the Linux guest of
#                              images/build-linux.sh (run that first), its kernel loaded at
#                              0x42000000 and its initramfs at 0x46000000 (images/xen/mkdtb.sh)
# Idempotent: apt is asked only when no deb is cached (UPDATE=1 looks for a newer one).
# apt steps need root or sudo.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/cache/xen"
debs="$out/debs"
PKG="xen-hypervisor-4.17-arm64"

command -v dpkg-deb >/dev/null || { echo "build-xen.sh: dpkg-deb not found (run scripts/deps.sh)" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "build-xen.sh: need root or sudo for: $*" >&2; exit 1
  fi
}

fetch_deb() {
  dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
  as_root apt-get update -qq
  # _apt cannot write into a root-owned cache; root downloads it itself.
  local sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  rm -rf "$debs.new"; mkdir -p "$debs.new"
  (cd "$debs.new" && apt-get download -q "${sandbox[@]}" "$PKG:arm64")
  rm -rf "$debs"; mv "$debs.new" "$debs"
}

mkdir -p "$out"
deb="$(ls "$debs"/"$PKG"_*_arm64.deb 2>/dev/null | tail -1 || true)"
if [ -z "$deb" ] || [ "${UPDATE:-0}" = 1 ]; then
  fetch_deb
  deb="$(ls "$debs"/"$PKG"_*_arm64.deb | tail -1)"
fi

if [ ! -e "$out/xen" ] || [ "$deb" -nt "$out/xen" ]; then
  rm -rf "$out/pkg"; mkdir -p "$out/pkg"
  dpkg-deb -x "$deb" "$out/pkg"
  bin="$(ls "$out"/pkg/boot/xen-4.17*arm64 2>/dev/null | grep -v -e '\.efi$' -e config | tail -1 || true)"
  [ -n "$bin" ] || { echo "build-xen.sh: no /boot/xen-4.17*-arm64 in $deb" >&2; ls -R "$out/pkg/boot" >&2; exit 1; }
  # An arm64 Image has "ARM\x64" at 0x38; Xen's arm64 binary carries the same header.
  [ "$(od -An -tx1 -j56 -N4 "$bin" | tr -d ' ')" = 41524d64 ] ||
    { echo "build-xen.sh: $bin is no arm64 Image-style binary" >&2; exit 1; }
  cp "$bin" "$out/xen.tmp"; mv "$out/xen.tmp" "$out/xen"
  echo "xen: $(basename "$deb") -> $out/xen"
fi

# The dom0less device tree, when the Linux guest is there (make images builds it first).
linux="$here/cache/linux"
if [ -f "$linux/Image" ] && [ -f "$linux/initramfs.cpio.gz" ]; then
  if [ ! -e "$out/host.dtb" ] || [ "$linux/Image" -nt "$out/host.dtb" ] ||
     [ "$linux/initramfs.cpio.gz" -nt "$out/host.dtb" ] || [ "$here/xen/mkdtb.sh" -nt "$out/host.dtb" ]; then
    "$here/xen/mkdtb.sh" "$out/host.dtb" 0x42000000 "$(stat -c %s "$linux/Image")" \
      0x46000000 "$(stat -c %s "$linux/initramfs.cpio.gz")"
    echo "built $out/host.dtb"
  fi
else
  echo "build-xen.sh: no Linux guest in $linux (images/build-linux.sh): host.dtb not built" >&2
fi
