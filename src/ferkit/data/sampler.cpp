#include "ferkit/data/sampler.h"

#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <random>

#include "ferkit/data/classes.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {

std::mt19937_64 epoch_rng(int64_t epoch, uint64_t seed) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch),
                    0x5a3e11u};
  return std::mt19937_64(seq);
}

class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(int64_t n) : n_(n) {}
  std::vector<int64_t> epoch_order(int64_t, uint64_t) const override {
    std::vector<int64_t> order(n_);
    std::iota(order.begin(), order.end(), 0);
    return order;
  }

 private:
  int64_t n_;
};

class UniformSampler : public Sampler {
 public:
  explicit UniformSampler(int64_t n) : n_(n) {}
  std::vector<int64_t> epoch_order(int64_t epoch, uint64_t seed) const override {
    std::vector<int64_t> order(n_);
    std::iota(order.begin(), order.end(), 0);
    auto rng = epoch_rng(epoch, seed);
    std::shuffle(order.begin(), order.end(), rng);
    return order;
  }

 private:
  int64_t n_;
};

// Draws an epoch of the same length as the data set: a class by weight, then a member of it
// uniformly (with replacement), as in class-aware sampling (Shen et al. 2016).
class ClassWeightedSampler : public Sampler {
 public:
  ClassWeightedSampler(const torch::Tensor& labels, double power) {
    auto l = labels.accessor<int64_t, 1>();
    members_.resize(kNumEmotions);
    for (int64_t i = 0; i < l.size(0); ++i) members_[l[i]].push_back(i);
    for (const auto& m : members_) weights_.push_back(m.empty() ? 0.0 : std::pow(static_cast<double>(m.size()), power));
    n_ = l.size(0);
  }
  std::vector<int64_t> epoch_order(int64_t epoch, uint64_t seed) const override {
    auto rng = epoch_rng(epoch, seed);
    std::discrete_distribution<int> pick_class(weights_.begin(), weights_.end());
    std::vector<int64_t> order(n_);
    for (auto& o : order) {
      const auto& m = members_[pick_class(rng)];
      o = m[std::uniform_int_distribution<size_t>(0, m.size() - 1)(rng)];
    }
    return order;
  }

 private:
  std::vector<std::vector<int64_t>> members_;
  std::vector<double> weights_;
  int64_t n_ = 0;
};

using Factory = std::function<std::unique_ptr<Sampler>(const torch::Tensor&)>;
const std::map<std::string, Factory>& sampler_registry() {
  static const std::map<std::string, Factory> r = {
      {"sequential", [](const torch::Tensor& l) { return std::make_unique<SequentialSampler>(l.size(0)); }},
      {"uniform", [](const torch::Tensor& l) { return std::make_unique<UniformSampler>(l.size(0)); }},
      {"class-balanced", [](const torch::Tensor& l) { return std::make_unique<ClassWeightedSampler>(l, 0.0); }},
      {"sqrt", [](const torch::Tensor& l) { return std::make_unique<ClassWeightedSampler>(l, 0.5); }},
  };
  return r;
}

}  // namespace

std::vector<std::string> sampler_names() { return registry_names(sampler_registry()); }

std::vector<int64_t> shard_order(const std::vector<int64_t>& order, int rank, int world) {
  FERKIT_CHECK(world >= 1 && rank >= 0 && rank < world, "shard_order: rank must be in [0, world)");
  if (world == 1 || order.empty()) return order;
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t padded = (n + world - 1) / world * world;
  std::vector<int64_t> shard;
  shard.reserve(padded / world);
  for (int64_t i = rank; i < padded; i += world) shard.push_back(order[i % n]);
  return shard;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const torch::Tensor& labels) {
  const Factory& factory = registry_lookup(sampler_registry(), name, "sampler");
  FERKIT_CHECK(labels.size(0) > 0, "sampler: the split has no labelled images");
  return factory(labels);
}

}  // namespace ferkit
