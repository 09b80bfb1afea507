#!/usr/bin/env bash
# The same two domains, dom0less: a host device tree whose /chosen has one
# compatible = "xen,domain" node per domain (Xen's docs/misc/arm/device-tree/booting.txt),
# with the kernels loaded into RAM by --loader, as U-Boot (or ImageBuilder's script)
# would load them before Xen. Needs dtc (device-tree-compiler).
#   examples/hypervisor/dom0less.sh [hvsim options...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
hvsim="${HVSIM:-$root/.build/release/hvsim}"
image="$root/images/cache/xenguest/hello.img"
size=$(printf '0x%x' "$(stat -c %s "$image")")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
domain() {   # name, module address
  cat <<DTS
        $1 {
            compatible = "xen,domain";
            #address-cells = <2>;
            #size-cells = <1>;
            memory = <0 16384>;           /* KiB */
            cpus = <1>;
            vpl011;
            module@$2 {
                compatible = "multiboot,kernel", "multiboot,module";
                reg = <0 0x$2 $size>;
                bootargs = "console=ttyAMA0";
            };
        };
DTS
}
cat > "$out/host.dts" <<DTS
/dts-v1/;
/ {
    #address-cells = <2>;
    #size-cells = <2>;
    cpus {
        #address-cells = <1>;
        #size-cells = <0>;
        cpu@0 { device_type = "cpu"; compatible = "arm,armv8"; reg = <0>; };
        cpu@1 { device_type = "cpu"; compatible = "arm,armv8"; reg = <1>; };
    };
    chosen {
        xen,xen-bootargs = "sched=credit2";
$(domain alpha 48000000)
$(domain beta 48200000)
    };
};
DTS
dtc -q -I dts -O dtb -o "$out/host.dtb" "$out/host.dts"
exec "$hvsim" run --hypervisor --dtb "$out/host.dtb" \
    --loader "$image@0x48000000" --loader "$image@0x48200000" "$@"
