#!/bin/bash
# Installs the Debian packages hvsim needs for building, testing and benchmarking,
# if any is missing. Runs apt-get as root (or through sudo when available).
set -euo pipefail
# e2fsprogs: mke2fs and debugfs for the Linux guest's test disk (images/build-linux.sh)
# gdb-multiarch: the gdb stub's tests drive it against hvsim (Tests/MachineTests/GdbTests.swift)
# Every QEMU command line here has -nic none (hvsim's board has no NIC): QEMU's default NIC
#   would need ipxe-qemu's option ROM, and cost the benchmarks' QEMU runs PCIe enumeration.
packages=(libcapstone-dev pkg-config gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
          qemu-user-static qemu-system-arm python3 device-tree-compiler e2fsprogs gdb-multiarch)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
