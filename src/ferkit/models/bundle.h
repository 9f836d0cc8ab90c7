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

// The side of the stored images the model was trained on (its data read at that size): the one
// reader and writer of that field, with the one default (48, FER+'s, for bundles that lack it).
constexpr int kDefaultStoredImageSize = 48;
int stored_image_size(const BundleInfo& info);
void set_stored_image_size(BundleInfo& info, int side);

// What a model's images must be, in words: input size, channels, normalisation and the stored
// image size they are first resized to. Two models take the same input when these are equal (an
// ensemble's members; a teacher and its student): the one "same input" check.
std::string describe_input(const Preprocess& p, int stored_image_size);

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
