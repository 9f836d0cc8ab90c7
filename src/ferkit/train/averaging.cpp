#include "ferkit/train/averaging.h"

#include <algorithm>
#include <vector>

#include <torch/torch.h>

namespace ferkit {

namespace {
void copy_all(FerModel& from, FerModel& to) {
  torch::NoGradGuard no_grad;
  auto src_p = from->parameters(), dst_p = to->parameters();
  for (size_t i = 0; i < src_p.size(); ++i) dst_p[i].copy_(src_p[i]);
  auto src_b = from->buffers(), dst_b = to->buffers();
  for (size_t i = 0; i < src_b.size(); ++i) dst_b[i].copy_(src_b[i]);
}
}  // namespace

FerModel clone_model(FerModel& source) {
  FerModel copy(source->spec());
  copy_all(source, copy);
  for (auto& p : copy->parameters()) p.set_requires_grad(false);  // averages are never trained
  copy->eval();
  return copy;
}

WeightEma::WeightEma(FerModel& source, double decay) : ema_(clone_model(source)), decay_(decay) {}

void WeightEma::update(FerModel& source) {
  torch::NoGradGuard no_grad;
  const double d = std::min(decay_, (1.0 + updates_) / (10.0 + updates_));
  auto src_p = source->parameters(), dst_p = ema_->parameters();
  for (size_t i = 0; i < src_p.size(); ++i) dst_p[i].mul_(d).add_(src_p[i], 1.0 - d);
  // BatchNorm statistics are averaged like the weights (as timm's ModelEmaV2 does): statistics
  // copied from the raw model describe the raw weights, not the averaged ones, and measured on
  // FER+ that mismatch made the EMA's validation accuracy swing by up to 9 points between epochs.
  auto src_b = source->buffers(), dst_b = ema_->buffers();
  for (size_t i = 0; i < src_b.size(); ++i) {
    if (dst_b[i].is_floating_point()) dst_b[i].mul_(d).add_(src_b[i], 1.0 - d);
    else dst_b[i].copy_(src_b[i]);
  }
  ++updates_;
}

WeightAverage::WeightAverage(FerModel& source) : avg_(clone_model(source)) {}

void WeightAverage::add(FerModel& source) {
  torch::NoGradGuard no_grad;
  auto src_p = source->parameters(), dst_p = avg_->parameters();
  if (count_ == 0) {
    copy_all(source, avg_);
  } else {
    for (size_t i = 0; i < src_p.size(); ++i) dst_p[i].add_(src_p[i] - dst_p[i], 1.0 / (count_ + 1));
  }
  ++count_;
}

Lookahead::Lookahead(int64_t k, double alpha) : k_(k), alpha_(alpha) {}

void Lookahead::restart(FerModel& source) {
  torch::NoGradGuard no_grad;
  slow_.clear();
  for (const auto& p : source->parameters()) slow_.push_back(p.detach().clone());
  steps_ = 0;
}

void Lookahead::step(FerModel& source) {
  if (++steps_ % k_ == 0) sync(source);
}

void Lookahead::sync(FerModel& source) {
  torch::NoGradGuard no_grad;
  auto fast = source->parameters();
  for (size_t i = 0; i < fast.size(); ++i) {
    slow_[i].add_(fast[i] - slow_[i], alpha_);
    fast[i].copy_(slow_[i]);
  }
}

void recompute_batchnorm(FerModel& model, const std::function<std::optional<at::Tensor>()>& next_batch) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->train();  // frozen stages' BatchNorm stays in inference mode (FerModel::train)
  std::vector<torch::nn::BatchNorm2dImpl*> norms;
  for (const auto& m : model->modules(false)) {
    auto* bn = m->as<torch::nn::BatchNorm2d>();
    if (bn && bn->is_training()) norms.push_back(bn);
  }
  std::vector<c10::optional<double>> momentum;
  for (auto* bn : norms) {
    momentum.push_back(bn->options.momentum());
    bn->reset_running_stats();
    bn->options.momentum(c10::nullopt);  // cumulative average over all batches
  }
  while (auto x = next_batch()) model->forward(*x);
  for (size_t i = 0; i < norms.size(); ++i) norms[i]->options.momentum(momentum[i]);
  model->train(was_training);
}

}  // namespace ferkit
