// What a model is, as plain data (no LibTorch): the backbone by registry name, the head, the cut
// and the BatchNorm policy; or an ensemble of such models. Bundles store it as JSON; the config resolves to it (train/config_specs.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ferkit {

struct BackboneSpec {
  std::string name = "small_cnn";
  int in_channels = 1;   // 1 for gray input, 3 for RGB (pretrained ImageNet weights)
  double width = 0.0;    // channel multiplier; 0: the backbone's default (backbone_defaults)
  int depth = 0;         // blocks per stage, for backbones that have the setting (small_cnn); 0: the default
};

struct HeadSpec {
  std::vector<int64_t> hidden;   // sizes of hidden layers (ReLU), e.g. {512}
  double dropout = 0.0;          // before each linear layer of the head
};

struct ModelSpec {
  BackboneSpec backbone;
  HeadSpec head;
  int64_t num_classes = 8;
  std::string cut_after;      // last backbone stage kept ("" = all)
  std::string freeze_until;   // backbone stages up to and including this one are frozen ("" = none)
  std::string bn_policy = "frozen";  // frozen: BatchNorm of frozen stages stays in inference mode;
                                     // train: their statistics still update (the classic pitfall)
  // Calibration: the logits (post-hoc adjustment included) are divided by it (train/calibration.h);
  // 1: none. Single models only (an ensemble's members keep their own).
  double temperature = 1.0;
  // An ensemble (`ferkit ensemble`): the models whose class probabilities it averages. Its
  // backbone name is "ensemble"; head, cut and freezing are its members' own.
  std::vector<ModelSpec> members;
  bool is_ensemble() const { return !members.empty(); }
};

constexpr const char* kEnsembleBackbone = "ensemble";

// The BatchNorm policies by name: whether the BatchNorm of frozen stages keeps its statistics
// (frozen: inference mode while the rest trains) or lets them update (train). Throws Error listing
// the names for another.
bool bn_policy_keeps_statistics(const std::string& bn_policy);
std::vector<std::string> bn_policy_names();

nlohmann::json to_json(const ModelSpec& spec);
ModelSpec model_spec_from_json(const nlohmann::json& j);
// Parses "512,256,dropout=0.3" (hidden sizes and options) into a HeadSpec; "" = linear only.
HeadSpec parse_head_spec(const std::string& text);

}  // namespace ferkit
