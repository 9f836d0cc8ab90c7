// A FER classifier: a backbone from the registry, global average pooling, and a head
// (optional hidden layers with dropout, then a linear layer to the 8 emotions).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include "ferkit/models/backbone.h"

namespace ferkit {

struct HeadSpec {
  std::vector<int64_t> hidden;   // sizes of hidden layers (ReLU), e.g. {512}
  double dropout = 0.0;          // before each linear layer of the head
};

struct ModelSpec {
  BackboneSpec backbone;
  HeadSpec head;
  int64_t num_classes = 8;
};

nlohmann::json to_json(const ModelSpec& spec);
ModelSpec model_spec_from_json(const nlohmann::json& j);
// Parses "512,256,dropout=0.3" (hidden sizes and options) into a HeadSpec; "" = linear only.
HeadSpec parse_head_spec(const std::string& text);

class FerModelImpl : public torch::nn::Module {
 public:
  explicit FerModelImpl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);  // (B, C, H, W) -> logits (B, num_classes)
  const ModelSpec& spec() const { return spec_; }
  std::shared_ptr<Backbone> backbone() const { return backbone_; }
  // The name of the head's last linear layer ("head.0"), where a pretrained classifier maps.
  std::string final_layer_name() const { return "head." + std::to_string(head_->size() - 1); }

 private:
  ModelSpec spec_;
  std::shared_ptr<Backbone> backbone_;
  torch::nn::Sequential head_{nullptr};
};
TORCH_MODULE(FerModel);

}  // namespace ferkit
