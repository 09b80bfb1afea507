/* The few Xen ABI pieces the bare-metal test domUs use (numbers from Xen's public
 * headers: xen.h, sched.h, event_channel.h, grant_table.h, memory.h). */
#pragma once
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef long s64;

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
