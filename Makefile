# hvsim: `make run` boots the default demo, `make test` runs the whole test suite.
# Both install missing Debian packages and build the guest images first.

SWIFT ?= swift
HVSIM := .build/release/hvsim

.PHONY: all deps images build run run-hypervisor run-baremetal test bench bench-linux bench-xen bench-record clean

all: build

deps:
	@scripts/deps.sh

images: deps
	@images/build-baremetal.sh
	@images/build-xenguests.sh
	@images/difftest/build.sh
	@images/build-linux.sh
	@images/build-xen.sh

build: deps
	$(SWIFT) build -c release

LINUX := images/cache/linux

# The default demo: Debian's arm64 kernel with a busybox shell on the serial console,
# 2 CPUs, the test disk as /dev/vda (a scratch copy). Ctrl-A x quits, as in QEMU.
run: images build
	@cp $(LINUX)/disk.img $(LINUX)/scratch-disk.img
	$(HVSIM) run --cpus 2 --ram 1G --kernel $(LINUX)/Image --initrd $(LINUX)/initramfs.cpio.gz \
		--append "console=ttyAMA0" --drive $(LINUX)/scratch-disk.img

# The hosted hypervisor's demo: two Debian Linux domUs on 2 pCPUs, each with its own
# console (Ctrl-A three times switches the input, Ctrl-A x quits).
run-hypervisor: images build
	$(HVSIM) run --hypervisor --config examples/hypervisor/linux.cfg

# The bare-metal demos: the exception-level test guest, then the LZ benchmark guest.
run-baremetal: images build
	$(HVSIM) run --el 2 --semihosting --kernel images/cache/baremetal/exceptions.elf
	$(HVSIM) run --el 2 --semihosting --stats --kernel images/cache/bench/lz.elf

# CPU-heavy tests run on a release build.
test: images build
	$(SWIFT) test -c release

bench: images build
	@python3 scripts/bench.py

bench-linux: images build
	@python3 scripts/bench_linux.py

# A dom0less Linux domU under hvsim's hypervisor vs under Debian's Xen 4.17 on QEMU (and
# on hvsim at EL2), and the null hypercall's cost.
bench-xen: images build
	@python3 scripts/bench_xen.py

bench-record: images build
	@python3 scripts/bench_record.py

clean:
	rm -rf .build images/cache
