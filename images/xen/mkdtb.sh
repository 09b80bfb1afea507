#!/usr/bin/env bash
# The host device tree for real Xen 4.17 booting one dom0less Linux domU (no dom0), on
# QEMU's virt board and on hvsim's (which has the same memory map):
#   images/xen/mkdtb.sh OUT.dtb KERNEL_ADDR KERNEL_SIZE RAMDISK_ADDR RAMDISK_SIZE
# It is QEMU's own tree (-machine dumpdtb, the board images/run-xen-qemu.sh starts) with
# Xen's command line and a "xen,domain" node added under /chosen, as Xen's
# docs/misc/arm/device-tree/booting.txt ("Creating Multiple Domains directly from Xen")
# describes. The boot modules are loaded at the given addresses by the machine
# (QEMU: -device loader; hvsim: --loader FILE@ADDR). RAMDISK_SIZE 0: no ramdisk.
# Environment: XEN_ARGS (Xen's command line), DOMU_ARGS (the domU's), DOMU_MEM_KIB,
# DOMU_ENHANCED (xen,enhanced: "no-xenstore" by default: the domU sees Xen, with grant
# tables and event channels but no xenstore, as under hvsim's own hypervisor; "none" leaves
# the property out, and the domU is a plain VM).
set -euo pipefail
[ $# = 5 ] || { echo "usage: $0 OUT.dtb KERNEL_ADDR KERNEL_SIZE RAMDISK_ADDR RAMDISK_SIZE" >&2; exit 2; }
out="$1" kaddr="$2" ksize="$3" raddr="$4" rsize="$5"
# bootscrub=0: Xen would otherwise scrub all free memory (2 GiB) before domains run.
XEN_ARGS="${XEN_ARGS:-console=dtuart dtuart=/pl011@9000000 bootscrub=0}"
DOMU_ARGS="${DOMU_ARGS:-console=ttyAMA0 hvsim.poweroff}"
DOMU_MEM_KIB="${DOMU_MEM_KIB:-393216}"
DOMU_ENHANCED="${DOMU_ENHANCED:-no-xenstore}"
enhanced=""
[ "$DOMU_ENHANCED" = none ] || enhanced="xen,enhanced = \"$DOMU_ENHANCED\";"
for tool in qemu-system-aarch64 dtc; do
  command -v "$tool" >/dev/null || { echo "mkdtb.sh: $tool not found (run scripts/deps.sh)" >&2; exit 1; }
done
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
# -nic none: without it QEMU wants a NIC option ROM (package ipxe-qemu, only recommended).
qemu-system-aarch64 -M virt,virtualization=on,gic-version=3,dumpdtb="$tmp/q.dtb" \
  -cpu cortex-a57 -smp 2 -m 2G -nographic -nic none >"$tmp/qemu.log" 2>&1 ||
  { echo "mkdtb.sh: qemu-system-aarch64 could not dump its device tree:" >&2; cat "$tmp/qemu.log" >&2; exit 1; }
# The random seeds would make every dump differ; the board adds its own at boot.
dtc -q -I dtb -O dts "$tmp/q.dtb" | grep -v -e rng-seed -e kaslr-seed >"$tmp/host.dts"
hex() { printf '0x%x' "$(($1))"; }
ramdisk=""
if [ "$((rsize))" != 0 ]; then
  ramdisk="			module@$(printf '%x' "$((raddr))") {
				compatible = \"multiboot,ramdisk\", \"multiboot,module\";
				reg = <0x0 $(hex "$raddr") 0x0 $(hex "$rsize")>;
			};"
fi
cat >>"$tmp/host.dts" <<DTS

/ {
	chosen {
		xen,xen-bootargs = "$XEN_ARGS";
		domU1 {
			compatible = "xen,domain";
			#address-cells = <0x2>;
			#size-cells = <0x2>;
			memory = <0x0 $(hex "$DOMU_MEM_KIB")>;
			cpus = <0x1>;
			vpl011;
			$enhanced
			module@$(printf '%x' "$((kaddr))") {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <0x0 $(hex "$kaddr") 0x0 $(hex "$ksize")>;
				bootargs = "$DOMU_ARGS";
			};
$ramdisk
		};
	};
};
DTS
dtc -q -I dts -O dtb -o "$out.tmp" "$tmp/host.dts"
mv "$out.tmp" "$out"
