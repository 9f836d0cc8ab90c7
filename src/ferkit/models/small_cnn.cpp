#include "ferkit/models/small_cnn.h"

#include <cmath>

#include <torch/torch.h>

namespace ferkit {

namespace {
// Appends 3x3 conv-BN-ReLU blocks in -> out -> out ... (`n` of them), then optionally a 2x2 max-pool.
torch::nn::Sequential conv_block(int64_t in, int64_t out, int n, bool pool) {
  torch::nn::Sequential seq;
  for (int i = 0; i < n; ++i) {
    seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(i == 0 ? in : out, out, 3).padding(1).bias(false)));
    seq->push_back(torch::nn::BatchNorm2d(out));
    seq->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
  }
  if (pool) seq->push_back(torch::nn::MaxPool2d(2));
  return seq;
}
}  // namespace

SmallCnn::SmallCnn(const BackboneSpec& spec) {
  auto ch = [&](int base) { return std::max<int64_t>(8, std::lround(base * spec.width)); };
  const int64_t c1 = ch(32), c2 = ch(64), c3 = ch(128), c4 = ch(256);
  stages_[0] = register_module("stem", conv_block(spec.in_channels, c1, 1, false));
  stages_[1] = register_module("stage1", conv_block(c1, c1, 1, true));
  stages_[2] = register_module("stage2", conv_block(c1, c2, 2, true));
  stages_[3] = register_module("stage3", conv_block(c2, c3, 2, true));
  stages_[4] = register_module("stage4", conv_block(c3, c4, 2, true));
  channels_ = {c1, c1, c2, c3, c4};
  features_ = c4;
  for (auto& m : modules(false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  }
}

void SmallCnn::cut_after(const std::string& stage) {
  const size_t keep = stage_index(stage) + 1;
  for (size_t s = keep; s < kept_; ++s) unregister_module(stage_names()[s]);
  kept_ = std::min(kept_, keep);
  features_ = channels_[kept_ - 1];
}

torch::Tensor SmallCnn::forward_features(const torch::Tensor& x) {
  torch::Tensor y = x;
  for (size_t s = 0; s < kept_; ++s) y = stages_[s]->forward(y);
  return y;
}

}  // namespace ferkit
