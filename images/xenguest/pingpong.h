/* The rendezvous of the ping and pong domUs (dom0less: no xenstore). Domain ids follow
 * the configuration order: ping is domain 1, pong domain 2. Pong grants one page of its
 * RAM to ping as grant ref PP_REF and allocates an unbound port for ping, its first
 * port (1); ping binds to (2, 1) and maps the grant at PP_MAP. */
#pragma once
#include "xen.h"

#define PING_DOMID 1
#define PONG_DOMID 2
#define PONG_PORT 1
#define PP_REF 8
#define PP_MAP (GUEST_MAGIC_BASE + 0x10000)   /* unused guest physical space in ping */
#define PP_ROUNDS 1000
#define PP_WORDS 64
#define PP_DONE (~0ul)

/* The shared page: ping writes req and data, pong checks, transforms and answers. */
struct pp_page {
    volatile u64 req;        /* round number ping asks for (PP_DONE: ping is finished) */
    volatile u64 resp;       /* round number pong answered */
    u64 data[PP_WORDS];
};

static inline u64 pp_pattern(u64 round, u64 i) {
    return (round * 0x9e3779b97f4a7c15ul) ^ (i * 0x0101010101010101ul) ^ (i << 56);
}
static inline u64 pp_transform(u64 x, u64 round) { return (x ^ 0x5a5a5a5a5a5a5a5aul) + round; }
