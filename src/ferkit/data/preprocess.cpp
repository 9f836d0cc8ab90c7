#include "ferkit/data/preprocess.h"

#include <nlohmann/json.hpp>

#include "ferkit/util/error.h"

namespace ferkit {

void Preprocess::validate() const {
  FERKIT_CHECK(input_size >= 8 && input_size <= 1024, "input size must be in 8..1024, got " + std::to_string(input_size));
  FERKIT_CHECK(channels == 1 || channels == 3, "channels must be 1 or 3, got " + std::to_string(channels));
  FERKIT_CHECK(normalize == "none" || normalize == "imagenet" || normalize == "keras" || normalize == "face_api",
               "unknown normalisation '" + normalize + "' (expected none, imagenet, keras or face_api)");
}

std::array<float, 3> Preprocess::mean() const {
  if (normalize == "imagenet") {
    if (channels == 1) return {0.449f, 0.449f, 0.449f};  // the mean of torchvision's RGB means
    return {0.485f, 0.456f, 0.406f};
  }
  if (normalize == "keras") return {0.5f, 0.5f, 0.5f};
  if (normalize == "face_api") {  // face-api's FaceRecognitionNet: 0-255 RGB minus these, over 255
    if (channels == 1) return {114.697f / 255, 114.697f / 255, 114.697f / 255};  // the mean of the three
    return {122.782f / 255, 117.001f / 255, 104.298f / 255};
  }
  return {0.f, 0.f, 0.f};
}

std::array<float, 3> Preprocess::stddev() const {
  if (normalize == "imagenet") {
    if (channels == 1) return {0.226f, 0.226f, 0.226f};
    return {0.229f, 0.224f, 0.225f};
  }
  if (normalize == "keras") return {0.5f, 0.5f, 0.5f};
  return {1.f, 1.f, 1.f};
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
