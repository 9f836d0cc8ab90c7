// MobileNetV2 exactly as torchvision builds it (any width multiplier): the table of
// (t, c, n, s) rows, module names features.K..., BatchNorm eps 1e-5, ReLU6, so torchvision's state
// dicts load by name. Stages: stem (features.0), block1..block7 (one per table row), last (the
// final 1x1 conv).
#pragma once
#include "ferkit/models/backbone.h"
#include "ferkit/models/layers.h"

namespace ferkit {

// torchvision's _make_divisible: round to a multiple of `divisor`, never below 90 % of v.
int64_t make_divisible(double v, int64_t divisor = 8);

class MobileNetV2 : public Backbone {
 public:
  explicit MobileNetV2(const BackboneSpec& spec);
  at::Tensor forward_features(const at::Tensor& x) override;  // (B,C,H,W) -> (B,F,H/32,W/32)
  int64_t num_features() const override { return features_; }
  std::vector<std::string> stage_names() const override;
  std::string stage_of(const std::string& name) const override;
  std::string classifier_prefix() const override { return "classifier.1"; }
  void cut_after(const std::string& stage) override;
  int to_graph(graph::GraphBuilder& graph, int input) override;

 private:
  Seq features_seq_{nullptr};
  std::vector<int> stage_of_index_;  // stage number of features.K
  std::vector<int64_t> channels_of_index_;  // output channels of features.K
  int64_t features_ = 0;
};

}  // namespace ferkit
