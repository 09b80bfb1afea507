# hvsim: `make run` boots the default demo, `make test` runs the whole test suite.
# Both install missing Debian packages and build the guest images first.

SWIFT ?= swift
HVSIM := .build/release/hvsim

# Release builds align every function and, on x86-64, every innermost loop to 64 bytes.
# The interpreter's speed depends on where its dispatch (the inner loop's head, 18 bytes:
# load the next op, index the jump table, jump) falls relative to 64-byte lines: 48 bytes
# past a line it straddles two, and a Linux boot ran 15-35% slower (measured twice, the
# same code otherwise). Any change elsewhere in the function moved it. LLVM aligns loop
# heads to 16 bytes by default; the x86 option below makes that 64 for innermost loops.
# The flags are not in Package.swift (no unsafe flags there, so others can depend on the
# package); SwiftPM does not rebuild when -Xllvm flags change, hence the stamp below.
ALIGN := -Xswiftc -Xllvm -Xswiftc -align-all-functions=6
ifeq ($(shell uname -m),x86_64)
ALIGN += -Xswiftc -Xllvm -Xswiftc -x86-experimental-pref-innermost-loop-alignment=6
endif
RELEASE := -c release $(ALIGN)
RELEASE_STAMP := .build/release-flags

.PHONY: all deps images build release-flags run run-hypervisor run-baremetal test bench bench-linux bench-xen bench-record fuzz fuzz-build test-asan soak fairness clean

all: build

deps:
	@scripts/deps.sh

images: deps
	@images/build-baremetal.sh
	@images/build-xenguests.sh
	@images/difftest/build.sh
	@images/build-linux.sh
	@images/build-xen.sh

build: deps release-flags
	$(SWIFT) build $(RELEASE)

# Objects built with other flags (a plain `swift build -c release`) are dropped once.
release-flags:
	@if [ "$$(cat $(RELEASE_STAMP) 2>/dev/null)" != "$(RELEASE)" ]; then \
		rm -rf .build/*/release .build/release; mkdir -p .build; echo "$(RELEASE)" > $(RELEASE_STAMP); fi

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
	$(SWIFT) test $(RELEASE)

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

# The soak: two Linux domUs computing checked results for SOAK_SECONDS (default an hour);
# no wrong result, no stopped domain, the process's RSS flat after warm-up (SoakTests).
SOAK_SECONDS ?= 3600
soak: images build
	HVSIM_SOAK_SECONDS=$(SOAK_SECONDS) $(SWIFT) test $(RELEASE) --filter SoakTests

# Fairness in the host's time: a fixed job beside a hostile domain against beside a quiet
# one (FairnessTests; the machine-time half is in `make test`). Its last line is the ratio.
fairness: images build
	HVSIM_FAIRNESS=1 $(SWIFT) test $(RELEASE) --filter FairnessTests

# The whole suite under AddressSanitizer, in its own build folder (not in `make test`: its
# build takes as long again, and the guests run about three times slower).
# With LeakSanitizer's report at every exit, the test runner's and each hvsim's (less the
# toolchain libraries' own leaks, scripts/lsan-suppressions.txt).
test-asan: images deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt $(SWIFT) test -c release --scratch-path .build-asan -Xswiftc -sanitize=address -Xswiftc -use-ld=lld

# Fuzzing (not in `make test`, which replays the committed corpus): hvsim-fuzz built with
# libFuzzer and AddressSanitizer in its own build folder, then FUZZ_RUNS inputs per target
# (scripts/fuzz.sh; FUZZ_TARGETS picks some). lld links it (gold fails on the sanitizers).
FUZZ_RUNS ?= 1000000
FUZZ_TARGETS ?=
fuzz-build: deps
	$(SWIFT) build -c release --scratch-path .build-fuzz --product hvsim-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld

fuzz: images build fuzz-build
	@scripts/fuzz.sh $(FUZZ_RUNS) $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz .build-asan images/cache
