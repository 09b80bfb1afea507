import Foundation

/// virtio block device (VIRTIO 1.2 §5.2) backed by a raw disk image. One request queue; every
/// request completes synchronously with pread/pwrite on the image's file descriptor.
public final class VirtioBlock: VirtioDevice {
    /// §5.2.3 feature bits.
    public enum Feature {
        public static let sizeMax: UInt64 = 1 << 1, segMax: UInt64 = 1 << 2, readOnly: UInt64 = 1 << 5
        public static let blockSize: UInt64 = 1 << 6, flush: UInt64 = 1 << 9
    }
    /// §5.2.4 struct virtio_blk_config: byte offsets of the fields this device fills in.
    enum Config {
        static let capacity = 0x00, sizeMax = 0x08, segMax = 0x0c, geometry = 0x10, blockSize = 0x14
        static let topology = 0x18, writeback = 0x20, numQueues = 0x22
        static let size = 0x24
    }
    /// §5.2.6 request types.
    enum RequestType: UInt32 { case read = 0, write = 1, flush = 4, getID = 8 }
    /// §5.2.6 status byte values.
    enum RequestStatus: UInt8 { case ok = 0, ioError = 1, unsupported = 2 }

    public static let sectorSize = 512
    static let headerSize = 16        // le32 type, le32 reserved, le64 sector
    static let idLength = 20          // §5.2.6: GET_ID answers a 20-byte string, not NUL-terminated
    static let queueSize: UInt16 = 256
    static let segmentMax: UInt32 = 254
    static let segmentSizeMax: UInt32 = 1 << 20

    public let path: String
    public let readOnly: Bool
    /// Disk size in 512-byte sectors; a trailing partial sector of the image is not visible.
    public let capacity: UInt64
    public let serial: String
    private let fd: Int32

    public var requestService: ((Int) -> Void)?

    /// Opens the image at `path`. Throws `DiskImageError` with the reason if it is missing,
    /// unreadable, not writable (unless `readOnly`), or not a regular file or block device.
    /// `serial` is the GET_ID answer (at most 20 bytes are used); by default the file's name.
    public init(path: String, readOnly: Bool = false, serial: String? = nil) throws {
        self.path = path
        self.readOnly = readOnly
        self.serial = serial ?? (path as NSString).lastPathComponent
        let fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            let hint = !readOnly && errno == EACCES ? " (open it read-only?)" : ""
            throw DiskImageError("cannot open disk image \(path): \(reason)\(hint)")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DiskImageError("cannot stat disk image \(path): \(reason)")
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFBLK else {
            close(fd)
            throw DiskImageError("disk image \(path) is not a regular file or block device")
        }
        let bytes = kind == S_IFREG ? Int64(st.st_size) : Int64(lseek(fd, 0, SEEK_END))
        guard bytes >= 0 else {
            close(fd)
            throw DiskImageError("cannot find the size of disk image \(path)")
        }
        self.fd = fd
        capacity = UInt64(bytes) / UInt64(Self.sectorSize)
    }

    deinit { close(fd) }

    // MARK: VirtioDevice

    public var deviceID: UInt32 { 2 }
    public var features: UInt64 {
        Feature.sizeMax | Feature.segMax | Feature.blockSize | Feature.flush | (readOnly ? Feature.readOnly : 0)
    }
    public var queueMaxSizes: [UInt16] { [Self.queueSize] }

    public var configSpace: [UInt8] {
        var c = [UInt8](repeating: 0, count: Config.size)
        putLE(capacity, into: &c, at: Config.capacity)
        putLE(Self.segmentSizeMax, into: &c, at: Config.sizeMax)
        putLE(Self.segmentMax, into: &c, at: Config.segMax)
        putLE(UInt32(Self.sectorSize), into: &c, at: Config.blockSize)
        putLE(UInt16(1), into: &c, at: Config.numQueues)
        return c
    }

    public func process(queue: Virtqueue) throws(VirtioError) {
        while let chain = try queue.pop() {
            queue.push(chain, written: serve(chain))
        }
    }

    // MARK: Requests (§5.2.6)

    /// Carries out one request and writes its status byte; returns the bytes written to the chain.
    private func serve(_ chain: DescriptorChain) -> Int {
        let writable = chain.writableLength
        // No room for the status byte: nothing can be answered, the buffer goes back untouched.
        guard writable >= 1 else { return 0 }
        let header = chain.read(from: 0, count: Self.headerSize)
        guard header.count == Self.headerSize else { return finish(chain, .ioError) }
        let type = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian }
        let sector = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian }
        let inLength = writable - 1                                  // data the device may fill
        let outLength = chain.readableLength - Self.headerSize       // data the driver supplies

        switch RequestType(rawValue: type) {
        case .read:
            guard let offset = byteOffset(sector: sector, length: inLength),
                  transfer(chain.writable, count: inLength, fileOffset: offset, isWrite: false, in: chain)
            else { return finish(chain, .ioError) }
            return finish(chain, .ok, data: inLength)
        case .write:
            guard !readOnly, let offset = byteOffset(sector: sector, length: outLength),
                  transfer(chain.readable, skip: Self.headerSize, count: outLength, fileOffset: offset, isWrite: true, in: chain)
            else { return finish(chain, .ioError) }
            return finish(chain, .ok)
        case .flush:
            return finish(chain, readOnly || fsync(fd) == 0 ? .ok : .ioError)
        case .getID:
            var id = Array(serial.utf8.prefix(Self.idLength))
            id += [UInt8](repeating: 0, count: Self.idLength - id.count)
            let n = min(inLength, Self.idLength)
            chain.write(Array(id[..<n]), at: 0)
            return finish(chain, .ok, data: n)
        case nil:
            return finish(chain, .unsupported)
        }
    }

    /// Writes the status into the last writable byte; the used length counts data plus status.
    private func finish(_ chain: DescriptorChain, _ status: RequestStatus, data: Int = 0) -> Int {
        chain.write([status.rawValue], at: chain.writableLength - 1)
        return data + 1
    }

    /// File offset of a transfer, or nil when the data is not whole sectors or runs past the end.
    private func byteOffset(sector: UInt64, length: Int) -> Int64? {
        guard length >= 0, length % Self.sectorSize == 0 else { return nil }
        let sectors = UInt64(length / Self.sectorSize)
        guard sector <= capacity, sectors <= capacity - sector else { return nil }
        return Int64(sector * UInt64(Self.sectorSize))
    }

    /// Moves `count` bytes between guest buffers and the image, straight from guest RAM.
    private func transfer(_ buffers: [VirtioBuffer], skip: Int = 0, count: Int, fileOffset: Int64,
                          isWrite: Bool, in chain: DescriptorChain) -> Bool {
        var position = fileOffset
        var ok = true
        chain.forEachRange(buffers, from: skip, count: count) { p, n in
            guard ok else { return }
            var done = 0
            while done < n {
                let r = isWrite ? pwrite(fd, p + done, n - done, off_t(position))
                                : pread(fd, p + done, n - done, off_t(position))
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { ok = false; return }   // error, or the image shrank under us
                done += r
                position += Int64(r)
            }
        }
        return ok
    }
}

/// A disk image that cannot be used, with the reason.
public struct DiskImageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
