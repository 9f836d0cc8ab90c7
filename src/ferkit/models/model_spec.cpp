#include "ferkit/models/model_spec.h"

#include <cmath>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ferkit/util/error.h"
#include "ferkit/util/text.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {
const std::map<std::string, bool>& bn_policies() {
  static const std::map<std::string, bool> r = {{"frozen", true}, {"train", false}};
  return r;
}
}  // namespace

bool bn_policy_keeps_statistics(const std::string& bn_policy) { return registry_lookup(bn_policies(), bn_policy, "BatchNorm policy"); }
std::vector<std::string> bn_policy_names() { return registry_names(bn_policies()); }

nlohmann::json to_json(const ModelSpec& spec) {
  if (spec.is_ensemble()) {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : spec.members) members.push_back(to_json(m));
    return {{"backbone", {{"name", kEnsembleBackbone}, {"in_channels", spec.backbone.in_channels}, {"width", 0.0}}},
            {"num_classes", spec.num_classes},
            {"members", members}};
  }
  nlohmann::json backbone = {{"name", spec.backbone.name}, {"in_channels", spec.backbone.in_channels}, {"width", spec.backbone.width}};
  if (spec.backbone.depth != 0) backbone["depth"] = spec.backbone.depth;  // absent: the default (bundles from before it read alike)
  nlohmann::json j = {{"backbone", backbone},
                      {"head", {{"hidden", spec.head.hidden}, {"dropout", spec.head.dropout}}},
                      {"num_classes", spec.num_classes},
                      {"cut_after", spec.cut_after},
                      {"freeze_until", spec.freeze_until},
                      {"bn_policy", spec.bn_policy}};
  if (spec.temperature != 1.0) j["temperature"] = spec.temperature;  // absent: none (older bundles read alike)
  return j;
}

namespace {
// Ensembles nest (an ensemble of ensembles); a bundle's header is outside input, so the depth is
// bounded rather than left to the stack.
constexpr int kMaxEnsembleDepth = 4;

ModelSpec spec_from_json(const nlohmann::json& j, int depth) {
  ModelSpec s;
  if (j.contains("members")) {
    FERKIT_CHECK(depth < kMaxEnsembleDepth, "ensembles nested more than " + std::to_string(kMaxEnsembleDepth) + " deep");
    FERKIT_CHECK(j.at("backbone").at("name") == kEnsembleBackbone, "a model with members must be an ensemble");
    s.backbone.name = kEnsembleBackbone;
    s.backbone.in_channels = j.at("backbone").at("in_channels").get<int>();
    s.num_classes = j.at("num_classes").get<int64_t>();
    for (const auto& m : j.at("members")) s.members.push_back(spec_from_json(m, depth + 1));
    FERKIT_CHECK(!s.members.empty(), "an ensemble without members");
    for (const auto& m : s.members)
      FERKIT_CHECK(m.backbone.in_channels == s.backbone.in_channels && m.num_classes == s.num_classes,
                   "an ensemble's members differ in input channels or classes");
    return s;
  }
  FERKIT_CHECK(j.at("backbone").at("name") != kEnsembleBackbone, "an ensemble without members");
  s.backbone.name = j.at("backbone").at("name").get<std::string>();
  s.backbone.in_channels = j.at("backbone").at("in_channels").get<int>();
  s.backbone.width = j.at("backbone").at("width").get<double>();
  s.backbone.depth = j.at("backbone").value("depth", 0);
  s.head.hidden = j.at("head").at("hidden").get<std::vector<int64_t>>();
  s.head.dropout = j.at("head").at("dropout").get<double>();
  s.num_classes = j.at("num_classes").get<int64_t>();
  s.cut_after = j.value("cut_after", "");
  s.freeze_until = j.value("freeze_until", "");
  s.bn_policy = j.value("bn_policy", "frozen");
  s.temperature = j.value("temperature", 1.0);
  FERKIT_CHECK(std::isfinite(s.temperature) && s.temperature >= 0.05 && s.temperature <= 20,
               "temperature " + std::to_string(s.temperature) + " is outside [0.05, 20]");
  return s;
}
}  // namespace

ModelSpec model_spec_from_json(const nlohmann::json& j) { return spec_from_json(j, 0); }

HeadSpec parse_head_spec(const std::string& text) {
  HeadSpec head;
  for (const std::string& item : split_list(text)) {
    if (item.empty() || item == "linear") continue;
    const auto eq = item.find('=');
    try {
      if (eq == std::string::npos) {
        size_t used = 0;
        const long v = std::stol(item, &used);
        if (used != item.size() || v <= 0) throw std::invalid_argument(item);
        head.hidden.push_back(v);
      } else if (item.substr(0, eq) == "dropout") {
        size_t used = 0;
        head.dropout = std::stod(item.substr(eq + 1), &used);
        if (used != item.size() - eq - 1 || head.dropout < 0 || head.dropout >= 1) throw std::invalid_argument(item);
      } else {
        throw std::invalid_argument(item);
      }
    } catch (const std::logic_error&) {
      throw Error("bad head spec '" + text + "' at '" + item +
                  "' (expected hidden sizes and dropout=P, e.g. '512,dropout=0.3')");
    }
  }
  return head;
}

}  // namespace ferkit
