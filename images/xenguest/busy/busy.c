/* A CPU-bound domU for the scheduler tests: spins forever, never blocks, so the time it
 * gets is what the scheduler gives it (weights, caps). Prints once so tests see it run. */
#include "../xen.h"

int main(u64 dtb) {
    print("busy: spinning\n");
    volatile u64 n = 0;
    for (;;) n++;
    return 0;
}
