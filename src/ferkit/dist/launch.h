// `ferkit launch`: starts N local workers with the torchrun environment, as torchrun
// --standalone does for PyTorch, and supervises them.
#pragma once
#include <string>
#include <vector>

#include "ferkit/util/fs.h"  // self_executable

namespace ferkit {

struct LaunchOptions {
  int nproc = 2;                      // workers on this machine
  int nnodes = 1, node_rank = 0;      // machines, and this one's index (RANK = node_rank * nproc + local rank)
  std::string master_addr = "127.0.0.1";
  int master_port = 0;                // 0: a free port of this machine (single machine only)
  int threads_per_worker = 0;         // 0: the available cores divided by nproc (at least 1)
};

// Runs `argv` (argv[0] is the program) nproc times with RANK, LOCAL_RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT and OMP_NUM_THREADS set. When a worker fails (non-zero exit or a
// signal), the others get SIGTERM, then SIGKILL after 10 s. SIGINT and SIGTERM to the launcher
// are passed on to the workers. Returns 0 when all succeed, else the first failure's exit code
// (128 + signal for a killed worker).
int launch_workers(const std::vector<std::string>& argv, const LaunchOptions& options);

// A TCP port of this machine that nothing listens on now.
int free_port();

}  // namespace ferkit
