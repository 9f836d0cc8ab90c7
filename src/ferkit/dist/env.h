// The torchrun environment of a worker: who it is and where the rendezvous is.
#pragma once
#include <string>

namespace ferkit {

struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool active() const { return world_size > 1; }
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT as torchrun sets them. Without
// WORLD_SIZE (or with 1) the result is a single process. Throws Error naming the variable when one
// is malformed or missing while WORLD_SIZE > 1.
DistEnv dist_env_from_environment();

}  // namespace ferkit
