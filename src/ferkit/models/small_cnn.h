// small_cnn: a VGG-style network for native 48x48 gray faces: cheap enough to train on a CPU.
// stem (3x3 conv) then 4 stages of 3x3 conv-BN-ReLU with 2x2 max-pooling between them.
#pragma once
#include <array>

#include <torch/nn/modules/container/sequential.h>

#include "ferkit/models/backbone.h"

namespace ferkit {

class SmallCnn : public Backbone {
 public:
  explicit SmallCnn(const BackboneSpec& spec);
  torch::Tensor forward_features(const torch::Tensor& x) override;  // (B,C,48,48) -> (B,F,3,3)
  int64_t num_features() const override { return features_; }
  std::vector<std::string> stage_names() const override { return {"stem", "stage1", "stage2", "stage3", "stage4"}; }
  void cut_after(const std::string& stage) override;

 private:
  std::array<torch::nn::Sequential, 5> stages_;  // stem, stage1..4
  std::array<int64_t, 5> channels_{};
  size_t kept_ = 5;
  int64_t features_ = 0;
};

}  // namespace ferkit
