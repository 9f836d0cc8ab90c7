#include "ferkit/models/staged_backbone.h"

#include <torch/torch.h>

#include "ferkit/models/graph_builder.h"

namespace ferkit {

void StagedBackbone::add_stage(const std::string& name, torch::nn::Sequential stage, int64_t channels) {
  names_.push_back(name);
  stages_.push_back(register_module(name, stage));
  channels_.push_back(channels);
  kept_ = stages_.size();
}

void StagedBackbone::cut_after(const std::string& stage) {
  const size_t keep = stage_index(stage) + 1;
  for (size_t s = keep; s < kept_; ++s) unregister_module(names_[s]);
  kept_ = std::min(kept_, keep);
}

at::Tensor StagedBackbone::forward_features(const at::Tensor& x) {
  at::Tensor y = x;
  for (size_t s = 0; s < kept_; ++s) y = stages_[s]->forward(y);
  return y;
}

int StagedBackbone::to_graph(graph::GraphBuilder& g, int x) {
  for (size_t s = 0; s < kept_; ++s) x = g.sequential(*stages_[s], x, "backbone." + names_[s]);
  return x;
}

}  // namespace ferkit
