#include "ferkit/util/allocator.h"

#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ferkit {

bool tune_allocator() {
#if defined(__GLIBC__)
  if (std::getenv("GLIBC_TUNABLES")) return false;
  if (const char* m = std::getenv("FERKIT_MALLOC"); m && std::strcmp(m, "default") == 0) return false;
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace ferkit
