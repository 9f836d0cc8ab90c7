#include "ferkit/models/model.h"

#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit {

FerModelImpl::FerModelImpl(const ModelSpec& spec) : spec_(spec) {
  if (spec.is_ensemble()) {
    FERKIT_CHECK(spec.cut_after.empty() && spec.freeze_until.empty(), "an ensemble is not cut or frozen, its members are");
    members_ = register_module("members", torch::nn::ModuleList());
    for (const auto& m : spec.members) {
      FERKIT_CHECK(m.num_classes == spec.num_classes && m.backbone.in_channels == spec.backbone.in_channels,
                   "an ensemble's members must take the same input and give the same classes");
      members_->push_back(FerModel(m));
    }
    logit_adjustment_ = register_buffer("logit_adjustment", torch::zeros({spec.num_classes}));
    return;
  }
  backbone_ = register_module("backbone", make_backbone(spec.backbone));
  if (!spec.cut_after.empty()) backbone_->cut_after(spec.cut_after);
  torch::nn::Sequential head;
  int64_t in = backbone_->num_features();
  for (int64_t h : spec.head.hidden) {
    if (spec.head.dropout > 0) head->push_back(torch::nn::Dropout(spec.head.dropout));
    head->push_back(torch::nn::Linear(in, h));
    head->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    in = h;
  }
  if (spec.head.dropout > 0) head->push_back(torch::nn::Dropout(spec.head.dropout));
  head->push_back(torch::nn::Linear(in, spec.num_classes));
  head_ = register_module("head", head);
  logit_adjustment_ = register_buffer("logit_adjustment", torch::zeros({spec.num_classes}));
  bn_policy_keeps_statistics(spec.bn_policy);  // Error listing the policies for an unknown one
  if (!spec.freeze_until.empty()) freeze_until(spec.freeze_until);
}

std::string FerModelImpl::stage_of(const std::string& parameter_name) const {
  if (!backbone_) return "head";
  const std::string prefix = "backbone.";
  if (parameter_name.rfind(prefix, 0) != 0) return "head";
  return backbone_->stage_of(parameter_name.substr(prefix.size()));
}

bool FerModelImpl::is_frozen(const std::string& stage) const {
  if (!backbone_) return false;
  const auto names = backbone_->stage_names();
  const auto it = std::find(names.begin(), names.end(), stage);
  return it != names.end() && (it - names.begin()) < frozen_stages_;
}

void FerModelImpl::freeze_until(const std::string& stage) {
  FERKIT_CHECK(backbone_ != nullptr || stage.empty(), "an ensemble cannot be frozen as one model");
  if (!backbone_) return;
  const auto names = backbone_->stage_names();
  if (stage.empty()) {
    frozen_stages_ = 0;
  } else {
    const auto it = std::find(names.begin(), names.end(), stage);
    if (it == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw Error("backbone " + spec_.backbone.name + " has no stage '" + stage + "' to freeze until (stages: " + known + ")");
    }
    frozen_stages_ = static_cast<int>(it - names.begin()) + 1;
  }
  spec_.freeze_until = stage;
  for (auto& p : named_parameters()) p.value().set_requires_grad(!is_frozen(stage_of(p.key())));
  frozen_norms_.clear();
  for (const auto& m : backbone_->named_modules("", false)) {
    const bool is_norm = m.value()->as<torch::nn::BatchNorm2d>() != nullptr;
    if (is_norm && is_frozen(backbone_->stage_of(m.key() + ".weight"))) frozen_norms_.push_back(m.value());
  }
  train(is_training());
}

void FerModelImpl::train(bool on) {
  torch::nn::Module::train(on);
  // A frozen stage must not drift: its BatchNorm keeps using (and keeping) the running
  // statistics it came with, even while the rest of the model trains.
  if (on && bn_policy_keeps_statistics(spec_.bn_policy))
    for (auto& m : frozen_norms_) m->eval();
}

std::vector<FerModelImpl*> FerModelImpl::members() const {
  std::vector<FerModelImpl*> out;
  if (members_)
    for (const auto& m : *members_) out.push_back(m->as<FerModelImpl>());
  return out;
}

torch::Tensor FerModelImpl::forward(const torch::Tensor& x) {
  if (members_) {
    // log(mean_i softmax(z_i)) = logsumexp_i(log_softmax(z_i)) - log(n): no underflow to log(0)
    std::vector<torch::Tensor> log_probs;
    for (auto* m : members()) log_probs.push_back(torch::log_softmax(m->forward(x), 1));
    return torch::logsumexp(torch::stack(log_probs), 0) - std::log(static_cast<double>(log_probs.size())) + logit_adjustment_;
  }
  torch::Tensor f = backbone_->forward_features(x);  // (B, F, h, w)
  f = f.mean({2, 3});                                 // global average pooling -> (B, F)
  const torch::Tensor logits = head_->forward(f) + logit_adjustment_;
  return spec_.temperature == 1.0 ? logits : logits / spec_.temperature;
}

void FerModelImpl::set_temperature(double t) {
  FERKIT_CHECK(!members_, "an ensemble is not calibrated as one model (its members keep their own temperatures)");
  FERKIT_CHECK(std::isfinite(t) && t >= 0.05 && t <= 20, "temperature must be in [0.05, 20]");
  spec_.temperature = t;
}

void FerModelImpl::set_logit_adjustment(const torch::Tensor& offsets) {
  torch::NoGradGuard no_grad;
  logit_adjustment_.copy_(offsets.reshape({-1}).to(logit_adjustment_.dtype()));
}

}  // namespace ferkit
