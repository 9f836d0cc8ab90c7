// A FER classifier: a backbone from the registry, global average pooling, and a head
// (optional hidden layers with dropout, then a linear layer to the 8 emotions). Or an ensemble
// of such classifiers (`ferkit ensemble`): its logits are the log of its members' mean class
// probability, so that softmax of them is that mean and every consumer of logits (evaluation,
// TTA, prediction, serving, distillation) takes an ensemble as it takes one model.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include "ferkit/models/backbone.h"
#include "ferkit/models/model_spec.h"
#include "ferkit/util/error.h"

namespace ferkit {

class FerModelImpl : public torch::nn::Module {
 public:
  explicit FerModelImpl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);  // (B, C, H, W) -> logits (B, num_classes)
  // Puts the model in training or inference mode; BatchNorm layers of frozen stages stay in
  // inference mode under bn_policy "frozen".
  void train(bool on = true) override;
  // (Re)applies freezing: stages up to and including `stage` get no gradients ("" unfreezes all).
  void freeze_until(const std::string& stage);
  // The backbone stage of a parameter named as in named_parameters() ("backbone.layer2..." ->
  // "layer2"), or "head".
  std::string stage_of(const std::string& parameter_name) const;
  bool is_frozen(const std::string& stage) const;
  const ModelSpec& spec() const { return spec_; }
  std::shared_ptr<Backbone> backbone() const {
    FERKIT_CHECK(backbone_ != nullptr, "an ensemble has no single backbone (it cannot be trained or fine-tuned as one model)");
    return backbone_;
  }
  // An ensemble's members, in order (empty for a single model).
  std::vector<FerModelImpl*> members() const;
  // The name of the head's last linear layer ("head.0"), where a pretrained classifier maps.
  std::string final_layer_name() const {
    FERKIT_CHECK(!head_.is_empty(), "an ensemble has no single head");
    return "head." + std::to_string(head_->size() - 1);
  }
  // A constant added to the logits (post-hoc logit adjustment: -tau * log prior). Part of the
  // saved weights, so evaluation, prediction, serving and export all apply it. Zero by default.
  void set_logit_adjustment(const torch::Tensor& offsets);
  torch::Tensor logit_adjustment() const { return logit_adjustment_; }
  // Calibration: the logits (adjustment included) divided by T; kept in the spec (so in bundles).
  void set_temperature(double t);

 private:
  ModelSpec spec_;
  std::shared_ptr<Backbone> backbone_;
  std::vector<std::shared_ptr<torch::nn::Module>> frozen_norms_;  // BatchNorm modules of frozen stages
  int frozen_stages_ = 0;                                         // stage_names()[0 .. n) are frozen
  torch::nn::Sequential head_{nullptr};
  torch::nn::ModuleList members_{nullptr};  // an ensemble's models (then no backbone or head)
  torch::Tensor logit_adjustment_;
};
TORCH_MODULE(FerModel);

}  // namespace ferkit
