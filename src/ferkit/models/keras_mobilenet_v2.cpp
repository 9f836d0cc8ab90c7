#include "ferkit/models/keras_mobilenet_v2.h"

#include <torch/torch.h>

#include "ferkit/models/graph_builder.h"
#include "ferkit/models/mobilenet_v2.h"  // make_divisible
#include "ferkit/util/error.h"

namespace ferkit {

namespace {

constexpr double kEps = 1e-3;         // Keras BatchNormalization default
constexpr double kMomentum = 0.001;   // Keras momentum 0.999, in PyTorch's convention

torch::nn::BatchNorm2d keras_bn(int64_t c) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(kEps).momentum(kMomentum));
}

torch::nn::Conv2d keras_conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups) {
  // stride 1: 'same' (symmetric for odd kernels); stride 2: 'valid' after explicit padding.
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(stride == 1 ? k / 2 : 0).groups(groups).bias(false));
}

// keras.applications correct_pad for a 3x3 kernel: even sizes pad (0, 1), odd sizes (1, 1).
at::Tensor keras_pad(const at::Tensor& x) {
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t top = h % 2 == 0 ? 0 : 1, left = w % 2 == 0 ? 0 : 1;
  return torch::constant_pad_nd(x, {left, 1, top, 1});
}

at::Tensor clamp6(const at::Tensor& x) { return torch::clamp(x, 0.0, 6.0); }  // ReLU6

// (filters, stride, expansion) of expanded_conv, block_1 ... block_16
constexpr int kBlocks[17][3] = {{16, 1, 1},  {24, 2, 6},  {24, 1, 6},  {32, 2, 6},  {32, 1, 6},  {32, 1, 6},
                                {64, 2, 6},  {64, 1, 6},  {64, 1, 6},  {64, 1, 6},  {96, 1, 6},  {96, 1, 6},
                                {96, 1, 6},  {160, 2, 6}, {160, 1, 6}, {160, 1, 6}, {320, 1, 6}};

}  // namespace

KerasMobileNetV2::KerasMobileNetV2(const BackboneSpec& spec) {
  const double alpha = spec.width;
  stem_channels_ = make_divisible(32 * alpha);
  conv1_ = register_module("Conv1", keras_conv(spec.in_channels, stem_channels_, 3, 2, 1));
  bn_conv1_ = register_module("bn_Conv1", keras_bn(stem_channels_));
  int64_t in = stem_channels_;
  for (int b = 0; b < 17; ++b) {
    const auto [filters, stride, expansion] = kBlocks[b];
    Block blk;
    blk.name = b == 0 ? "expanded_conv" : "block_" + std::to_string(b);
    const std::string p = b == 0 ? "expanded_conv_" : blk.name + "_";
    const int64_t out = make_divisible(static_cast<int64_t>(filters * alpha));  // Keras: int() first
    const int64_t hidden = in * expansion;
    if (expansion != 1) {
      blk.expand = register_module(p + "expand", keras_conv(in, hidden, 1, 1, 1));
      blk.expand_bn = register_module(p + "expand_BN", keras_bn(hidden));
    }
    blk.depthwise = register_module(p + "depthwise", keras_conv(hidden, hidden, 3, stride, hidden));
    blk.depthwise_bn = register_module(p + "depthwise_BN", keras_bn(hidden));
    blk.project = register_module(p + "project", keras_conv(hidden, out, 1, 1, 1));
    blk.project_bn = register_module(p + "project_BN", keras_bn(out));
    blk.stride = stride;
    blk.residual = stride == 1 && in == out;
    blk.out_channels = out;
    blocks_.push_back(blk);
    in = out;
  }
  kept_blocks_ = blocks_.size();
  features_ = alpha > 1.0 ? make_divisible(1280 * alpha) : 1280;
  conv_last_ = register_module("Conv_1", keras_conv(in, features_, 1, 1, 1));
  bn_last_ = register_module("Conv_1_bn", keras_bn(features_));
}

std::vector<std::string> KerasMobileNetV2::stage_names() const {
  std::vector<std::string> names = {"stem"};
  for (const auto& b : blocks_) names.push_back(b.name);
  names.push_back("Conv_1");
  return names;
}

std::string KerasMobileNetV2::stage_of(const std::string& name) const {
  if (name.rfind("Conv1", 0) == 0 || name.rfind("bn_Conv1", 0) == 0) return "stem";
  if (name.rfind("Conv_1", 0) == 0) return "Conv_1";
  if (name.rfind("expanded_conv", 0) == 0) return "expanded_conv";
  const auto second = name.find('_', 6);  // "block_12_expand..." -> "block_12"
  return name.substr(0, second);
}

void KerasMobileNetV2::cut_after(const std::string& stage) {
  const size_t idx = stage_index(stage);  // 0 stem, 1..17 blocks, 18 Conv_1
  if (idx == blocks_.size() + 1) return;
  keep_last_ = false;
  unregister_module("Conv_1");
  unregister_module("Conv_1_bn");
  for (size_t b = idx; b < kept_blocks_; ++b) {
    const std::string p = b == 0 ? "expanded_conv_" : blocks_[b].name + "_";
    for (const char* part : {"expand", "expand_BN", "depthwise", "depthwise_BN", "project", "project_BN"})
      if (named_children().contains(p + part)) unregister_module(p + part);
  }
  kept_blocks_ = std::min(kept_blocks_, idx);
  features_ = kept_blocks_ == 0 ? stem_channels_ : blocks_[kept_blocks_ - 1].out_channels;
}

at::Tensor KerasMobileNetV2::forward_until(const at::Tensor& x, const std::string& stage) {
  const size_t stop = stage.empty() ? blocks_.size() + 1 : stage_index(stage);
  at::Tensor y = clamp6(bn_conv1_->forward(conv1_->forward(keras_pad(x))));
  if (stop == 0) return y;
  for (size_t b = 0; b < kept_blocks_; ++b) {
    Block& blk = blocks_[b];
    at::Tensor h = y;
    if (blk.expand) h = clamp6(blk.expand_bn->forward(blk.expand->forward(h)));
    if (blk.stride == 2) h = keras_pad(h);
    h = clamp6(blk.depthwise_bn->forward(blk.depthwise->forward(h)));
    h = blk.project_bn->forward(blk.project->forward(h));  // linear bottleneck: no activation
    y = blk.residual ? y + h : h;
    if (b + 1 == stop) return y;
  }
  if (!keep_last_) return y;
  return clamp6(bn_last_->forward(conv_last_->forward(y)));
}

at::Tensor KerasMobileNetV2::forward_features(const at::Tensor& x) { return forward_until(x, ""); }

int KerasMobileNetV2::to_graph(graph::GraphBuilder& g, int x) {
  // keras_pad: (0, 1) on even sides, (1, 1) on odd ones
  auto pad = [&](int v) {
    const auto& s = g.shape(v);
    return g.pad(v, {s[1] % 2 ? 1 : 0, s[2] % 2 ? 1 : 0, 1, 1});
  };
  x = g.clip(g.conv(*conv1_, bn_conv1_.get(), pad(x), "backbone.Conv1"), 0, 6);
  for (size_t b = 0; b < kept_blocks_; ++b) {
    Block& blk = blocks_[b];
    const std::string p = "backbone." + std::string(b == 0 ? "expanded_conv_" : blk.name + "_");
    int h = x;
    if (blk.expand) h = g.clip(g.conv(*blk.expand, blk.expand_bn.get(), h, p + "expand"), 0, 6);
    if (blk.stride == 2) h = pad(h);
    h = g.clip(g.conv(*blk.depthwise, blk.depthwise_bn.get(), h, p + "depthwise"), 0, 6);
    h = g.conv(*blk.project, blk.project_bn.get(), h, p + "project");
    x = blk.residual ? g.add(h, x) : h;
  }
  if (keep_last_) x = g.clip(g.conv(*conv_last_, bn_last_.get(), x, "backbone.Conv_1"), 0, 6);
  return x;
}

}  // namespace ferkit
