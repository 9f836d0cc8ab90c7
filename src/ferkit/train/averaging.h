// Weight averaging: an exponential moving average (EMA) of the weights, updated every step, and
// stochastic weight averaging (SWA, Izmailov et al. 2018), an equal average of the weights at the
// end of each of the last epochs. Both smooth out the step-to-step noise that makes validation
// figures jump; both keep their own copy of the model, evaluated beside the raw weights.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ferkit/models/model.h"

namespace ferkit {

// A model of the same spec with the same parameters and buffers.
FerModel clone_model(FerModel& source);

class WeightEma {
 public:
  WeightEma(FerModel& source, double decay);
  // ema = d * ema + (1 - d) * weights, d = min(decay, (1 + n) / (10 + n)) after n updates (the
  // warm-up keeps the early average from being dominated by the random initial weights).
  // BatchNorm running statistics are averaged the same way; integer buffers are copied.
  void update(FerModel& source);
  FerModel& model() { return ema_; }
  int64_t updates() const { return updates_; }
  void set_updates(int64_t n) { updates_ = n; }

 private:
  FerModel ema_;
  double decay_;
  int64_t updates_ = 0;
};

class WeightAverage {
 public:
  explicit WeightAverage(FerModel& source);
  void add(FerModel& source);  // running equal-weight mean of the parameters
  FerModel& model() { return avg_; }
  int64_t count() const { return count_; }
  void set_count(int64_t n) { count_ = n; }

 private:
  FerModel avg_;
  int64_t count_ = 0;
};

// Lookahead (Zhang et al. 2019): slow weights that every k optimizer steps move a fraction alpha
// of the way towards the trained (fast) weights, which then restart from them. airbench pairs it
// with the EMA. The trainer also syncs at the end of each epoch and restarts at the next, so the
// slow weights equal the model's at every checkpoint and need no copy of their own there.
class Lookahead {
 public:
  Lookahead(int64_t k, double alpha);
  void restart(FerModel& source);  // slow = the model's parameters
  void step(FerModel& source);     // after an optimizer step: syncs every k-th one
  void sync(FerModel& source);     // slow += alpha (fast - slow); fast = slow
 private:
  std::vector<at::Tensor> slow_;
  int64_t k_, steps_ = 0;
  double alpha_;
};

// Recomputes the running statistics of the BatchNorm layers that train (those of frozen stages
// keep theirs) as an exact average over the batches that `next_batch` yields until it returns
// nullopt: averaged weights need statistics of their own.
void recompute_batchnorm(FerModel& model, const std::function<std::optional<at::Tensor>()>& next_batch);

}  // namespace ferkit
