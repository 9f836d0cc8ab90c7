// MobileNetV2 exactly as Keras builds it (keras.applications.MobileNetV2, any alpha): Keras layer
// names as module names ("Conv1", "bn_Conv1", "block_1_expand", ...), stride-2 convolutions after
// Keras's asymmetric zero padding (correct_pad: 0 before and 1 after on even sizes), BatchNorm
// epsilon 1e-3, ReLU6, and a last 1x1 conv of 1280 channels for alpha <= 1. Stages: stem,
// expanded_conv, block_1 ... block_16, Conv_1.
#pragma once
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "ferkit/models/backbone.h"

namespace ferkit {

class KerasMobileNetV2 : public Backbone {
 public:
  explicit KerasMobileNetV2(const BackboneSpec& spec);
  at::Tensor forward_features(const at::Tensor& x) override;  // (B,C,H,W) -> (B,F,H/32,W/32)
  // The output of one stage (e.g. "block_1" = Keras's block_1_project_BN), for conformance checks.
  at::Tensor forward_until(const at::Tensor& x, const std::string& stage);
  int64_t num_features() const override { return features_; }
  std::vector<std::string> stage_names() const override;
  std::string stage_of(const std::string& name) const override;
  void cut_after(const std::string& stage) override;
  int to_graph(graph::GraphBuilder& graph, int input) override;

 private:
  struct Block {
    std::string name;  // "expanded_conv", "block_1", ...
    int64_t stride = 1;
    bool residual = false;
    torch::nn::Conv2d expand{nullptr}, depthwise{nullptr}, project{nullptr};
    torch::nn::BatchNorm2d expand_bn{nullptr}, depthwise_bn{nullptr}, project_bn{nullptr};
    int64_t out_channels = 0;
  };
  torch::nn::Conv2d conv1_{nullptr}, conv_last_{nullptr};
  torch::nn::BatchNorm2d bn_conv1_{nullptr}, bn_last_{nullptr};
  std::vector<Block> blocks_;
  size_t kept_blocks_ = 0;
  bool keep_last_ = true;
  int64_t features_ = 0, stem_channels_ = 0;
};

}  // namespace ferkit
