// The trainer's DataParallel (train/data_parallel.h) on c10d: a Communicator (TCPStore
// rendezvous, Gloo or NCCL) and DDP-style bucketed gradient averaging (GradientSync).
#pragma once
#include <memory>

#include "ferkit/dist/env.h"
#include "ferkit/train/config.h"
#include "ferkit/train/data_parallel.h"

namespace ferkit {

// Joins the workers described by `env` (torchrun's variables) with the config's backend
// (auto: gloo on the CPU, nccl on CUDA) and timeout. Returns nullptr for a single process.
// Throws Error when batch_size does not split evenly among the workers or the rendezvous fails.
std::unique_ptr<DataParallel> connect_workers(const DistEnv& env, const TrainConfig& config);

}  // namespace ferkit
