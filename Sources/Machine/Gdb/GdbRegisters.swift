import Emu

// The registers gdb sees, in gdb's numbering: the standard AArch64 core and FP/SIMD
// features (x0-x30, sp, pc, cpsr; v0-v31, fpsr, fpcr, as gdb's own
// features/aarch64-core.xml and aarch64-fpu.xml number them), then the system registers a
// kernel or hypervisor debugger needs, in a feature of hvsim's own (gdb shows them in
// `info registers system` and as `$sctlr_el1` etc.).

enum GdbRegisters {
    static let pc = 32, cpsr = 33, firstV = 34, fpsr = 66, fpcr = 67, firstSystem = 68

    /// System registers: gdb name and where the value lives in `CPUState`.
    static let system: [(name: String, field: WritableKeyPath<CPUState, UInt64>)] = [
        ("sctlr_el1", \.sctlrEL1), ("tcr_el1", \.tcrEL1), ("ttbr0_el1", \.ttbr0EL1), ("ttbr1_el1", \.ttbr1EL1),
        ("mair_el1", \.mairEL1), ("vbar_el1", \.vbarEL1), ("esr_el1", \.esrEL1), ("far_el1", \.farEL1),
        ("elr_el1", \.elrEL1), ("spsr_el1", \.spsrEL1), ("sp_el0", \.spEL0), ("sp_el1", \.spEL1),
        ("tpidr_el0", \.tpidrEL0), ("tpidr_el1", \.tpidrEL1), ("contextidr_el1", \.contextidrEL1),
        ("cpacr_el1", \.cpacrEL1), ("par_el1", \.parEL1),
        ("sctlr_el2", \.sctlrEL2), ("hcr_el2", \.hcrEL2), ("tcr_el2", \.tcrEL2), ("ttbr0_el2", \.ttbr0EL2),
        ("mair_el2", \.mairEL2), ("vbar_el2", \.vbarEL2), ("esr_el2", \.esrEL2), ("far_el2", \.farEL2),
        ("hpfar_el2", \.hpfarEL2), ("elr_el2", \.elrEL2), ("spsr_el2", \.spsrEL2), ("sp_el2", \.spEL2),
        ("vttbr_el2", \.vttbrEL2), ("vtcr_el2", \.vtcrEL2), ("cptr_el2", \.cptrEL2), ("mdcr_el2", \.mdcrEL2),
        ("tpidr_el2", \.tpidrEL2), ("cnthctl_el2", \.cnthctlEL2), ("cntvoff_el2", \.cntvoffEL2),
        ("vmpidr_el2", \.vmpidrEL2), ("mpidr_el1", \.mpidr),
        ("cntv_ctl_el0", \.cntvCtl), ("cntv_cval_el0", \.cntvCval), ("cntp_ctl_el0", \.cntpCtl),
        ("cntp_cval_el0", \.cntpCval),
    ]
    /// After the table: CurrentEL (read-only, EL in bits 3:2, as MRS CurrentEL reads it).
    static let currentEL = firstSystem + system.count
    static let count = currentEL + 1

    /// Size in bytes of register `n`; nil if there is no such register.
    static func size(_ n: Int) -> Int? {
        switch n {
        case 0...32: return 8
        case cpsr, fpsr, fpcr: return 4
        case firstV..<(firstV + 32): return 16
        case firstSystem..<count: return 8
        default: return nil
        }
    }

    /// The value of register `n` as target-order bytes in hex; nil if there is none.
    static func read(_ c: CPU, _ n: Int) -> String? {
        switch n {
        case 0..<31: return hexLE(c[n], bytes: 8)
        case 31: return hexLE(c.sp, bytes: 8)
        case pc: return hexLE(c.pc, bytes: 8)
        case cpsr: return hexLE(c.pstate, bytes: 4)
        case firstV..<(firstV + 32):
            let i = 2 * (n - firstV)
            return hexLE(c.v[i], bytes: 8) + hexLE(c.v[i + 1], bytes: 8)
        case fpsr: return hexLE(c.st.pointee.fpsr, bytes: 4)
        case fpcr: return hexLE(c.st.pointee.fpcr, bytes: 4)
        case currentEL: return hexLE(UInt64(c.el) << 2, bytes: 8)
        case firstSystem..<currentEL: return hexLE(systemValue(c, n - firstSystem), bytes: 8)
        default: return nil
        }
    }

    /// The banked stack pointers live in x[sp] while selected; the rest in `CPUState`.
    private static func systemValue(_ c: CPU, _ i: Int) -> UInt64 {
        if let el = stackPointerEL(system[i].name), liveStackPointerEL(c) == el { return c.sp }
        return c.st.pointee[keyPath: system[i].field]
    }

    private static func stackPointerEL(_ name: String) -> Int? {
        switch name { case "sp_el0": return 0; case "sp_el1": return 1; case "sp_el2": return 2; default: return nil }
    }

    private static func liveStackPointerEL(_ c: CPU) -> Int { c.st.pointee.spsel == 0 ? 0 : c.el }

    /// Writes register `n` from target-order bytes; false if it cannot be written.
    static func write(_ c: CPU, _ n: Int, _ bytes: [UInt8]) -> Bool {
        guard let size = size(n), bytes.count == size else { return false }
        let value = leValue(bytes)
        switch n {
        case 0..<31: c[n] = value
        case 31: c.sp = value
        case pc: c.pc = value
        case cpsr:
            // The flags and interrupt masks; the exception level and SP selection stay.
            c.nzcv = value & 0xf000_0000
            c.st.pointee.daif = value & 0x3c0
            c.st.pointee.checkInterrupts = true
        case firstV..<(firstV + 32):
            let i = 2 * (n - firstV)
            c.v[i] = value; c.v[i + 1] = leValue(Array(bytes[8...]))
        case fpsr: c.st.pointee.fpsr = value
        case fpcr: c.st.pointee.fpcr = value
        case firstSystem..<currentEL:
            let i = n - firstSystem
            if let el = stackPointerEL(system[i].name), liveStackPointerEL(c) == el { c.sp = value }
            else { c.st.pointee[keyPath: system[i].field] = value }
            c.flushTLB(all: true)   // translation controls may have changed
        default: return false
        }
        return true
    }

    /// The `g` packet: the core and FP/SIMD registers (gdb reads the others with `p`).
    static func readAll(_ c: CPU) -> String {
        (0..<firstSystem).map { read(c, $0)! }.joined()
    }

    /// The `G` packet; false if the data is malformed.
    static func writeAll(_ c: CPU, _ bytes: [UInt8]) -> Bool {
        var at = 0
        for n in 0..<firstSystem {
            let s = size(n)!
            guard at + s <= bytes.count else { return at == bytes.count && n > 0 }
            _ = write(c, n, Array(bytes[at..<(at + s)]))
            at += s
        }
        return true
    }

    // MARK: Target description (qXfer:features:read:target.xml)

    static let targetXML: String = {
        var x = """
        <?xml version="1.0"?>
        <!DOCTYPE target SYSTEM "gdb-target.dtd">
        <target version="1.0">
        <architecture>aarch64</architecture>
        <feature name="org.gnu.gdb.aarch64.core">
        <flags id="cpsr_flags" size="4">
        <field name="SP" start="0" end="0"/><field name="EL" start="2" end="3"/>
        <field name="F" start="6" end="6"/><field name="I" start="7" end="7"/>
        <field name="A" start="8" end="8"/><field name="D" start="9" end="9"/>
        <field name="IL" start="20" end="20"/><field name="PAN" start="22" end="22"/>
        <field name="V" start="28" end="28"/><field name="C" start="29" end="29"/>
        <field name="Z" start="30" end="30"/><field name="N" start="31" end="31"/>
        </flags>

        """
        for i in 0..<31 { x += "<reg name=\"x\(i)\" bitsize=\"64\" type=\"int\" regnum=\"\(i)\"/>\n" }
        x += """
        <reg name="sp" bitsize="64" type="data_ptr" regnum="31"/>
        <reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>
        <reg name="cpsr" bitsize="32" type="cpsr_flags" regnum="33"/>
        </feature>
        <feature name="org.gnu.gdb.aarch64.fpu">
        <vector id="v2d" type="ieee_double" count="2"/>
        <vector id="v2u" type="uint64" count="2"/>
        <vector id="v4f" type="ieee_single" count="4"/>
        <vector id="v4u" type="uint32" count="4"/>
        <vector id="v8u" type="uint16" count="8"/>
        <vector id="v16u" type="uint8" count="16"/>
        <union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/></union>
        <union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/></union>
        <union id="vnh"><field name="u" type="v8u"/></union>
        <union id="vnb"><field name="u" type="v16u"/></union>
        <union id="vnq"><field name="u" type="uint128"/></union>
        <union id="aarch64v">
        <field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/>
        <field name="b" type="vnb"/><field name="q" type="vnq"/>
        </union>

        """
        for i in 0..<32 { x += "<reg name=\"v\(i)\" bitsize=\"128\" type=\"aarch64v\" regnum=\"\(firstV + i)\"/>\n" }
        x += """
        <reg name="fpsr" bitsize="32" type="int" regnum="\(fpsr)"/>
        <reg name="fpcr" bitsize="32" type="int" regnum="\(fpcr)"/>
        </feature>
        <feature name="org.hvsim.aarch64.system">

        """
        for (i, r) in system.enumerated() {
            x += "<reg name=\"\(r.name)\" bitsize=\"64\" type=\"uint64\" regnum=\"\(firstSystem + i)\" group=\"system\"/>\n"
        }
        x += "<reg name=\"currentel\" bitsize=\"64\" type=\"uint64\" regnum=\"\(currentEL)\" group=\"system\"/>\n"
        x += "</feature>\n</target>\n"
        return x
    }()
}
