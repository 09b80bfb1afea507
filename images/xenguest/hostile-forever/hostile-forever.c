/* The hostile domU storming without end (its rounds never run out): the fairness test's
 * neighbour, for as long as the fixed job next to it takes. */
#define HOSTILE_ROUNDS 1000000000
#include "../hostile/hostile.c"
