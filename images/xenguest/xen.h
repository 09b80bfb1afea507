/* The few Xen ABI pieces the bare-metal test domUs use (numbers from Xen's public
 * headers: xen.h, sched.h, event_channel.h, grant_table.h, memory.h). */
#pragma once
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef long s64;
typedef short s16;

long hypercall(long op, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4);

#define __HYPERVISOR_memory_op       12
#define __HYPERVISOR_xen_version     17
#define __HYPERVISOR_console_io      18
#define __HYPERVISOR_grant_table_op  20
#define __HYPERVISOR_vcpu_op         24
#define __HYPERVISOR_sched_op        29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_hvm_op          34

#define DOMID_SELF 0x7FF0
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_crash 3

struct shared_info_l2 {
    struct { u8 upcall_pending, pad; u8 pad2[6]; u64 pending_sel; u8 time[32]; } vcpu0;
    u64 evtchn_pending[64];
    u64 evtchn_mask[64];
};

void print(const char *s);
void print_hex(u64 v);
void print_dec(u64 v);
void xen_poweroff(void);
void fail(const char *what, long v);

/* ---- Event channels (event_channel.h), sched_op (sched.h), grant tables (grant_table.h),
 * memory_op (memory.h): the structures the demo guests use, in the Arm64 layout. ---- */
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll 3
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_unmask 9
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_vcpu 8
#define VCPUOP_register_vcpu_info 10
#define EINVAL 22
#define ENOMEM 12
#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap 6
#define XENMEM_add_to_physmap 7
#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1
#define GTF_permit_access 1
#define GTF_readonly (1 << 2)
#define GTF_reading (1 << 3)
#define GTF_writing (1 << 4)
#define GNTMAP_host_map (1 << 1)
#define GNTMAP_readonly (1 << 2)
#define GNTCOPY_source_gref 1
#define GNTCOPY_dest_gref 2
#define GUEST_GNTTAB_BASE 0x38000000ul   /* arch-arm.h */
#define GUEST_MAGIC_BASE 0x39000000ul

struct evtchn_alloc_unbound { u16 dom, remote_dom; u32 port; };
struct evtchn_bind_interdomain { u16 remote_dom; u32 remote_port; u32 local_port; };
struct sched_poll { u64 ports; u32 nr_ports; u64 timeout; };
struct grant_entry_v1 { u16 flags; u16 domid; u32 frame; };
struct gnttab_map_grant_ref { u64 host_addr; u32 flags; u32 ref; u16 dom; s16 status; u32 handle; u64 dev_bus_addr; };
struct gnttab_unmap_grant_ref { u64 host_addr; u64 dev_bus_addr; u32 handle; s16 status; };
struct gnttab_copy_ptr { u64 ref_or_gmfn; u16 domid; u16 offset; };
struct gnttab_copy { struct gnttab_copy_ptr source, dest; u16 len; u16 flags; s16 status; };
struct xen_add_to_physmap { u16 domid; u16 size; u32 space; u64 idx; u64 gpfn; };
struct xen_memory_reservation { u64 extent_start; u64 nr_extents; u32 extent_order; u32 mem_flags; u16 domid; };

/* xenlib.c: small wrappers and event-channel bits in shared_info. */
extern struct shared_info_l2 *shared_info;
void map_shared_info(void);
long evtchn_send(u32 port);
long evtchn_poll(u32 port);
int evtchn_test_and_clear(u32 port);
void evtchn_mask(u32 port);
void sched_yield(void);
long sched_block(void);
long gnttab_op(u32 cmd, void *arg, u32 count);
long map_grant_table_frame(u64 idx, u64 gpa);
/* Exceptions: a handler returns the address to resume at (0: treat as fatal). */
typedef u64 (*sync_handler_t)(u64 esr, u64 elr, u64 far);
typedef void (*irq_handler_t)(void);
extern sync_handler_t sync_handler;
extern irq_handler_t irq_handler;
/* The guest's virtual GICv3: enable `intid` (a PPI or SGI) and IRQs at EL1. */
void gic_init_ppi(u32 intid);
u32 gic_ack(void);
void gic_eoi(u32 intid);

/* ---- Time and more vCPUs (sched.h SCHEDOP_poll timeouts, PSCI CPU_ON over HVC #0). ---- */
/* The domain's system time in ns: its virtual counter (CNTVCT_EL0) at CNTFRQ_EL0. */
u64 now_ns(void);
/* SCHEDOP_poll on `n` ports with an absolute timeout (0: none); returns the hypercall's result. */
long poll_ports(const u32 *ports, u32 n, u64 timeout);
/* vCPU `id`'s MPIDR affinity, as Xen lays them out: Aff1 = id / 16, Aff0 = id % 16. */
static inline u64 vcpu_mpidr(u32 id) { return (u64)(id / 16) << 8 | id % 16; }
/* PSCI CPU_ON of vCPU `id` (by its MPIDR affinity): it runs fn(arg) on its own stack, with
 * our vector table, then turns itself off (PSCI CPU_OFF). Returns the PSCI result. */
long vcpu_start(u32 id, void (*fn)(u64), u64 arg, void *stack_top);
/* PSCI AFFINITY_INFO of vCPU `id`: 0 on, 1 off. */
long vcpu_affinity(u32 id);

/* ---- vcpu_op runstate areas (vcpu.h) and vm_assist (xen.h) ---- */
#define __HYPERVISOR_vm_assist 21
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_runstate_update_flag 5
#define VCPUOP_register_runstate_memory_area 5
#define RUNSTATE_running 0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked 2
#define RUNSTATE_offline 3
#define XEN_RUNSTATE_UPDATE (1ul << 63)
struct vcpu_runstate_info { int state; u64 state_entry_time; u64 time[4]; };
