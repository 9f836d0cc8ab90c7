// One libFuzzer harness per target of fuzz_targets.h, chosen at build time (FERKIT_FUZZ_TARGET).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return ferkit::fuzz::FERKIT_FUZZ_TARGET(data, size); }
