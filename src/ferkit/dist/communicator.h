// The collective operations of data-parallel training, on c10d (PyTorch's distributed engine):
// rendezvous through a TCPStore, then a Gloo process group on CPU (NCCL on CUDA devices when the
// LibTorch at hand was built with it). The header keeps c10d out of its includers.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ferkit/dist/env.h"

namespace ferkit {

// A collective started and not yet finished.
class AsyncOp {
 public:
  virtual ~AsyncOp() = default;
  virtual void wait() = 0;  // throws Error when a peer failed or the timeout passed
};

// The backends by name (gloo, nccl), as --dist-backend takes them besides "auto".
std::vector<std::string> dist_backend_names();

class Communicator {
 public:
  // Rendezvous: rank 0 serves a TCPStore at MASTER_ADDR:MASTER_PORT; every rank waits at most
  // `timeout` for the others, and every later collective fails after `timeout` instead of
  // hanging. backend: "gloo" or "nccl" (CUDA tensors; needs a LibTorch built with NCCL).
  Communicator(const DistEnv& env, std::chrono::milliseconds timeout, const std::string& backend = "gloo");
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  const std::string& backend() const { return backend_; }

  // Every tensor takes root's values (coalesced into one message per dtype).
  void broadcast(const std::vector<at::Tensor>& tensors, int root = 0);
  void allreduce_sum(const at::Tensor& t);  // in place
  std::unique_ptr<AsyncOp> allreduce_sum_async(const at::Tensor& t);
  std::vector<double> allreduce_sum(std::vector<double> values);
  void barrier();
  // Rows of a split dealt out as rank r, r + W, r + 2W, ... (shard_rows): each rank passes its
  // rows' results; every rank gets all `total` rows back in the split's order.
  at::Tensor gather_interleaved(const at::Tensor& local, int64_t total);

 private:
  struct Impl;
  DistEnv env_;
  std::string backend_;
  std::unique_ptr<Impl> impl_;
};

// The rows of [0, n) that rank r of w evaluates: r, r + w, r + 2w, ...
at::Tensor shard_rows(int64_t n, int rank, int world);

}  // namespace ferkit
