// vgg13_ferplus: the convolutional part of the FER+ paper's VGG13 (Barsoum et al. 2016) for
// 64x64 gray input: 3x3 conv-ReLU pairs/triples at 64, 128, 256, 256 channels, each stage
// followed by 2x2 max-pooling and dropout 0.25; no BatchNorm, as in the paper. The paper's
// classifier (two 1024-unit layers with dropout 0.5) is ferkit's head: --head 1024,1024,dropout=0.5.
#pragma once
#include <array>

#include <torch/nn/modules/container/sequential.h>

#include "ferkit/models/backbone.h"

namespace ferkit {

class Vgg13FerPlus : public Backbone {
 public:
  explicit Vgg13FerPlus(const BackboneSpec& spec);
  at::Tensor forward_features(const at::Tensor& x) override;  // (B,C,64,64) -> (B,256,4,4)
  int64_t num_features() const override { return features_; }
  std::vector<std::string> stage_names() const override { return {"stage1", "stage2", "stage3", "stage4"}; }
  void cut_after(const std::string& stage) override;

 private:
  std::array<torch::nn::Sequential, 4> stages_;
  std::array<int64_t, 4> channels_{};
  size_t kept_ = 4;
  int64_t features_ = 0;
};

}  // namespace ferkit
