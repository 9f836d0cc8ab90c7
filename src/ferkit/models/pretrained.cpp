#include "ferkit/models/pretrained.h"

#include <set>

#include <torch/torch.h>

#include "ferkit/models/torch_pickle.h"
#include "ferkit/util/error.h"

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

WeightsReport load_pretrained(FerModel& model, const std::string& path, bool allow_partial) {
  const auto source = load_torch_state_dict(path);
  std::map<std::string, at::Tensor> targets;
  for (const auto& p : model->named_parameters()) targets[p.key()] = p.value();
  for (const auto& b : model->named_buffers()) targets[b.key()] = b.value();

  const std::string classifier = model->backbone()->classifier_prefix();
  const std::string head = model->final_layer_name();
  WeightsReport report;
  std::set<std::string> done;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : source) {
    const bool is_classifier = !classifier.empty() && name.rfind(classifier + ".", 0) == 0;
    const std::string target = is_classifier ? head + name.substr(classifier.size()) : "backbone." + name;
    auto it = targets.find(target);
    if (it == targets.end()) {
      report.unexpected.push_back(name);
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
  for (const auto& [name, t] : targets) {
    if (done.count(name)) continue;
    // The head is new unless the file's classifier fitted it.
    if (name.rfind("head.", 0) == 0) continue;
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
  const auto source = load_torch_state_dict(path);
  WeightsSummary out;
  std::map<std::string, std::vector<int64_t>> by_name;
  for (const auto& [name, t] : source) {
    out.tensors.emplace_back(name, t.sizes().vec());
    by_name[name] = t.sizes().vec();
    const bool statistic = name.find("running_") != std::string::npos || name.find("num_batches_tracked") != std::string::npos;
    if (!statistic) out.parameters += t.numel();
  }
  // Try each registered backbone (and the usual width multipliers): a match has every backbone
  // tensor in the file with the same shape.
  for (const auto& name : backbone_names()) {
    for (double width : {1.0, 0.35, 0.5, 0.75, 1.3, 1.4}) {
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
          if (it == by_name.end() || it->second != p.value().sizes().vec()) { all = false; break; }
        }
        if (all) {
          out.architecture = name;
          out.width = width;
          out.in_channels = channels;
          return out;
        }
      }
    }
  }
  return out;
}

}  // namespace ferkit
