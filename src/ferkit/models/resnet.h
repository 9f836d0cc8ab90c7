// ResNet-18/34/50 exactly as torchvision builds them (module names, strides on the 3x3 conv of the
// bottleneck as in torchvision's "ResNet v1.5", BatchNorm eps 1e-5), so torchvision's state dicts
// load by name; plus resnet18_native, whose stem keeps the resolution (3x3 conv, stride 1, no
// max-pool) for 48x48 faces.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>

#include "ferkit/models/backbone.h"
#include "ferkit/models/layers.h"

namespace ferkit {

struct ResNetSpec {
  bool bottleneck = false;              // BasicBlock (18, 34) or Bottleneck (50)
  std::array<int, 4> blocks = {2, 2, 2, 2};
  bool native_stem = false;             // 3x3 stride-1 stem without max-pool
};

class ResNet : public Backbone {
 public:
  ResNet(const BackboneSpec& spec, const ResNetSpec& arch);
  at::Tensor forward_features(const at::Tensor& x) override;  // (B,C,H,W) -> (B,F,H/32,W/32) (H/8 native)
  int64_t num_features() const override { return features_; }
  std::vector<std::string> stage_names() const override { return {"stem", "layer1", "layer2", "layer3", "layer4"}; }
  std::string classifier_prefix() const override { return "fc"; }
  std::string stage_of(const std::string& name) const override;
  void cut_after(const std::string& stage) override;
  int to_graph(graph::GraphBuilder& graph, int input) override;

 private:
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::MaxPool2d maxpool_{nullptr};
  std::array<Seq, 4> layers_{Seq{nullptr}, Seq{nullptr}, Seq{nullptr}, Seq{nullptr}};
  bool native_stem_ = false;
  int64_t features_ = 0;
  int kept_layers_ = 4;                      // layer1..layerN run in forward
  std::array<int64_t, 5> stage_channels_{};  // output channels of stem, layer1..4
};

}  // namespace ferkit
