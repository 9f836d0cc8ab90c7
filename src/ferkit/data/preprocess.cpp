#include "ferkit/data/preprocess.h"

#include <map>

#include <nlohmann/json.hpp>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {
const std::map<std::string, Normalization>& normalizations() {
  static const std::map<std::string, Normalization> r = {
      {"none", {{0.f, 0.f, 0.f}, {0.f, 0.f, 0.f}, {1.f, 1.f, 1.f}, {1.f, 1.f, 1.f}, "nothing more"}},
      // torchvision's ImageNet statistics; gray input: the mean of the three
      {"imagenet",
       {{0.449f, 0.449f, 0.449f}, {0.485f, 0.456f, 0.406f}, {0.226f, 0.226f, 0.226f}, {0.229f, 0.224f, 0.225f},
        "then (x - mean) / std per channel with torchvision's ImageNet mean and std"}},
      {"keras", {{0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}, "then 2x - 1 (Keras MobileNetV2's [-1, 1])"}},
      // face-api's FaceRecognitionNet: 0-255 RGB minus these, over 255; gray: the mean of the three
      {"face_api",
       {{114.697f / 255, 114.697f / 255, 114.697f / 255}, {122.782f / 255, 117.001f / 255, 104.298f / 255}, {1.f, 1.f, 1.f},
        {1.f, 1.f, 1.f}, "then minus face-api's mean per channel (R 0.4815, G 0.4588, B 0.4090; 0.4498 for one gray channel)"}}};
  return r;
}
}  // namespace

const Normalization& normalization(const std::string& name) { return registry_lookup(normalizations(), name, "normalisation"); }
std::vector<std::string> normalization_names() { return registry_names(normalizations()); }

void Preprocess::validate() const {
  FERKIT_CHECK(input_size >= 8 && input_size <= 1024, "input size must be in 8..1024, got " + std::to_string(input_size));
  FERKIT_CHECK(channels == 1 || channels == 3, "channels must be 1 or 3, got " + std::to_string(channels));
  normalization(normalize);
}

std::array<float, 3> Preprocess::mean() const {
  const Normalization& n = normalization(normalize);
  return channels == 1 ? n.gray_mean : n.rgb_mean;
}

std::array<float, 3> Preprocess::stddev() const {
  const Normalization& n = normalization(normalize);
  return channels == 1 ? n.gray_std : n.rgb_std;
}

nlohmann::json to_json(const Preprocess& p) {
  return {{"input_size", p.input_size}, {"channels", p.channels}, {"normalize", p.normalize},
          {"mean", p.mean()}, {"std", p.stddev()}, {"pixel_scale", 1.0 / 255.0}};
}

Preprocess preprocess_from_json(const nlohmann::json& j) {
  Preprocess p;
  p.input_size = j.at("input_size").get<int>();
  p.channels = j.at("channels").get<int>();
  p.normalize = j.at("normalize").get<std::string>();
  p.validate();
  return p;
}

}  // namespace ferkit
