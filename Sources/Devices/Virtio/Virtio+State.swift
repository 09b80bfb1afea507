import Emu

/// Snapshot state of a virtio-mmio slot: the device ID first (a restore into a different kind of
/// device is refused), the transport registers, every queue, then the device's own state as a
/// length-prefixed block. The reason for DEVICE_NEEDS_RESET (`lastError`) is not kept; the
/// status bit is. Guest RAM holds the rings themselves and is saved by the machine.
extension VirtioMMIO: StateSaving {
    static let stateTag = "virtio-mmio/1"

    public func save(_ w: inout StateWriter) {
        w.tag(Self.stateTag)
        w.u32(device.deviceID)
        w.u32(status); w.u32(interruptStatus)
        w.u64(driverFeatures)
        w.u32(deviceFeaturesSel); w.u32(driverFeaturesSel); w.u32(queueSel)
        w.u32(configGeneration)
        w.bool(lineLevel)
        w.u32(UInt32(queues.count))
        for q in queues { Virtqueue.SavedState(q).save(&w) }
        var d = StateWriter()
        device.save(&d)
        w.data(d.bytes)
    }

    /// Reads and checks everything (queue ring areas must lie in guest RAM again) before the
    /// device or the transport change; then calls `irq` with the restored line level.
    public func restore(_ r: inout StateReader) throws {
        try r.expectTag(Self.stateTag)
        let id = try r.u32()
        guard id == device.deviceID else {
            throw StateError("virtio-mmio: snapshot holds \(Self.kindName(id)) (device ID \(id)), "
                             + "this slot has \(Self.kindName(device.deviceID)) (device ID \(device.deviceID))")
        }
        let st = try r.u32(), isr = try r.u32()
        let features = try r.u64()
        let devSel = try r.u32(), drvSel = try r.u32(), qSel = try r.u32()
        let generation = try r.u32()
        let level = try r.bool()
        let count = Int(try r.u32())
        guard count == queues.count else {
            throw StateError("virtio-mmio: \(count) queues saved, the device has \(queues.count)")
        }
        var saved: [Virtqueue.SavedState] = []
        for q in queues {
            let s = try Virtqueue.SavedState(&r)
            try s.check(for: q)
            saved.append(s)
        }
        guard level == (isr != 0) else {
            throw StateError("virtio-mmio: saved interrupt level \(level) disagrees with InterruptStatus \(isr)")
        }
        var d = StateReader(try r.data())
        try device.restore(&d)
        guard d.at == d.end else {
            throw StateError("virtio-mmio: \(d.end - d.at) bytes of device state left unread")
        }

        status = st; interruptStatus = isr; driverFeatures = features
        deviceFeaturesSel = devSel; driverFeaturesSel = drvSel; queueSel = qSel
        configGeneration = generation
        lastError = nil
        for (q, s) in zip(queues, saved) { s.apply(to: q) }
        lineLevel = level
        irq(level)
    }

    static func kindName(_ id: UInt32) -> String {
        switch id {
        case 0: return "an empty slot"
        case 2: return "a block device"
        case 3: return "a console"
        case 4: return "an entropy source"
        default: return "a device"
        }
    }
}

extension Virtqueue {
    /// Everything a queue keeps: the driver-set layout, the negotiated ring features and the
    /// device-side indices. The host pointers are derived again from the addresses on restore.
    struct SavedState {
        var maxSize: UInt16, size: UInt16
        var descAddress: UInt64, driverAddress: UInt64, deviceAddress: UInt64
        var ready: Bool, indirectDescriptors: Bool, eventIndex: Bool
        var lastAvail: UInt16, usedIndex: UInt16, signalledUsed: UInt16

        init(_ q: Virtqueue) {
            maxSize = q.maxSize; size = q.size
            descAddress = q.descAddress; driverAddress = q.driverAddress; deviceAddress = q.deviceAddress
            ready = q.ready; indirectDescriptors = q.indirectDescriptors; eventIndex = q.eventIndex
            lastAvail = q.lastAvail; usedIndex = q.usedIndex; signalledUsed = q.signalledUsed
        }

        func save(_ w: inout StateWriter) {
            w.u32(UInt32(maxSize)); w.u32(UInt32(size))
            w.u64(descAddress); w.u64(driverAddress); w.u64(deviceAddress)
            w.bool(ready); w.bool(indirectDescriptors); w.bool(eventIndex)
            w.u32(UInt32(lastAvail)); w.u32(UInt32(usedIndex)); w.u32(UInt32(signalledUsed))
        }

        init(_ r: inout StateReader) throws {
            func u16(_ what: String) throws -> UInt16 {
                let v = try r.u32()
                guard let x = UInt16(exactly: v) else { throw StateError("virtqueue: \(what) \(v) does not fit 16 bits") }
                return x
            }
            maxSize = try u16("maximum size"); size = try u16("size")
            descAddress = try r.u64(); driverAddress = try r.u64(); deviceAddress = try r.u64()
            ready = try r.bool(); indirectDescriptors = try r.bool(); eventIndex = try r.bool()
            lastAvail = try u16("last available index"); usedIndex = try u16("used index")
            signalledUsed = try u16("signalled used index")
        }

        /// The same queue shape, and for a ready queue, rings that `enable()` would accept.
        func check(for q: Virtqueue) throws {
            guard maxSize == q.maxSize else {
                throw StateError("virtqueue \(q.index): maximum size \(maxSize) saved, the device has \(q.maxSize)")
            }
            guard ready else { return }
            guard size > 0, size <= maxSize, size & (size - 1) == 0,
                  descAddress & 15 == 0, driverAddress & 1 == 0, deviceAddress & 3 == 0 else {
                throw StateError("virtqueue \(q.index): ready with bad size \(size) or misaligned rings")
            }
            guard rings(on: q.bus) != nil else {
                throw StateError("virtqueue \(q.index): ring areas outside guest RAM")
            }
        }

        private func rings(on bus: Bus) -> (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer)? {
            guard let d = bus.hostRange(descAddress, SplitRing.descTableBytes(size)),
                  let a = bus.hostRange(driverAddress, SplitRing.availBytes(size)),
                  let u = bus.hostRange(deviceAddress, SplitRing.usedBytes(size), kept: true) else { return nil }
            return (d, a, u)
        }

        /// Call only after `check(for:)` passed.
        func apply(to q: Virtqueue) {
            q.size = size
            q.descAddress = descAddress; q.driverAddress = driverAddress; q.deviceAddress = deviceAddress
            q.indirectDescriptors = indirectDescriptors; q.eventIndex = eventIndex
            q.lastAvail = lastAvail; q.usedIndex = usedIndex; q.signalledUsed = signalledUsed
            q.ready = ready
            if ready, let p = rings(on: q.bus) {
                (q.descTable, q.avail, q.used) = (p.0, p.1, p.2)
                q.usedRange = deviceAddress..<(deviceAddress + SplitRing.usedBytes(size))
            } else {
                (q.descTable, q.avail, q.used) = (nil, nil, nil)
            }
        }
    }
}

/// Console: the input bytes not yet delivered to the guest, in order.
extension VirtioConsole {
    public func save(_ w: inout StateWriter) { w.data(Array(input[inputStart...])) }
    public func restore(_ r: inout StateReader) throws {
        input = try r.data()
        inputStart = 0
    }
}

/// Entropy: the generator state, so the next bytes are the ones the original would have given.
extension VirtioEntropy {
    public func save(_ w: inout StateWriter) { w.u64(generator.state) }
    public func restore(_ r: inout StateReader) throws { generator = SplitMix64(seed: try r.u64()) }
}

/// Block: no state beyond the transport's (the image is not part of the snapshot). The size and
/// read-only flag the guest has seen are kept to refuse a restore onto a different disk.
extension VirtioBlock {
    public func save(_ w: inout StateWriter) { w.u64(capacity); w.bool(readOnly) }
    public func restore(_ r: inout StateReader) throws {
        let sectors = try r.u64(), ro = try r.bool()
        guard sectors == capacity, ro == readOnly else {
            throw StateError("virtio-blk: snapshot taken with a \(sectors)-sector\(ro ? " read-only" : "") disk, "
                             + "\(path) has \(capacity) sectors\(readOnly ? ", read-only" : "")")
        }
    }
}

/// An empty slot has nothing to keep.
extension NoVirtioDevice {
    func save(_ w: inout StateWriter) {}
    func restore(_ r: inout StateReader) throws {}
}
