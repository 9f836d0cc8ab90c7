#include "ferkit/models/pretrained.h"

#include <map>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include "ferkit/models/bundle.h"
#include "ferkit/models/tfjs_weights.h"
#include "ferkit/models/torch_pickle.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"
#include "ferkit/util/fs.h"

namespace ferkit {

namespace {
std::string shape(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}
std::string list(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 12; ++i) s += "\n  " + v[i];
  if (v.size() > 12) s += "\n  ... and " + std::to_string(v.size() - 12) + " more";
  return s;
}
}  // namespace

namespace {

bool is_tfjs(const std::string& path) {
  namespace fs = std::filesystem;
  return (fs::is_directory(path) && fs::exists(fs::path(path) / "model.json")) ||
         fs::path(path).filename() == "model.json";
}

// A TensorFlow.js layers export (model.json + weight files): tensors looked up by name from the
// manifest (never by position), Keras layouts converted to PyTorch's (HWIO -> OIHW, depthwise
// HWC1 -> C1HW) and Keras names to module names (gamma -> weight, moving_mean -> running_mean).
// Dense layers (2-D kernels and their biases) are a classifier, returned in `dense`.
NamedTensors read_tfjs(const std::string& path, NamedTensors& dense) {
  namespace fs = std::filesystem;
  const fs::path json_path = fs::is_directory(path) ? fs::path(path) / "model.json" : fs::path(path);
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(read_text_file(json_path.string()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(json_path.string() + ": not valid JSON: " + e.what());
  }
  if (!model.contains("weightsManifest")) throw Error(json_path.string() + ": no weightsManifest (not a TensorFlow.js layers model)");
  NamedTensors out;
  std::set<std::string> dense_layers;
  for (auto [name, t] : read_tfjs_manifest(model["weightsManifest"], json_path.string())) {
    const auto slash = name.rfind('/');
    const std::string layer = name.substr(0, slash), kind = name.substr(slash + 1);
    if (kind == "kernel" && t.dim() == 2) dense_layers.insert(layer);
    if (dense_layers.count(layer)) {
      dense.emplace_back(name, t);
      continue;
    }
    std::string param;
    if ((kind == "kernel" || kind == "depthwise_kernel") && t.dim() != 4)  // (found by fuzz/)
      throw Error(json_path.string() + ": tensor " + name + " has " + std::to_string(t.dim()) +
                  " dimensions; a convolution kernel has 4 (and a dense one 2)");
    // Keras's weight names as torch's, with the kernels' axes from Keras's order to torch's.
    struct TorchName {
      const char* param;
      std::vector<int64_t> axes;  // empty: as stored
    };
    static const std::map<std::string, TorchName> keras_to_torch = {
        {"kernel", {"weight", {3, 2, 0, 1}}},          {"depthwise_kernel", {"weight", {2, 3, 0, 1}}},
        {"gamma", {"weight", {}}},                     {"beta", {"bias", {}}},
        {"bias", {"bias", {}}},                        {"moving_mean", {"running_mean", {}}},
        {"moving_variance", {"running_var", {}}}};
    const auto known = keras_to_torch.find(kind);
    param = known == keras_to_torch.end() ? kind : known->second.param;
    if (known != keras_to_torch.end() && !known->second.axes.empty()) t = t.permute(known->second.axes);
    out.emplace_back(layer + "." + param, t.contiguous());
  }
  // A bias may come before its dense kernel in the manifest: drop late-found dense tensors.
  NamedTensors kept;
  for (auto& [n, t] : out) {
    if (dense_layers.count(n.substr(0, n.rfind('.')))) dense.emplace_back(n, t); else kept.emplace_back(n, t);
  }
  return kept;
}

// face-api's own weights: "face-api" (the face-identity ResNet where face_api_dir finds it), a
// NAME-weights_manifest.json file, or a folder holding face_recognition_model-weights_manifest.json.
constexpr const char* kFaceRecognitionManifest = "face_recognition_model-weights_manifest.json";
std::string face_api_manifest(const std::string& path) {
  namespace fs = std::filesystem;
  if (path == "face-api") return (fs::path(face_api_dir(kFaceRecognitionManifest)) / kFaceRecognitionManifest).string();
  if (fs::is_directory(path) && fs::exists(fs::path(path) / kFaceRecognitionManifest))
    return (fs::path(path) / kFaceRecognitionManifest).string();
  const std::string file = fs::path(path).filename().string();
  const std::string suffix = "-weights_manifest.json";
  if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) return path;
  return "";
}

// face-api's names are paths ("conv64_down/conv1/conv/filters"): '/' becomes '.', filters and
// weights become weight, biases become bias; HWIO kernels become OIHW. A 2-D tensor (the
// descriptor layer "fc") is a dense classifier, returned in `dense`.
NamedTensors read_face_api(const std::string& manifest, NamedTensors& dense) {
  NamedTensors out;
  for (auto [name, t] : read_tfjs_manifest_file(manifest)) {
    if (t.dim() == 2) {
      dense.emplace_back(name, t);
      continue;
    }
    std::string module = name, kind;
    const auto slash = name.rfind('/');
    if (slash != std::string::npos) module = name.substr(0, slash), kind = name.substr(slash + 1);
    std::replace(module.begin(), module.end(), '/', '.');
    if (kind == "filters") {
      if (t.dim() != 4) throw Error(manifest + ": tensor " + name + " has " + std::to_string(t.dim()) + " dimensions; a convolution kernel has 4");
      t = t.permute({3, 2, 0, 1});
    }
    // face-api's weight names as torch's
    static const std::map<std::string, std::string> tfjs_to_torch = {
        {"filters", "weight"}, {"weights", "weight"}, {"biases", "bias"}, {"bias", "bias"}};
    const auto known = tfjs_to_torch.find(kind);
    const std::string param = known == tfjs_to_torch.end() ? kind : known->second;
    out.emplace_back(module + "." + param, t.contiguous());
  }
  return out;
}

// Any weights file ferkit reads, as named tensors. Names are the architecture's own
// (torchvision's, Keras's) except for ferkit's files, whose names are the FerModel's.
struct WeightsSource {
  std::string format;  // "torch", "tfjs", "face-api" or "ferkit"
  NamedTensors tensors;
  NamedTensors dense;  // a TF.js export's dense classifier, never loaded
};

WeightsSource read_weights(const std::string& path) {
  WeightsSource w;
  if (const std::string manifest = face_api_manifest(path); !manifest.empty()) {
    w.format = "face-api";
    w.tensors = read_face_api(manifest, w.dense);
  } else if (is_tfjs(path)) {
    w.format = "tfjs";
    w.tensors = read_tfjs(path, w.dense);
  } else if (read_ferkit_model_tensors(path, w.tensors)) {
    w.format = "ferkit";
  } else {
    w.format = "torch";
    w.tensors = load_torch_state_dict(path);
  }
  return w;
}

}  // namespace

WeightsReport load_pretrained(FerModel& model, const std::string& path, bool allow_partial) {
  const WeightsSource w = read_weights(path);
  const bool own = w.format == "ferkit";
  const auto& source = w.tensors;
  std::map<std::string, at::Tensor> targets;
  for (const auto& p : model->named_parameters()) targets[p.key()] = p.value();
  for (const auto& b : model->named_buffers()) targets[b.key()] = b.value();

  const std::string classifier = model->backbone()->classifier_prefix();
  const std::string head = model->final_layer_name();
  WeightsReport report;
  std::set<std::string> done;
  // Tensors of the stages a cut removed have no place in the model, and are no error.
  const auto stages = model->backbone()->stage_names();
  const std::string cut = model->spec().cut_after;
  const auto cut_at = std::find(stages.begin(), stages.end(), cut);
  auto after_cut = [&](const std::string& backbone_name) {
    if (cut.empty() || cut_at == stages.end()) return false;
    const auto at = std::find(stages.begin(), stages.end(), model->backbone()->stage_of(backbone_name));
    return at != stages.end() && at > cut_at;
  };
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : source) {
    if (name == "logit_adjustment") continue;  // a post-hoc calibration of that model, not a weight
    // A ferkit file's head is a classifier too: it loads when it fits the new head.
    const bool is_classifier = own ? name.rfind("head.", 0) == 0
                                   : !classifier.empty() && name.rfind(classifier + ".", 0) == 0;
    const std::string target = own ? name : is_classifier ? head + name.substr(classifier.size()) : "backbone." + name;
    if (!is_classifier && target.rfind("backbone.", 0) == 0 && after_cut(target.substr(9))) {
      report.cut.push_back(name);
      continue;
    }
    auto it = targets.find(target);
    if (it == targets.end()) {
      (is_classifier ? report.skipped_classifier : report.unexpected).push_back(name);
      continue;
    }
    // Gray input: a first convolution trained on RGB folds into a 1-channel one by summing over
    // its input channels. That is exact for a gray image replicated to R, G and B with one
    // normalisation for all three (ferkit's gray presets), and 3x cheaper.
    if (tensor.dim() == 4 && it->second.dim() == 4 && tensor.size(1) == 3 && it->second.size(1) == 1 &&
        tensor.size(0) == it->second.size(0) && tensor.size(2) == it->second.size(2) &&
        tensor.size(3) == it->second.size(3)) {
      it->second.copy_(tensor.sum(1, true).to(it->second.dtype()));
      report.loaded.push_back(target);
      report.folded.push_back(name);
      done.insert(target);
      continue;
    }
    if (it->second.sizes() != tensor.sizes()) {
      (is_classifier ? report.skipped_classifier : report.mismatched)
          .push_back(name + ": file " + shape(tensor) + " vs model " + shape(it->second));
      continue;
    }
    it->second.copy_(tensor.to(it->second.dtype()));
    report.loaded.push_back(target);
    done.insert(target);
  }
  for (const auto& d : w.dense) report.skipped_classifier.push_back(d.first + " (a dense classifier of the file)");
  for (const auto& [name, t] : targets) {
    if (done.count(name)) continue;
    // The head is new unless the file's classifier fitted it.
    if (name.rfind("head.", 0) == 0 || name == "logit_adjustment") continue;
    // A BatchNorm step counter is bookkeeping (used only with momentum=None); Keras has none.
    if (name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0) continue;
    report.missing.push_back(name);
  }
  if (!allow_partial && (!report.missing.empty() || !report.unexpected.empty() || !report.mismatched.empty())) {
    std::string msg = path + ": the weights do not match backbone '" + model->spec().backbone.name + "'";
    if (!report.missing.empty()) msg += "\nmissing in the file (" + std::to_string(report.missing.size()) + "):" + list(report.missing);
    if (!report.unexpected.empty()) msg += "\nunexpected in the file (" + std::to_string(report.unexpected.size()) + "):" + list(report.unexpected);
    if (!report.mismatched.empty()) msg += "\nshape differs (" + std::to_string(report.mismatched.size()) + "):" + list(report.mismatched);
    throw Error(msg + "\n(--allow-partial loads what matches)");
  }
  return report;
}

WeightsSummary inspect_weights(const std::string& path) {
  WeightsSource w = read_weights(path);
  WeightsSummary out;
  out.format = w.format;
  std::map<std::string, std::vector<int64_t>> by_name;
  for (const auto* list : {&w.tensors, &w.dense}) {
    for (const auto& [name, t] : *list) {
      out.tensors.emplace_back(name, t.sizes().vec());
      // Match the architecture on backbone names, without ferkit's "backbone." prefix.
      if (w.format != "ferkit") by_name[name] = t.sizes().vec();
      else if (name.rfind("backbone.", 0) == 0) by_name[name.substr(9)] = t.sizes().vec();
      const bool statistic = name.find("running_") != std::string::npos || name.find("num_batches_tracked") != std::string::npos;
      if (!statistic) out.parameters += t.numel();
    }
  }
  // Try each registered backbone (and the usual width multipliers): a match has every backbone
  // tensor in the file with the same shape. Names do not depend on the width or the input
  // channels, so an architecture whose names are absent is ruled out after one construction.
  for (const auto& name : backbone_names()) {
    bool names_match = true;
    for (double width : {1.0, 0.35, 0.5, 0.75, 0.25, 1.3, 1.4}) {
      for (int channels : {3, 1}) {
        BackboneSpec spec;
        spec.name = name;
        spec.width = width;
        spec.in_channels = channels;
        std::shared_ptr<Backbone> b;
        try {
          b = make_backbone(spec);
        } catch (const Error&) {
          continue;
        }
        bool all = true;
        for (const auto& p : b->named_parameters()) {
          auto it = by_name.find(p.key());
          if (it == by_name.end()) names_match = false;
          if (it == by_name.end() || it->second != p.value().sizes().vec()) { all = false; break; }
        }
        if (all) {
          out.architecture = name;
          out.width = width;
          out.in_channels = channels;
          return out;
        }
        if (!names_match) break;
      }
      if (!names_match) break;
    }
  }
  return out;
}

}  // namespace ferkit
