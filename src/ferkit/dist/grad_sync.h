// Gradient averaging across workers, as PyTorch's DistributedDataParallel does it: parameters in
// buckets of about 25 MB (in reverse order, the order backward produces them), each bucket's
// allreduce started from a gradient hook as soon as its last gradient exists, so communication
// overlaps the rest of the backward pass; finish() waits and writes the averages into .grad.
#pragma once
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ferkit {

class Communicator;

class GradientSync {
 public:
  // params: the trainable parameters (requires_grad), the same list in the same order on every
  // worker. Build a new GradientSync when that set changes (freezing, thawing).
  GradientSync(Communicator& comm, std::vector<at::Tensor> params, int64_t bucket_bytes = 25 << 20);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // The next backward() is the last before an optimizer step: its hooks start the allreduces.
  // (Earlier micro-batches of gradient accumulation only accumulate locally.)
  void arm();
  // After that backward(): starts buckets with gradients that never came (parameters unused in
  // this forward count as zero), waits for all, and sets each .grad to the mean over workers.
  void finish();

  int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }
  int64_t bytes() const;
  double last_wait_seconds() const { return last_wait_seconds_; }  // time finish() spent waiting

 private:
  struct Bucket;
  void on_grad(size_t param, const at::Tensor& grad);
  void launch(Bucket& b);

  Communicator& comm_;
  std::vector<at::Tensor> params_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<std::pair<size_t, int64_t>> where_;  // param -> (bucket, offset)
  std::vector<unsigned> hooks_;
  bool armed_ = false;
  double last_wait_seconds_ = 0.0;
};

}  // namespace ferkit
