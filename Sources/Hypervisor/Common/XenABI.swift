// Numbers of the Xen guest ABI, from Xen's public headers (xen/include/public/xen.h,
// sched.h, vcpu.h, memory.h, event_channel.h, grant_table.h, hvm/params.h, errno.h).

enum XenABI {
    /// The HVC immediate of a hypercall on Arm (XEN_HYPERCALL_TAG).
    static let hypercallTag: UInt64 = 0xEA1
    static let domidSelf: UInt16 = 0x7FF0

    enum Call {
        static let memoryOp: UInt64 = 12, xenVersion: UInt64 = 17, consoleIO: UInt64 = 18
        static let grantTableOp: UInt64 = 20, vmAssist: UInt64 = 21, vcpuOp: UInt64 = 24
        static let schedOp: UInt64 = 29, eventChannelOp: UInt64 = 32, physdevOp: UInt64 = 33
        static let hvmOp: UInt64 = 34
    }

    /// Xen's errno values (xen/include/public/errno.h), returned negated.
    enum Errno: Int64 {
        case EPERM = 1, ENOENT = 2, ESRCH = 3, EINVAL = 22, EFAULT = 14, ENOMEM = 12, EBUSY = 16
        case EEXIST = 17, ENOSPC = 28, ENOSYS = 38, EAGAIN = 11, E2BIG = 7, EACCES = 13, EOPNOTSUPP = 95
        var result: UInt64 { UInt64(bitPattern: -rawValue) }
    }

    enum Version {
        static let version: UInt64 = 0, extraversion: UInt64 = 1, compileInfo: UInt64 = 2
        static let capabilities: UInt64 = 3, changeset: UInt64 = 4, platformParameters: UInt64 = 5
        static let getFeatures: UInt64 = 6, pagesize: UInt64 = 7, guestHandle: UInt64 = 8
        static let commandline: UInt64 = 9, buildID: UInt64 = 10
        /// XENFEAT_* bits for submap 0 of an auto-translated Arm guest.
        static let features: UInt32 = 1 << 0 | 1 << 2 | 1 << 13 | 1 << 14 | 1 << 16
    }

    enum Console { static let write: UInt64 = 0, read: UInt64 = 1 }

    enum Sched {
        static let yield: UInt64 = 0, block: UInt64 = 1, shutdown: UInt64 = 2, poll: UInt64 = 3
        static let remoteShutdown: UInt64 = 4, shutdownCode: UInt64 = 5, watchdog: UInt64 = 6
        /// The most ports one SCHEDOP_poll takes (Xen's "fairly arbitrary limit").
        static let maxPollPorts: UInt32 = 128
    }

    enum VCPUOp {
        static let up: UInt64 = 1, down: UInt64 = 2, isUp: UInt64 = 3
        static let registerRunstateMemoryArea: UInt64 = 5, registerVCPUInfo: UInt64 = 10
    }

    /// vm_assist commands and the one type Arm has (xen.h VMASST_*).
    enum VMAssist {
        static let enable: UInt64 = 0, disable: UInt64 = 1
        static let runstateUpdateFlag: UInt64 = 5
    }

    enum Memory {
        static let increaseReservation: UInt64 = 0, decreaseReservation: UInt64 = 1
        static let maximumReservation: UInt64 = 4, populatePhysmap: UInt64 = 6, addToPhysmap: UInt64 = 7
        static let currentReservation: UInt64 = 11
        /// MEMOP_EXTENT_SHIFT (xen/include/xen/hypercall.h): cmd[:6] is a continuation's start extent.
        static let extentShift: UInt64 = 6, cmdMask: UInt64 = 0x3f
        /// Pages one memory_op call handles before it is continued.
        static let pagesPerContinuation: UInt64 = 4096
        /// XENMAPSPACE_*
        static let spaceSharedInfo: UInt32 = 0, spaceGrantTable: UInt32 = 1
    }

    enum HVM {
        static let setParam: UInt64 = 0, getParam: UInt64 = 1
        static let paramCount: UInt32 = 40
    }

    enum Evtchn {
        static let bindInterdomain: UInt64 = 0, bindVIRQ: UInt64 = 1, bindPIRQ: UInt64 = 2, close: UInt64 = 3
        static let send: UInt64 = 4, status: UInt64 = 5, allocUnbound: UInt64 = 6, bindIPI: UInt64 = 7
        static let bindVCPU: UInt64 = 8, unmask: UInt64 = 9, reset: UInt64 = 10, initControl: UInt64 = 11
        static let expandArray: UInt64 = 12, setPriority: UInt64 = 13
        /// EVTCHNSTAT_*
        static let statClosed: UInt32 = 0, statUnbound: UInt32 = 1, statInterdomain: UInt32 = 2
        static let statVIRQ: UInt32 = 4, statIPI: UInt32 = 5
        /// Ports of the 2-level ABI: 64 words of 64 bits.
        static let ports = 4096
        static let virqCount: UInt32 = 24
    }

    enum Gnttab {
        static let mapGrantRef: UInt64 = 0, unmapGrantRef: UInt64 = 1, setupTable: UInt64 = 2
        static let transfer: UInt64 = 4, copy: UInt64 = 5, querySize: UInt64 = 6
        static let setVersion: UInt64 = 8, getVersion: UInt64 = 10
        /// GNTTABOP_ARG_SHIFT: cmd bits from here up carry cache_flush's continuation state.
        static let argShift: UInt64 = 12
    }

    /// Layout of shared_info and vcpu_info on Arm (XEN_LEGACY_MAX_VCPUS 1, 64-bit words,
    /// empty arch parts): vcpu_info is 48 bytes.
    enum Layout {
        static let upcallPending = 0, upcallMask = 1, pendingSelector = 8, vcpuInfoSize = 48
        static let evtchnPending = 48, evtchnMask = 48 + 512, wallClockVersion = 48 + 1024
    }
}
