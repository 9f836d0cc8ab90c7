// Models for the inference tests: random BatchNorm statistics and affine parameters, so that
// folding them is tested (fresh modules have mean 0, var 1, gamma 1, beta 0: an identity that
// hides a wrong fold), and each backbone at a size that keeps the tests quick.
#pragma once
#include <algorithm>
#include <string>

#include <torch/torch.h>

#include "ferkit/data/classes.h"
#include "ferkit/models/backbone.h"
#include "ferkit/models/bundle.h"
#include "ferkit/models/model.h"

namespace ferkit::test {

inline void randomize_norms(FerModel& model) {
  torch::NoGradGuard no_grad;
  for (auto& m : model->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->running_mean.normal_(0, 0.2);
      bn->running_var.uniform_(0.5, 2.0);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0, 0.2);
    }
  // face_resnet's per-channel scale layers (folded like BatchNorm)
  for (auto& p : model->named_parameters()) {
    const std::string& n = p.key();
    if (n.size() > 13 && n.compare(n.size() - 13, 13, ".scale.weight") == 0) p.value().uniform_(0.5, 1.5);
    if (n.size() > 11 && n.compare(n.size() - 11, 11, ".scale.bias") == 0) p.value().normal_(0, 0.2);
  }
}

// The input side the tests run a backbone at: 48, or more for one that needs it (face_resnet).
inline int64_t test_input_size(const std::string& name, const std::string& cut_after = "") {
  return std::max<int64_t>(48, backbone_min_input(name, cut_after));
}

// A registered backbone as the tests use it: gray for the native networks, RGB for the ImageNet
// ones, the big ResNets at a quarter of their width.
inline ModelSpec small_spec(const std::string& name, const std::string& head = "") {
  ModelSpec spec;
  spec.backbone.name = name;
  spec.backbone.in_channels = name == "small_cnn" || name == "vgg13_ferplus" ? 1 : 3;
  if (name == "resnet50" || name == "resnet34") spec.backbone.width = 0.25;
  if (name == "keras_mobilenet_v2") spec.backbone.width = 0.35;
  if (name == "face_resnet") spec.backbone.width = 0.25;
  spec.head = parse_head_spec(head);
  return spec;
}

// A seeded small_cnn (gray, 8 outputs) at `width`, in eval mode, with random BatchNorm statistics
// when `random_norms`: the stand-in for a trained model where any working model will do.
inline FerModel tiny_model(int64_t seed, double width = 0.25, bool random_norms = true) {
  torch::manual_seed(seed);
  ModelSpec spec = small_spec("small_cnn");
  spec.backbone.width = width;
  FerModel model(spec);
  if (random_norms) randomize_norms(model);
  model->eval();
  return model;
}

// `model` saved as a bundle at `path` with FER+'s class names, fed `input_size` images, trained on
// images of side `image_size` (0: not recorded). Returns `path`.
inline std::string save_test_bundle(const std::string& path, FerModel& model, int input_size = 48, int image_size = 0) {
  BundleInfo info;
  info.spec = model->spec();
  info.class_names = emotion_names();
  info.preprocess.input_size = input_size;
  if (image_size > 0) info.provenance.image_size = image_size;
  save_bundle(path, model, info);
  return path;
}

// An ensemble of three different gray members (backbones, heads, post-hoc logit adjustments of
// their own), with random folded statistics: what the graph and ONNX tests run.
inline FerModel small_ensemble() {
  ModelSpec e;
  e.backbone.name = kEnsembleBackbone;
  e.members = {small_spec("small_cnn"), small_spec("vgg13_ferplus", "16"), small_spec("resnet18", "32,dropout=0.2")};
  e.members[2].backbone.in_channels = 1;
  FerModel model(e);
  randomize_norms(model);
  for (auto* m : model->members()) m->set_logit_adjustment(torch::randn({8}));
  model->eval();
  return model;
}

}  // namespace ferkit::test
