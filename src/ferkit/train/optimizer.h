// Optimizers by name (sgd, adam, adamw) over parameter groups: the head and each backbone stage
// with its own learning-rate multiplier (discriminative learning rates), each split in two
// because weight decay applies to the weights of convolutions and linear layers only (decaying
// BatchNorm scales and biases only fights the normalisation).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "ferkit/models/model.h"
#include "ferkit/train/config.h"

namespace ferkit {

struct ParamGroupInfo {
  std::string stage;  // "head" or a backbone stage
  double lr_mult = 1.0;
  bool decay = true;
};

struct TrainOptimizer {
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<ParamGroupInfo> groups;  // one per optimizer param group, same order
  void set_lr(size_t group, double lr);
};

// Every parameter of the model is in a group, frozen ones too: a frozen parameter has no gradient
// and is skipped by every step, and a later unfreeze (--head-epochs) needs no new optimizer.
TrainOptimizer make_optimizer(FerModel& model, const OptimizerConfig& config);

}  // namespace ferkit
