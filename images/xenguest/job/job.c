/* A fixed job for the fairness test: JOB_STEPS steps of a checked computation, never a
 * hypercall or a wait in between, then its result and a shutdown. How long it takes, in
 * the machine's time and the host's, is what a neighbour domain must not change. */
#include "../xen.h"
#define JOB_STEPS 20000000ul

int main(u64 dtb) {
    print("job: started\n");
    volatile u64 s = 1;
    for (u64 i = 1; i <= JOB_STEPS; i++) s = s * 6364136223846793005ul + i;
    print("job: done "); print_hex(s); print("\n");
    return 0;
}
