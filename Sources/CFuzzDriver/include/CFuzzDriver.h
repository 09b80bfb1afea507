// libFuzzer's entry for programs that have a main of their own (compiler-rt's
// FuzzerInterface.h): hvsim-fuzz built with -sanitize=fuzzer calls it from its main.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
