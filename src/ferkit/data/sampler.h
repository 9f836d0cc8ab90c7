// Samplers: the order (and, for re-balancing ones, the choice) of the images of an epoch,
// chosen by name. The order is a pure function of (seed, epoch), so a resumed run draws the
// same epochs as an uninterrupted one.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

namespace ferkit {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Indices into the labelled split, one epoch's worth.
  virtual std::vector<int64_t> epoch_order(int64_t epoch, uint64_t seed) const = 0;
};

// "sequential" (evaluation), "uniform" (shuffled once per epoch), "class-balanced" (each class
// equally likely), "sqrt" (class probability proportional to the square root of its count).
// labels: (M) int64. Throws Error for an unknown name.
std::unique_ptr<Sampler> make_sampler(const std::string& name, const at::Tensor& labels);
std::vector<std::string> sampler_names();

// One worker's share of an epoch's order, as PyTorch's DistributedSampler deals it: the order is
// padded by repeating its start until its length divides by `world`, then worker `rank` takes
// positions rank, rank + world, ... Every worker gets the same count, so all run the same number
// of steps; the shards of an epoch cover the order once (plus the padding, at most world - 1).
std::vector<int64_t> shard_order(const std::vector<int64_t>& order, int rank, int world);

}  // namespace ferkit
