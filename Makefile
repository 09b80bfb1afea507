# hvsim: `make run` boots the default demo, `make test` runs the whole test suite.
# Both install missing Debian packages and build the guest images first.

SWIFT ?= swift
HVSIM := .build/release/hvsim

.PHONY: all deps images build run test bench clean

all: build

deps:
	@scripts/deps.sh

images: deps
	@images/build-baremetal.sh
	@images/difftest/build.sh

build: deps
	$(SWIFT) build -c release

# The default demo: the exception-level test guest, then the LZ benchmark guest.
run: images build
	$(HVSIM) run --el 2 --semihosting --kernel images/cache/baremetal/exceptions.elf
	$(HVSIM) run --el 2 --semihosting --stats --kernel images/cache/bench/lz.elf

# CPU-heavy tests run on a release build.
test: images build
	$(SWIFT) test -c release

bench: images build
	@python3 scripts/bench.py

clean:
	rm -rf .build images/cache
