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
  add_stage("stem", conv_block(spec.in_channels, c1, 1, false), c1);
  add_stage("stage1", conv_block(c1, c1, 1, true), c1);
  const int n = spec.depth > 0 ? spec.depth : 2;  // convolutions in each of stages 2-4 (--depth)
  add_stage("stage2", conv_block(c1, c2, n, true), c2);
  add_stage("stage3", conv_block(c2, c3, n, true), c3);
  add_stage("stage4", conv_block(c3, c4, n, true), c4);
  for (auto& m : modules(false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  }
}

}  // namespace ferkit
