import Foundation
import Emu
import Devices

/// What to boot: the files and the command line, as QEMU's -kernel/-initrd/-append/-dtb.
public struct BootImages: Sendable {
    public var kernel: String
    /// Load the kernel as a raw binary (`--format raw`) instead of detecting ELF / Image.
    public var rawKernel = false
    public var initrd: String? = nil
    public var append: String? = nil
    /// A device tree blob to use instead of the board's own (its /chosen gets the command
    /// line and initrd, as QEMU does with -dtb).
    public var dtb: String? = nil

    public init(kernel: String) { self.kernel = kernel }
}

extension Machine {
    /// The largest device tree the Linux arm64 boot protocol accepts.
    static let maxDTB = 2 << 20

    /// Loads the kernel, the initrd and the device tree the way QEMU's virt board does, and
    /// points the boot CPU at the kernel with x0 = the DTB's address. Returns the DTB.
    @discardableResult
    public func boot(_ images: BootImages) throws -> [UInt8] {
        let ramBase = VirtBoard.ram.base, ramEnd = VirtBoard.ram.base + config.ramSize
        let data = try Loader.readFile(images.kernel)
        let k = images.rawKernel
            ? try Loader.loadRaw(data, name: images.kernel, into: bus, ramBase: ramBase, ramSize: config.ramSize)
            : try Loader.load(data, name: images.kernel, into: bus, ramBase: ramBase, ramSize: config.ramSize)
        kernel = k

        // The initrd goes at RAM base + min(RAM / 2, 128 MiB), or after the kernel if that is higher.
        var initrd: Range<UInt64>? = nil
        var next = alignUp(k.highest, 0x1000)
        if let path = images.initrd {
            let bytes = try Loader.readFile(path)
            let start = max(alignUp(ramBase + min(config.ramSize / 2, 128 << 20), 0x1000), next)
            guard start + UInt64(bytes.count) <= ramEnd else {
                throw LoadError("\(path): initrd of \(bytes.count) bytes does not fit in \(config.ramSize >> 20) MiB of RAM after the kernel")
            }
            try bus.load(bytes, at: start)
            initrd = start..<(start + UInt64(bytes.count))
            next = start + UInt64(bytes.count)
        }

        let blob = try deviceTree(images, initrd: initrd)
        // The DTB sits in its own 2 MiB-aligned block after everything else (arm64 booting.rst:
        // 8-byte aligned, within one 2 MiB region).
        let dtbAt = alignUp(next, 2 << 20)
        guard dtbAt + UInt64(blob.count) <= ramEnd else {
            throw LoadError("the device tree does not fit in \(config.ramSize >> 20) MiB of RAM after the kernel and initrd")
        }
        try bus.load(blob, at: dtbAt)
        dtbAddress = dtbAt
        resetCPU(0, entry: k.entry, el: config.startEL, context: dtbAt)
        return blob
    }

    /// The board's own tree, or the user's with /chosen updated.
    func deviceTree(_ images: BootImages, initrd: Range<UInt64>?) throws -> [UInt8] {
        let blob: [UInt8]
        if let path = images.dtb {
            let bytes = try Loader.readFile(path)
            var tree: DeviceTree
            do { tree = try DeviceTree(blob: bytes) } catch { throw LoadError("\(path): \(error)") }
            tree.setChosen(bootargs: images.append, initrd: initrd)
            blob = tree.serialize()
        } else {
            var c = VirtDeviceTreeConfig()
            c.cpus = config.cpus
            c.ramSize = config.ramSize
            c.gicVersion = config.gicVersion
            c.guestOwnsEL2 = config.startEL == 2
            c.bootargs = images.append ?? ""
            c.initrd = initrd
            c.virtioSlots = virtio.count
            c.rngSeed = rngSeed()
            blob = try VirtDeviceTree.build(c)
        }
        guard blob.count <= Machine.maxDTB else {
            throw LoadError("the device tree is \(blob.count) bytes; at most \(Machine.maxDTB) are allowed")
        }
        return blob
    }
}

extension Machine {
    /// 32 bytes for the device tree's rng-seed, derived from the entropy seed (SplitMix64)
    /// so that a run stays reproducible; without an entropy seed, none.
    func rngSeed() -> [UInt8]? {
        guard let seed = config.entropySeed else { return nil }
        var g = SplitMix64(seed: seed ^ 0x6474_622d_7365_6564)   // its own stream, not the device's
        return (0..<4).flatMap { _ -> [UInt8] in
            let v = g.next()
            return (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
        }
    }
}

@inline(__always) func alignUp(_ v: UInt64, _ a: UInt64) -> UInt64 { (v + a - 1) & ~(a - 1) }
