// Loading official pretrained weights into a ferkit model, matched by parameter name:
// torchvision state dicts (zip or legacy torch.save files), Keras models exported to TensorFlow.js
// (a folder with model.json), face-api's weights manifests ("face-api": its face-identity ResNet, for
// the face_resnet backbone), and ferkit's own bundles and checkpoints. The architecture's own ImageNet
// classifier (torchvision's "fc" or "classifier.1") maps onto ferkit's final head layer when the
// shapes agree, and is left out otherwise (the usual transfer-learning case).
#pragma once
#include <string>
#include <vector>

#include "ferkit/models/model.h"

namespace ferkit {

struct WeightsReport {
  std::vector<std::string> loaded;      // model names that received a tensor
  std::vector<std::string> missing;     // model names the file did not provide
  std::vector<std::string> unexpected;  // file names with no place in the model
  std::vector<std::string> mismatched;  // "name: file [a, b] vs model [c, d]"
  std::vector<std::string> folded;      // RGB first convolutions summed into a 1-channel one
  std::vector<std::string> skipped_classifier;  // the file's classifier, when its shape differs from the head
  std::vector<std::string> cut;         // file names of the stages the model's cut_after removed
};

// Copies the file's tensors into the model. Unless allow_partial, any missing, unexpected or
// mis-shaped tensor is an Error that lists them (a differing classifier is never an error).
WeightsReport load_pretrained(FerModel& model, const std::string& path, bool allow_partial);

// What a weights file holds: its tensors (name, shape), parameter count, and the registered
// architecture it matches (every backbone tensor present with its shape), or "" when none does.
struct WeightsSummary {
  std::string format;  // "torch", "tfjs", "face-api" or "ferkit"
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
  int64_t parameters = 0;  // elements of all tensors except BatchNorm statistics
  std::string architecture;
  double width = 0.0;
  int in_channels = 0;
};
WeightsSummary inspect_weights(const std::string& path);

}  // namespace ferkit
