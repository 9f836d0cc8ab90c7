#include "ferkit/train/optimizer.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {

using GroupOptions = std::function<std::unique_ptr<torch::optim::OptimizerOptions>(const OptimizerConfig&, double lr, double wd)>;
using Factory = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::optim::OptimizerParamGroup>, const OptimizerConfig&)>;

struct OptimizerKind {
  GroupOptions options;
  Factory make;
};

const std::map<std::string, OptimizerKind>& optimizer_registry() {
  static const std::map<std::string, OptimizerKind> r = {
      {"sgd",
       {[](const OptimizerConfig& c, double lr, double wd) -> std::unique_ptr<torch::optim::OptimizerOptions> {
          return std::make_unique<torch::optim::SGDOptions>(
              torch::optim::SGDOptions(lr).momentum(c.momentum).weight_decay(wd).nesterov(c.momentum > 0));
        },
        [](std::vector<torch::optim::OptimizerParamGroup> g, const OptimizerConfig& c) -> std::unique_ptr<torch::optim::Optimizer> {
          return std::make_unique<torch::optim::SGD>(std::move(g), torch::optim::SGDOptions(c.lr));
        }}},
      {"adam",
       {[](const OptimizerConfig& c, double lr, double wd) -> std::unique_ptr<torch::optim::OptimizerOptions> {
          return std::make_unique<torch::optim::AdamOptions>(
              torch::optim::AdamOptions(lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(wd));
        },
        [](std::vector<torch::optim::OptimizerParamGroup> g, const OptimizerConfig& c) -> std::unique_ptr<torch::optim::Optimizer> {
          return std::make_unique<torch::optim::Adam>(std::move(g), torch::optim::AdamOptions(c.lr));
        }}},
      {"adamw",
       {[](const OptimizerConfig& c, double lr, double wd) -> std::unique_ptr<torch::optim::OptimizerOptions> {
          return std::make_unique<torch::optim::AdamWOptions>(
              torch::optim::AdamWOptions(lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(wd));
        },
        [](std::vector<torch::optim::OptimizerParamGroup> g, const OptimizerConfig& c) -> std::unique_ptr<torch::optim::Optimizer> {
          return std::make_unique<torch::optim::AdamW>(std::move(g), torch::optim::AdamWOptions(c.lr));
        }}},
  };
  return r;
}

}  // namespace

std::vector<std::string> optimizer_names() { return registry_names(optimizer_registry()); }

void validate_optimizer(const OptimizerConfig& c) {
  registry_lookup(optimizer_registry(), c.name, "optimizer");
  FERKIT_CHECK(c.lr > 0, "lr must be positive");
  FERKIT_CHECK(c.momentum >= 0 && c.momentum < 1, "momentum must be in [0, 1)");
  FERKIT_CHECK(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, "beta1 and beta2 must be in [0, 1)");
  FERKIT_CHECK(c.weight_decay >= 0, "weight_decay must be >= 0");
  FERKIT_CHECK(c.backbone_lr_mult >= 0 && c.layer_decay > 0, "backbone_lr_mult must be >= 0 and layer_decay > 0");
  FERKIT_CHECK(c.norm_bias_lr_mult > 0, "norm_bias_lr_mult must be > 0");
}

void TrainOptimizer::set_lr(size_t group, double lr) { optimizer->param_groups()[group].options().set_lr(lr); }

TrainOptimizer make_optimizer(FerModel& model, const OptimizerConfig& c) {
  validate_optimizer(c);
  const OptimizerKind& kind = registry_lookup(optimizer_registry(), c.name, "optimizer");
  const auto stages = model->backbone()->stage_names();
  // BatchNorm biases get their own groups only when their rate differs (airbench's larger
  // BatchNorm-bias rate): the groups, and so a checkpoint's optimizer state, stay as they were otherwise.
  std::set<const void*> norm_biases;
  if (c.norm_bias_lr_mult != 1.0)
    for (const auto& m : model->modules(false))
      if (auto* bn = m->as<torch::nn::BatchNorm2d>())
        if (bn->bias.defined()) norm_biases.insert(bn->bias.unsafeGetTensorImpl());
  std::map<std::tuple<std::string, bool, bool>, std::vector<torch::Tensor>> by_group;
  for (const auto& p : model->named_parameters())
    by_group[{model->stage_of(p.key()), p.value().dim() > 1, norm_biases.count(p.value().unsafeGetTensorImpl()) > 0}].push_back(p.value());
  TrainOptimizer out;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (auto& [key, params] : by_group) {
    const auto& [stage, decay, norm_bias] = key;
    double mult = 1.0;
    if (stage != "head") {
      const auto pos = std::find(stages.begin(), stages.end(), stage) - stages.begin();
      mult = c.backbone_lr_mult * std::pow(c.layer_decay, static_cast<double>(stages.size()) - 1 - pos);
    }
    if (norm_bias) mult *= c.norm_bias_lr_mult;
    groups.emplace_back(params, kind.options(c, c.lr * mult, decay ? c.weight_decay : 0.0));
    out.groups.push_back({stage, mult, decay});
  }
  out.optimizer = kind.make(std::move(groups), c);
  return out;
}

}  // namespace ferkit
