// A backbone that is a plain chain of named stages (small_cnn, vgg13_ferplus): forward runs the
// kept stages in order, and cutting after a stage unregisters the later ones.
#pragma once
#include <string>
#include <vector>

#include <torch/nn/modules/container/sequential.h>

#include "ferkit/models/backbone.h"

namespace ferkit {

class StagedBackbone : public Backbone {
 public:
  at::Tensor forward_features(const at::Tensor& x) override;
  int64_t num_features() const override { return channels_[kept_ - 1]; }
  std::vector<std::string> stage_names() const override { return names_; }
  void cut_after(const std::string& stage) override;
  int to_graph(graph::GraphBuilder& graph, int input) override;

 protected:
  // Registers the next stage under `name`; `channels` is its output width.
  void add_stage(const std::string& name, torch::nn::Sequential stage, int64_t channels);

 private:
  std::vector<std::string> names_;
  std::vector<torch::nn::Sequential> stages_;
  std::vector<int64_t> channels_;
  size_t kept_ = 0;
};

}  // namespace ferkit
