// Only the header matters: the function is libFuzzer's, linked in by -sanitize=fuzzer.
#include "CFuzzDriver.h"
