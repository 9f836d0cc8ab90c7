// The model bundle (model.ferkit): architecture, weights, preprocessing and class names in one
// file, everything that eval, predict, serve and export need. A LibTorch archive holding a
// versioned JSON header and the module's parameters and buffers; written atomically.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferkit/data/preprocess.h"
#include "ferkit/models/model.h"

namespace ferkit {

constexpr int kBundleFormatVersion = 1;

// One member of an ensemble bundle, as the ensemble records it.
struct EnsembleMemberRecord {
  std::string model, backbone;
  std::string adjustment = "kept";  // its own post-hoc adjustment: kept or dropped
  std::optional<double> val_accuracy, val_balanced_accuracy, posthoc_tau;
};

// Where a bundle's weights came from and what they scored: the header's "extra" object, read and
// written here alone (bundle.cpp), each field with its one default. A field a bundle lacks reads as
// its default; an absent optional is not written.
constexpr int kDefaultStoredImageSize = 48;  // FER+'s side, for bundles that lack the field
struct BundleProvenance {
  std::string data;                     // the data folder trained on
  std::string label_mode = "majority";  // the training labels' mode
  std::string recipe;
  std::optional<int> epoch;             // the epoch whose weights these are
  std::string weights;                  // raw, ema or swa
  std::optional<double> posthoc_tau;    // the post-hoc logit adjustment built into the weights
  std::string val_split, select_on;     // the split scored; what chose the epoch and tau
  std::optional<double> val_accuracy, val_balanced_accuracy;  // on val_split, as shipped
  int image_size = kDefaultStoredImageSize;  // side of the stored images the model was trained on
  std::vector<EnsembleMemberRecord> ensemble_of;  // an ensemble's members
  nlohmann::json other = nlohmann::json::object();  // keys this ferkit does not know (a newer one's): kept, written back
};
nlohmann::json to_json(const BundleProvenance& p);
BundleProvenance bundle_provenance_from_json(const nlohmann::json& j);

struct BundleInfo {
  ModelSpec spec;
  Preprocess preprocess;
  std::vector<std::string> class_names;
  BundleProvenance provenance;
};

inline int stored_image_size(const BundleInfo& info) { return info.provenance.image_size; }

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
