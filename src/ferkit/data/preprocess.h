// How a face image becomes a model input: size, channels, normalisation. Travels inside the
// model bundle so predict, serve and export prepare images exactly as training did.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ferkit {

struct Preprocess {
  int input_size = 48;             // model input side; images are resized to it
  int channels = 1;                // 1: gray; 3: gray replicated to R, G, B
  std::string normalize = "none";  // none: [0, 1]; imagenet: torchvision mean/std; keras: [-1, 1]; face_api: minus face-api's RGB mean

  // Per-channel affine map from a pixel in [0, 1]: value = (x - mean[c]) / std[c].
  std::array<float, 3> mean() const;
  std::array<float, 3> stddev() const;
  void validate() const;  // throws Error on an unknown normalisation or bad size/channels
};

// A normalisation by name (the `normalize` registry): the per-channel mean and standard deviation
// of a pixel in [0, 1], for gray (the three channels' values replicated) and for RGB input, and
// what it does in words (for the ONNX file's description).
struct Normalization {
  std::array<float, 3> gray_mean, rgb_mean, gray_std, rgb_std;
  std::string words;  // "then ..."
};
// Throws Error "unknown normalisation 'X' (known: ...)".
const Normalization& normalization(const std::string& name);
std::vector<std::string> normalization_names();

nlohmann::json to_json(const Preprocess& p);
Preprocess preprocess_from_json(const nlohmann::json& j);

}  // namespace ferkit
