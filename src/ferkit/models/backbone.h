// The backbone interface and registry. Every backbone maps an image batch to a feature map; the
// classifier head is separate (model.h). Backbones are made by name: make_backbone("small_cnn").
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "ferkit/models/model_spec.h"

namespace ferkit {
namespace graph {
class GraphBuilder;
}


class Backbone : public torch::nn::Module {
 public:
  // x: (B, in_channels, H, W) -> (B, num_features(), h, w)
  virtual torch::Tensor forward_features(const torch::Tensor& x) = 0;
  virtual int64_t num_features() const = 0;
  // Names of the stages in order (the units of --cut-after and --freeze-until).
  virtual std::vector<std::string> stage_names() const = 0;
  // The stage a parameter or buffer belongs to, from its name inside the backbone
  // ("layer2.0.conv1.weight" -> "layer2"). Default: the first component of the name.
  virtual std::string stage_of(const std::string& name) const { return name.substr(0, name.find('.')); }
  // Where the original architecture keeps its ImageNet classifier in a checkpoint ("fc" for
  // torchvision's ResNet); those tensors map to ferkit's head. Empty when there is none.
  virtual std::string classifier_prefix() const { return ""; }
  // Describes forward_features into an inference graph (BatchNorm folded): the fast inference
  // path and the ONNX export. Returns the value id of the feature map. Must mirror forward_features.
  virtual int to_graph(graph::GraphBuilder& graph, int input) = 0;
  // Truncates the network after a stage (its later stages are removed; num_features() follows).
  virtual void cut_after(const std::string& stage) = 0;

 protected:
  // The index of `stage` in stage_names(); throws Error listing the stages when there is none.
  size_t stage_index(const std::string& stage) const;
};

using BackboneFactory = std::function<std::shared_ptr<Backbone>(const BackboneSpec&)>;

// What a backbone assumes when the config leaves it open; kept in its registry entry.
struct BackboneDefaults {
  double width = 1.0;                         // channel multiplier when BackboneSpec::width is 0
  std::string pretrained_normalize = "imagenet";  // what its pretrained weights expect (normalize: auto)
  // The smallest square input the stages up to cut_after ("" = all) run on; unset: any size from 8.
  std::function<int(const std::string& cut_after)> min_input;
  int depth = 0;  // blocks per stage when BackboneSpec::depth is 0; 0: the backbone has no depth setting
};
// Throws Error listing the known names when `name` is not registered.
BackboneDefaults backbone_defaults(const std::string& name);
// The smallest input side a backbone (cut after a stage, or whole) runs on: 8 unless it says more.
int backbone_min_input(const std::string& name, const std::string& cut_after = "");

// Throws Error listing the known names when `spec.name` is not registered.
std::shared_ptr<Backbone> make_backbone(const BackboneSpec& spec);
std::vector<std::string> backbone_names();

}  // namespace ferkit
