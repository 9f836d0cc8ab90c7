#include "ferkit/dist/env.h"

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "ferkit/util/error.h"

namespace ferkit {
namespace {

const char* get(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int int_var(const char* name, int lo, int hi) {
  const char* v = get(name);
  FERKIT_CHECK(v != nullptr, fmt::format("distributed training: {} is not set (WORLD_SIZE > 1 needs RANK, WORLD_SIZE, "
                                         "MASTER_ADDR and MASTER_PORT, as torchrun or `ferkit launch` set them)", name));
  size_t used = 0;
  long x = 0;
  try {
    x = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  FERKIT_CHECK(used == std::string(v).size() && x >= lo && x <= hi,
               fmt::format("distributed training: {}={} is not an integer in [{}, {}]", name, v, lo, hi));
  return static_cast<int>(x);
}

}  // namespace

DistEnv dist_env_from_environment() {
  DistEnv e;
  if (!get("WORLD_SIZE")) return e;
  e.world_size = int_var("WORLD_SIZE", 1, 1 << 16);
  if (e.world_size == 1) return e;
  e.rank = int_var("RANK", 0, e.world_size - 1);
  e.local_rank = get("LOCAL_RANK") ? int_var("LOCAL_RANK", 0, e.world_size - 1) : e.rank;
  const char* addr = get("MASTER_ADDR");
  FERKIT_CHECK(addr != nullptr, "distributed training: MASTER_ADDR is not set");
  e.master_addr = addr;
  e.master_port = int_var("MASTER_PORT", 1, 65535);
  return e;
}

}  // namespace ferkit
