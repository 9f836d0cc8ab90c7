// What the trainer needs from a data-parallel engine, as an interface: the trainer stays below
// dist/ in the layers (dist/ implements it on c10d: dist/data_parallel_c10d.h), and a
// single-process run passes none.
//
// The contract (every worker calls run_training with its own DataParallel): batch_size is the
// global batch, each worker takes batch_size / world of it from its shard of the epoch
// (shard_order); rank 0's initial weights are broadcast, gradients averaged before clipping and
// the optimizer step; BatchNorm statistics are per worker during the epoch and rank 0's are
// broadcast before each validation; validation is sharded and gathered so that every worker takes
// the same decisions (best epoch, plateau, early stop); rank 0 alone writes the run folder.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ferkit {

class DataParallel {
 public:
  virtual ~DataParallel() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual int local_rank() const = 0;    // the worker's index on its machine (its GPU)
  virtual std::string describe() const = 0;  // for the log: backend and rendezvous
  // Every tensor takes rank 0's values.
  virtual void broadcast(const std::vector<at::Tensor>& tensors) = 0;
  virtual std::vector<double> allreduce_sum(std::vector<double> values) = 0;
  // Rows r, r + W, ... of a split evaluated here; every rank gets all `total` rows back in order.
  virtual at::Tensor gather_interleaved(const at::Tensor& local, int64_t total) = 0;

  // Gradient averaging over `params` (the trainable parameters, the same list on every worker);
  // called again whenever that set changes (freezing, thawing).
  virtual void track_gradients(std::vector<at::Tensor> params) = 0;
  // The next backward() is the last before an optimizer step: its gradients are averaged.
  virtual void arm() = 0;
  // After that backward(): waits until every .grad holds the mean over workers.
  virtual void finish() = 0;
  virtual double last_wait_seconds() const = 0;  // what finish() waited
  virtual int64_t gradient_buckets() const = 0;
  virtual int64_t gradient_bytes() const = 0;
  virtual void stop_tracking() = 0;
};

}  // namespace ferkit
