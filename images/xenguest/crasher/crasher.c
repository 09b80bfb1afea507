/* A domU that does something fatal: it points its exception vectors at memory it does
 * not have, then touches an address outside its RAM. Every injected abort faults again
 * at the vector, so the hypervisor must crash the domain rather than loop forever. */
#include "../xen.h"

int main(u64 dtb) {
    print("crasher: vectors into the void\n");
    __asm__ volatile("msr vbar_el1, %0; isb" :: "r"(0x10000000ul));
    *(volatile u64 *)0x20000000ul = 1;
    print("crasher: still alive?\n");
    return 0;
}
