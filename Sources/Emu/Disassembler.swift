import CCapstone

/// A64 disassembly through Capstone, for traces and the decoder check. Not used by
/// the interpreter itself.
public final class Disassembler {
    private var handle: csh = 0
    private let ok: Bool

    public init() {
        ok = cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &handle) == CS_ERR_OK
    }

    deinit { if ok { cs_close(&handle) } }

    /// "mnemonic operands" for one instruction word, or nil if Capstone rejects it.
    public func text(_ word: UInt32, pc: UInt64) -> String? {
        guard ok else { return nil }
        var bytes = [UInt8(word & 0xff), UInt8((word >> 8) & 0xff), UInt8((word >> 16) & 0xff), UInt8(word >> 24)]
        var insn: UnsafeMutablePointer<cs_insn>? = nil
        let n = cs_disasm(handle, &bytes, 4, pc, 1, &insn)
        guard n == 1, let i = insn else { return nil }
        defer { cs_free(insn, n) }
        let mnemonic = withUnsafeBytes(of: i.pointee.mnemonic) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let ops = withUnsafeBytes(of: i.pointee.op_str) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        return ops.isEmpty ? mnemonic : mnemonic + " " + ops
    }

    /// Capstone's instruction id (0 if invalid), for comparing decoders.
    public func instructionID(_ word: UInt32) -> UInt32? {
        guard ok else { return nil }
        var bytes = [UInt8(word & 0xff), UInt8((word >> 8) & 0xff), UInt8((word >> 16) & 0xff), UInt8(word >> 24)]
        var insn: UnsafeMutablePointer<cs_insn>? = nil
        let n = cs_disasm(handle, &bytes, 4, 0, 1, &insn)
        guard n == 1, let i = insn else { return nil }
        defer { cs_free(insn, n) }
        return i.pointee.id
    }
}
