// The model bundle (model.ferkit): architecture, weights, preprocessing and class names in one
// file, everything that eval, predict, serve and export need. A LibTorch archive holding a
// versioned JSON header and the module's parameters and buffers; written atomically.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferkit/data/preprocess.h"
#include "ferkit/models/model.h"

namespace ferkit {

constexpr int kBundleFormatVersion = 1;

struct BundleInfo {
  ModelSpec spec;
  Preprocess preprocess;
  std::vector<std::string> class_names;
  nlohmann::json extra = nlohmann::json::object();  // provenance: data, label mode, metrics
};

void save_bundle(const std::string& path, FerModel& model, const BundleInfo& info);

struct LoadedBundle {
  FerModel model{nullptr};
  BundleInfo info;
};
// Whether a file is a ferkit bundle (a LibTorch archive with a ferkit header); never throws.
bool is_bundle(const std::string& path);

// Throws Error naming the file when it is not a ferkit bundle or is damaged.
LoadedBundle load_bundle(const std::string& path);

// Throws Error naming `path` unless the bundle's classes are the 8 FER+ emotions in ferkit's
// order (what data sets are labelled with, so what evaluation can score).
void require_emotion_classes(const BundleInfo& info, const std::string& path);

// The model tensors (parameters and buffers, by module name such as "backbone.conv1.weight") of a
// ferkit bundle or training checkpoint, for use as starting weights. Returns false, leaving `out`
// empty, when the file is neither; throws Error when it is one but is damaged.
bool read_ferkit_model_tensors(const std::string& path, std::vector<std::pair<std::string, at::Tensor>>& out);

}  // namespace ferkit
