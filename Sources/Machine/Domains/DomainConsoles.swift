import Foundation
import Hypervisor

/// Where domains' console output goes: the machine's console, one line at a time with
/// the domain's name in front (the hypervisor's own lines come as they are), and with
/// `--console-log DIR` also one file per domain, as Xen's xenconsoled writes them.
final class DomainConsoles {
    var output: (UInt8) -> Void = { _ in }
    var logDirectory: String? = nil
    private var partial: [Int: [UInt8]] = [:]
    private var files: [Int: FileHandle] = [:]
    /// Everything each domain printed (tests read it).
    private(set) var text: [String: [UInt8]] = [:]

    func write(_ d: Domain?, _ bytes: [UInt8]) {
        guard let d = d else { bytes.forEach(output); return }
        text[d.name, default: []] += bytes
        if let dir = logDirectory {
            if files[d.id] == nil {
                let path = dir + "/" + d.name + ".log"
                FileManager.default.createFile(atPath: path, contents: nil)
                files[d.id] = FileHandle(forWritingAtPath: path)
            }
            files[d.id]?.write(Data(bytes))
        }
        for b in bytes {
            if b == 0x0d { continue }
            partial[d.id, default: []].append(b)
            if b == 0x0a {
                Array("[\(d.name)] ".utf8).forEach(output)
                partial[d.id]!.forEach(output)
                partial[d.id] = []
            }
        }
    }
}
