import Emu

/// virtio-mmio transport, modern interface (VIRTIO 1.2 §4.2.2, Version 2). One transport per
/// slot of the board; the device type behind it is a `VirtioDevice`.
public final class VirtioMMIO: MMIOHandler {
    /// §4.2.2 MMIO device register layout. All registers are 32 bits wide.
    enum Register: UInt64 {
        case magicValue = 0x000, version = 0x004, deviceID = 0x008, vendorID = 0x00c
        case deviceFeatures = 0x010, deviceFeaturesSel = 0x014
        case driverFeatures = 0x020, driverFeaturesSel = 0x024
        case queueSel = 0x030, queueNumMax = 0x034, queueNum = 0x038
        case queueReady = 0x044, queueNotify = 0x050
        case interruptStatus = 0x060, interruptACK = 0x064
        case status = 0x070
        case queueDescLow = 0x080, queueDescHigh = 0x084
        case queueDriverLow = 0x090, queueDriverHigh = 0x094
        case queueDeviceLow = 0x0a0, queueDeviceHigh = 0x0a4
        case shmSel = 0x0ac, shmLenLow = 0x0b0, shmLenHigh = 0x0b4, shmBaseLow = 0x0b8, shmBaseHigh = 0x0bc
        case configGeneration = 0x0fc
    }
    static let configOffset: UInt64 = 0x100
    static let magic: UInt64 = 0x7472_6976          // "virt"
    static let vendor: UInt64 = 0x4853_5649         // "HVSI"

    /// §2.1 device status bits.
    public enum Status {
        public static let acknowledge: UInt32 = 1, driver: UInt32 = 2, driverOK: UInt32 = 4
        public static let featuresOK: UInt32 = 8, needsReset: UInt32 = 64, failed: UInt32 = 128
    }
    /// §4.2.2 InterruptStatus bits.
    public enum Interrupt { public static let usedBuffer: UInt32 = 1, configChange: UInt32 = 2 }
    /// §6 reserved feature bits this transport offers on behalf of every device.
    public enum Feature {
        public static let indirectDesc: UInt64 = 1 << 28, eventIdx: UInt64 = 1 << 29
        public static let version1: UInt64 = 1 << 32
    }

    public let device: any VirtioDevice
    public private(set) var queues: [Virtqueue]
    /// Level of the interrupt line: true while InterruptStatus is non-zero.
    public var irq: (Bool) -> Void = { _ in }
    /// Why the device last set DEVICE_NEEDS_RESET, for traces and tests.
    public internal(set) var lastError: VirtioError?

    // Setters internal, not private: Virtio+State.swift restores them.
    public internal(set) var status: UInt32 = 0
    public internal(set) var interruptStatus: UInt32 = 0
    public internal(set) var driverFeatures: UInt64 = 0
    var deviceFeaturesSel: UInt32 = 0, driverFeaturesSel: UInt32 = 0
    var queueSel: UInt32 = 0
    var configGeneration: UInt32 = 0   // no device here changes its configuration
    var lineLevel = false

    public init(device: any VirtioDevice, bus: Bus) {
        self.device = device
        queues = device.queueMaxSizes.enumerated().map { Virtqueue(index: $0.offset, maxSize: $0.element, bus: bus) }
        device.requestService = { [weak self] queue in self?.service(queue: queue) }
    }

    /// A slot with nothing behind it: reads DeviceID 0 (§4.2.3.1.1), so drivers skip it.
    public static func emptySlot(bus: Bus) -> VirtioMMIO { VirtioMMIO(device: NoVirtioDevice(), bus: bus) }

    /// Every feature offered: the device's own plus the transport's.
    public var deviceFeatures: UInt64 { device.features | Feature.version1 | Feature.indirectDesc | Feature.eventIdx }

    // MARK: Register access

    public func read(offset: UInt64, size: Int, cpu: Int) -> UInt64 {
        if offset >= Self.configOffset { return readConfig(Int(offset - Self.configOffset), size) }
        // §4.2.2.2: the driver uses only 32-bit wide, aligned accesses to the registers.
        guard size == 4, let reg = Register(rawValue: offset) else { return 0 }
        switch reg {
        case .magicValue: return Self.magic
        case .version: return 2
        case .deviceID: return UInt64(device.deviceID)
        case .vendorID: return Self.vendor
        case .deviceFeatures:
            return deviceFeaturesSel < 2 ? (deviceFeatures >> (32 * UInt64(deviceFeaturesSel))) & 0xffff_ffff : 0
        case .queueNumMax: return UInt64(selectedQueue?.maxSize ?? 0)
        case .queueReady: return selectedQueue?.ready == true ? 1 : 0
        case .interruptStatus: return UInt64(interruptStatus)
        case .status: return UInt64(status)
        case .shmLenLow, .shmLenHigh: return 0xffff_ffff   // no shared memory regions (§4.2.2)
        case .shmBaseLow, .shmBaseHigh: return 0xffff_ffff
        case .configGeneration: return UInt64(configGeneration)
        default: return 0  // write-only registers
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu: Int) {
        if offset >= Self.configOffset {
            device.writeConfig(offset: Int(offset - Self.configOffset), size: size, value: value)
            return
        }
        guard size == 4, let reg = Register(rawValue: offset) else { return }
        let v = UInt32(truncatingIfNeeded: value)
        switch reg {
        case .deviceFeaturesSel: deviceFeaturesSel = v
        case .driverFeaturesSel: driverFeaturesSel = v
        case .driverFeatures:
            // Features are fixed once FEATURES_OK is set (§3.1.1 step 5).
            guard status & Status.featuresOK == 0, driverFeaturesSel < 2 else { return }
            let shift = 32 * UInt64(driverFeaturesSel)
            driverFeatures = driverFeatures & ~(0xffff_ffff << shift) | UInt64(v) << shift
        case .queueSel: queueSel = v
        case .queueNum: withIdleQueue { $0.size = UInt16(truncatingIfNeeded: min(v, 0xffff)) }
        case .queueDescLow: withIdleQueue { $0.descAddress = setLow($0.descAddress, v) }
        case .queueDescHigh: withIdleQueue { $0.descAddress = setHigh($0.descAddress, v) }
        case .queueDriverLow: withIdleQueue { $0.driverAddress = setLow($0.driverAddress, v) }
        case .queueDriverHigh: withIdleQueue { $0.driverAddress = setHigh($0.driverAddress, v) }
        case .queueDeviceLow: withIdleQueue { $0.deviceAddress = setLow($0.deviceAddress, v) }
        case .queueDeviceHigh: withIdleQueue { $0.deviceAddress = setHigh($0.deviceAddress, v) }
        case .queueReady: setQueueReady(v & 1 != 0)
        case .queueNotify: service(queue: Int(v & 0xffff))  // without NOTIFICATION_DATA: the index
        case .interruptACK:
            interruptStatus &= ~v
            updateLine()
        case .status: setStatus(v)
        default: break  // read-only registers
        }
    }

    private var selectedQueue: Virtqueue? { Int(queueSel) < queues.count ? queues[Int(queueSel)] : nil }

    /// §4.2.3.2: queue layout registers are written only while QueueReady is 0.
    private func withIdleQueue(_ body: (Virtqueue) -> Void) {
        guard let q = selectedQueue, !q.ready else { return }
        body(q)
    }

    private func setLow(_ old: UInt64, _ v: UInt32) -> UInt64 { old & ~0xffff_ffff | UInt64(v) }
    private func setHigh(_ old: UInt64, _ v: UInt32) -> UInt64 { old & 0xffff_ffff | UInt64(v) << 32 }

    private func setQueueReady(_ on: Bool) {
        guard let q = selectedQueue else { return }
        if !on { q.disable(); return }
        if q.ready { return }
        q.indirectDescriptors = driverFeatures & Feature.indirectDesc != 0
        q.eventIndex = driverFeatures & Feature.eventIdx != 0
        do { try q.enable() } catch { fail(error) }
    }

    // MARK: Status and reset (§2.1, §3.1, §4.2.3.1)

    private func setStatus(_ v: UInt32) {
        if v == 0 { reset(); return }
        var new = v & ~Status.needsReset | status & Status.needsReset  // NEEDS_RESET is the device's
        if new & Status.featuresOK != 0 && status & Status.featuresOK == 0 && !featuresAcceptable {
            new &= ~Status.featuresOK   // §3.1.1 step 6: the driver reads back and sees the refusal
        }
        let becameReady = new & Status.driverOK != 0 && status & Status.driverOK == 0
        status = new
        if becameReady {
            // Buffers posted during initialisation are served once the driver is ready.
            for q in queues where q.hasAvailable { service(queue: q.index) }
        }
    }

    /// The driver's choice must be a subset of the offer and must include VERSION_1 (§6.1).
    private var featuresAcceptable: Bool {
        driverFeatures & ~deviceFeatures == 0 && driverFeatures & Feature.version1 != 0
    }

    /// Device reset (§2.4): back to the state at power-on, interrupt line dropped.
    public func reset() {
        status = 0
        driverFeatures = 0
        deviceFeaturesSel = 0; driverFeaturesSel = 0; queueSel = 0
        interruptStatus = 0
        lastError = nil
        for q in queues { q.reset() }
        device.reset()
        updateLine()
    }

    // MARK: Queue processing and notifications

    private var operational: Bool {
        status & Status.driverOK != 0 && status & (Status.needsReset | Status.failed) == 0
    }

    /// Runs the device over one queue's available buffers, synchronously, and raises the used-buffer
    /// interrupt if the driver asked for it. Called on QueueNotify and when the device has new input.
    func service(queue index: Int) {
        guard operational, index < queues.count, queues[index].ready else { return }
        let q = queues[index]
        do {
            try device.process(queue: q)
        } catch {
            fail(error)
        }
        if q.takeNotification() {
            interruptStatus |= Interrupt.usedBuffer
            updateLine()
        }
    }

    /// A driver error: the device stops and asks to be reset (§2.1.2), notifying the driver with a
    /// configuration change interrupt if it is already running.
    private func fail(_ error: VirtioError) {
        lastError = error
        if status & Status.needsReset != 0 { return }
        status |= Status.needsReset
        if status & Status.driverOK != 0 {
            interruptStatus |= Interrupt.configChange
            updateLine()
        }
    }

    private func updateLine() {
        let level = interruptStatus != 0
        if level != lineLevel { lineLevel = level; irq(level) }
    }

    // MARK: Device configuration space (§4.2.2 Config, §2.5)

    private func readConfig(_ offset: Int, _ size: Int) -> UInt64 {
        let space = device.configSpace
        guard size == 1 || size == 2 || size == 4 || size == 8, offset >= 0, offset + size <= space.count else { return 0 }
        var v: UInt64 = 0
        for i in (0..<size).reversed() { v = v << 8 | UInt64(space[offset + i]) }
        return v
    }

}

/// The per-device-type part of a virtio device (VIRTIO 1.2 §5): what the transport needs to know
/// about it, and the processing of its queues.
/// `StateSaving` covers only the device's own state (the transport saves the queues); a device
/// with none saves nothing, but has to say so.
public protocol VirtioDevice: StateSaving {
    /// §5 device ID (2 block, 3 console, 4 entropy).
    var deviceID: UInt32 { get }
    /// Device-specific feature bits offered (the transport adds VERSION_1 and ring features).
    var features: UInt64 { get }
    /// Maximum size of each virtqueue, in queue-index order.
    var queueMaxSizes: [UInt16] { get }
    /// The device-specific configuration structure, little-endian (§4.2.2 offset 0x100).
    var configSpace: [UInt8] { get }
    func writeConfig(offset: Int, size: Int, value: UInt64)
    /// Serves the queue's available buffers. Throwing marks the device DEVICE_NEEDS_RESET.
    func process(queue: Virtqueue) throws(VirtioError)
    /// Device reset (§2.4): forget per-session state.
    func reset()
    /// Set by the transport: asks it to serve a queue outside a driver notification (new input).
    var requestService: ((Int) -> Void)? { get set }
}

extension VirtioDevice {
    public func writeConfig(offset: Int, size: Int, value: UInt64) {}
    public func reset() {}
}

/// Stores a little-endian value into a configuration-space byte array.
func putLE<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
    for i in 0..<MemoryLayout<T>.size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
}

/// Device ID 0: an empty virtio-mmio slot.
final class NoVirtioDevice: VirtioDevice {
    var deviceID: UInt32 { 0 }
    var features: UInt64 { 0 }
    var queueMaxSizes: [UInt16] { [] }
    var configSpace: [UInt8] { [] }
    var requestService: ((Int) -> Void)?
    func process(queue: Virtqueue) throws(VirtioError) {}
}
