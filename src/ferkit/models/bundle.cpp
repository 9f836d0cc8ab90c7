#include "ferkit/models/bundle.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "ferkit/data/classes.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/zip_records.h"
#include "ferkit/util/json_text.h"

namespace ferkit {

namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void put(nlohmann::json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
// A field of the wrong type reads as its default, as an absent one does: provenance is told, never
// relied on for computing (image_size aside, which must be a positive integer).
template <typename T>
void get(const nlohmann::json& j, const char* key, T& v) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    v = it->get<T>();
  } catch (const nlohmann::json::exception&) {
  }
}
template <typename T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  T value{};
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    value = it->get<T>();
    v = value;
  } catch (const nlohmann::json::exception&) {
  }
}

}  // namespace

nlohmann::json to_json(const BundleProvenance& p) {
  nlohmann::json j = nlohmann::json::object();
  put(j, "data", p.data);
  put(j, "label_mode", p.label_mode);
  put(j, "recipe", p.recipe);
  put(j, "epoch", p.epoch);
  put(j, "weights", p.weights);
  put(j, "posthoc_tau", p.posthoc_tau);
  put(j, "val_split", p.val_split);
  put(j, "select_on", p.select_on);
  put(j, "val_accuracy", p.val_accuracy);
  put(j, "val_balanced_accuracy", p.val_balanced_accuracy);
  j["image_size"] = p.image_size;
  if (!p.ensemble_of.empty()) {
    j["ensemble_of"] = nlohmann::json::array();
    for (const auto& m : p.ensemble_of) {
      nlohmann::json e = {{"model", m.model}, {"backbone", m.backbone}, {"adjustment", m.adjustment}};
      put(e, "val_accuracy", m.val_accuracy);
      put(e, "val_balanced_accuracy", m.val_balanced_accuracy);
      put(e, "posthoc_tau", m.posthoc_tau);
      j["ensemble_of"].push_back(e);
    }
  }
  for (const auto& [key, value] : p.other.items())
    if (!j.contains(key)) j[key] = value;
  return j;
}

BundleProvenance bundle_provenance_from_json(const nlohmann::json& j) {
  BundleProvenance p;
  if (!j.is_object()) return p;
  get(j, "data", p.data);
  get(j, "label_mode", p.label_mode);
  get(j, "recipe", p.recipe);
  get(j, "epoch", p.epoch);
  get(j, "weights", p.weights);
  get(j, "posthoc_tau", p.posthoc_tau);
  get(j, "val_split", p.val_split);
  get(j, "select_on", p.select_on);
  get(j, "val_accuracy", p.val_accuracy);
  get(j, "val_balanced_accuracy", p.val_balanced_accuracy);
  const auto side = j.find("image_size");
  if (side != j.end() && side->is_number_integer() && side->get<int>() > 0) p.image_size = side->get<int>();
  const auto members = j.find("ensemble_of");
  if (members != j.end() && members->is_array())
    for (const auto& e : *members) {
      if (!e.is_object()) continue;
      EnsembleMemberRecord m;
      get(e, "model", m.model);
      get(e, "backbone", m.backbone);
      get(e, "adjustment", m.adjustment);
      get(e, "val_accuracy", m.val_accuracy);
      get(e, "val_balanced_accuracy", m.val_balanced_accuracy);
      get(e, "posthoc_tau", m.posthoc_tau);
      p.ensemble_of.push_back(m);
    }
  static const char* const known[] = {"data", "label_mode", "recipe", "epoch", "weights", "posthoc_tau", "val_split", "select_on",
                                      "val_accuracy", "val_balanced_accuracy", "image_size", "ensemble_of"};
  for (const auto& [key, value] : j.items())
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) p.other[key] = value;
  return p;
}

std::string describe_input(const Preprocess& p, int stored) {
  return std::to_string(p.input_size) + "x" + std::to_string(p.input_size) + (p.channels == 1 ? " gray" : " RGB") +
         ", normalize " + p.normalize + ", from " + std::to_string(stored) + "x" + std::to_string(stored) + " stored images";
}

void save_bundle(const std::string& path, FerModel& model, const BundleInfo& info) {
  nlohmann::json header = {{"format", "ferkit-bundle"},
                           {"version", kBundleFormatVersion},
                           {"model", to_json(info.spec)},
                           {"preprocess", to_json(info.preprocess)},
                           {"classes", info.class_names},
                           {"extra", to_json(info.provenance)}};
  atomic_write(path, [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("ferkit_header", c10::IValue(json_text(header)));
    torch::serialize::OutputArchive weights;
    model->save(weights);
    archive.write("model", weights);
    // Serialised in memory first: LibTorch's file writer throws from its destructor when a write
    // fails (std::terminate); a checked write of the bytes names the file and the reason instead.
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_file_checked(tmp, bytes.str(), path);
  });
}

bool is_bundle(const std::string& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue header;
    return archive.try_read("ferkit_header", header) && header.isString();
  } catch (const std::exception&) {
    return false;
  }
}

LoadedBundle load_bundle(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such model bundle");
  if (check_zip_records(path) == ZipCheck::kNotZip) throw Error(path + ": not a ferkit model bundle (not a LibTorch archive)");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a ferkit model bundle (cannot read it as a LibTorch archive)");
  }
  c10::IValue header_value;
  if (!archive.try_read("ferkit_header", header_value) || !header_value.isString())
    throw Error(path + ": not a ferkit model bundle (no ferkit header)");
  LoadedBundle out;
  try {
    const auto header = nlohmann::json::parse(header_value.toStringRef());
    if (header.at("format") != "ferkit-bundle") throw Error("wrong format tag");
    const int version = header.at("version").get<int>();
    if (version > kBundleFormatVersion)
      throw Error("format version " + std::to_string(version) + " is newer than this ferkit reads (" +
                  std::to_string(kBundleFormatVersion) + ")");
    out.info.spec = model_spec_from_json(header.at("model"));
    out.info.preprocess = preprocess_from_json(header.at("preprocess"));
    out.info.class_names = header.at("classes").get<std::vector<std::string>>();
    out.info.provenance = bundle_provenance_from_json(header.value("extra", nlohmann::json::object()));
  } catch (const std::exception& e) {
    throw Error(path + ": damaged bundle header: " + e.what());
  }
  out.model = FerModel(out.info.spec);
  torch::serialize::InputArchive weights;
  try {
    archive.read("model", weights);
    out.model->load(weights);
  } catch (const c10::Error& e) {
    throw Error(path + ": the weights do not match the architecture in its header: " + std::string(e.what_without_backtrace()));
  }
  out.model->eval();
  return out;
}

namespace {
// Module::save nests one archive per submodule; flatten them back to dotted names.
void flatten_archive(torch::serialize::InputArchive& archive, const std::string& prefix,
                     std::vector<std::pair<std::string, at::Tensor>>& out) {
  for (const auto& key : archive.keys()) {
    c10::IValue value;
    if (!archive.try_read(key, value)) continue;
    if (value.isTensor()) {
      out.emplace_back(prefix + key, value.toTensor());
    } else if (value.isModule()) {
      torch::serialize::InputArchive child;
      archive.try_read(key, child);
      flatten_archive(child, prefix + key + ".", out);
    }
  }
}
}  // namespace

bool read_ferkit_model_tensors(const std::string& path, std::vector<std::pair<std::string, at::Tensor>>& out) {
  out.clear();
  if (!std::filesystem::is_regular_file(path)) return false;
  if (check_zip_records(path) == ZipCheck::kNotZip) return false;  // damage is an Error naming the record
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception&) {
    return false;  // not a LibTorch archive at all
  }
  c10::IValue header, format;
  const bool bundle = archive.try_read("ferkit_header", header) && header.isString();
  const bool checkpoint = archive.try_read("format", format) && format.isString() && format.toStringRef() == "ferkit-checkpoint";
  if (!bundle && !checkpoint) return false;
  torch::serialize::InputArchive model;
  try {
    if (!archive.try_read("model", model)) throw Error("it holds no model");
    flatten_archive(model, "", out);
  } catch (const std::exception& e) {
    throw Error(path + ": damaged ferkit " + (bundle ? "bundle" : "checkpoint") + ": " + e.what());
  }
  if (out.empty()) throw Error(path + ": damaged ferkit " + std::string(bundle ? "bundle" : "checkpoint") + ": no tensors");
  return true;
}


void require_emotion_classes(const BundleInfo& info, const std::string& path) {
  std::vector<std::string> expected;
  for (int k = 0; k < kNumEmotions; ++k) expected.push_back(emotion_name(k));
  if (info.class_names != expected)
    throw Error(path + ": the model's classes differ from the 8 FER+ emotions this data is labelled with");
}

}  // namespace ferkit
