/* A console-input test domU: reads its vpl011 (polling the receive FIFO), prints each
 * byte back as "got X", and powers off after 'q'. Two of them show which domain the
 * hypervisor console's input goes to (Ctrl-A three times switches). */
#include "../xen.h"

#define UART_DR ((volatile u32 *)0x22000000)
#define UART_FR ((volatile u32 *)0x22000018)
#define UART_CR ((volatile u32 *)0x22000030)

int main(u64 dtb) {
    *UART_CR = (1 << 9) | (1 << 8) | 1;     /* RXE, TXE, UARTEN: as Linux's pl011 driver */
    print("xenguest echo: ready\n");
    for (;;) {
        /* Every FR read traps to the hypervisor: look only now and then. */
        while (*UART_FR & (1 << 4)) {       /* RXFE */
            for (u64 i = 0; i < 100000; i++) __asm__ volatile("" ::: "memory");
        }
        char c = (char)(*UART_DR & 0xff);
        if (c == 'q') break;
        char line[] = "got ?\n";
        line[4] = (c >= 0x20 && c < 0x7f) ? c : '.';
        print(line);
    }
    print("xenguest echo: bye\n");
    return 0;
}
