#include "ferkit/models/tfjs_weights.h"

#include <map>
#include <cstring>
#include <filesystem>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"
#include "ferkit/util/fs.h"

namespace ferkit {

namespace {

// One manifest entry's layout in its group's bytes.
struct EntryLayout {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numel = 1;
  int bytes_per_value = 4;
  std::string stored;  // float32, int32, uint8 or uint16 (the last two: quantised)
  double min = 0, scale = 1;
};

EntryLayout entry_layout(const nlohmann::json& w, const std::string& where) {
  EntryLayout e;
  if (!w.is_object() || !w.contains("name") || !w["name"].is_string())
    throw Error(where + ": a weights entry without a name");
  e.name = w["name"].get<std::string>();
  const std::string what = where + ": tensor " + e.name;
  if (!w.contains("shape") || !w["shape"].is_array()) throw Error(what + ": no shape (an array of sizes)");
  for (const auto& d : w["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) throw Error(what + ": shape has " + d.dump() + ", not a size");
    const int64_t n = d.get<int64_t>();
    if (n > 0 && e.numel > std::numeric_limits<int64_t>::max() / 16 / n)
      throw Error(what + ": shape " + w["shape"].dump() + " is too large (its size overflows)");
    e.shape.push_back(n);
    e.numel *= n;
  }
  const auto dtype = w.value("dtype", std::string("float32"));
  if (dtype != "float32" && dtype != "int32") throw Error(what + ": dtype " + dtype + " is not read (float32, int32)");
  e.stored = dtype;
  if (w.contains("quantization")) {
    const auto& q = w["quantization"];
    const auto qtype = q.is_object() ? q.value("dtype", std::string("?")) : std::string("?");
    if (qtype != "uint8" && qtype != "uint16") throw Error(what + ": quantisation " + q.dump() + " is not read (uint8, uint16 with min and scale)");
    if (!q.contains("min") || !q.contains("scale") || !q["min"].is_number() || !q["scale"].is_number())
      throw Error(what + ": quantisation without numeric min and scale");
    e.stored = qtype;
    e.bytes_per_value = qtype == "uint8" ? 1 : 2;
    e.min = q["min"].get<double>();
    e.scale = q["scale"].get<double>();
  }
  return e;
}

at::Tensor decode(const EntryLayout& e, const char* p) {
  at::Tensor t = torch::empty(e.shape, torch::kFloat32);
  float* out = t.data_ptr<float>();
  if (e.numel == 0) return t;  // an empty tensor has no storage to copy into (found by fuzz/)
  // How each stored type becomes float32: as is, converted, or dequantised (min + scale * q).
  using Decoder = void (*)(const EntryLayout&, const char*, float*);
  static const std::map<std::string, Decoder> decoders = {
      {"float32", [](const EntryLayout& e, const char* p, float* out) { std::memcpy(out, p, e.numel * 4); }},
      {"int32",
       [](const EntryLayout& e, const char* p, float* out) {
         for (int64_t i = 0; i < e.numel; ++i) { int32_t v; std::memcpy(&v, p + 4 * i, 4); out[i] = static_cast<float>(v); }
       }},
      {"uint8",
       [](const EntryLayout& e, const char* p, float* out) {
         const auto* q = reinterpret_cast<const uint8_t*>(p);
         for (int64_t i = 0; i < e.numel; ++i) out[i] = static_cast<float>(e.min + e.scale * q[i]);
       }},
      {"uint16",
       [](const EntryLayout& e, const char* p, float* out) {
         for (int64_t i = 0; i < e.numel; ++i) { uint16_t v; std::memcpy(&v, p + 2 * i, 2); out[i] = static_cast<float>(e.min + e.scale * v); }
       }},
  };
  registry_lookup(decoders, e.stored, "TensorFlow.js weight type")(e, p, out);
  return t;
}

}  // namespace

NamedTensors read_tfjs_manifest(const nlohmann::json& groups, const std::string& manifest_path) {
  namespace fs = std::filesystem;
  if (!groups.is_array()) throw Error(manifest_path + ": the weights manifest is not an array of groups");
  NamedTensors out;
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    const std::string where = fmt::format("{}: weights group {}", manifest_path, g + 1);
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array())
      throw Error(where + ": \"paths\" must be an array of file names");
    if (!group.contains("weights") || !group["weights"].is_array()) throw Error(where + ": \"weights\" must be an array");
    std::string bytes;
    for (const auto& file : group["paths"]) {
      if (!file.is_string()) throw Error(where + ": \"paths\" holds " + file.dump() + ", not a file name");
      bytes += read_text_file((fs::path(manifest_path).parent_path() / file.get<std::string>()).string());
    }
    size_t offset = 0;
    for (const auto& w : group["weights"]) {
      const EntryLayout e = entry_layout(w, where);
      const uint64_t need = static_cast<uint64_t>(e.numel) * e.bytes_per_value;
      if (need > bytes.size() - offset)
        throw Error(fmt::format("{}: tensor {} needs {} bytes at offset {}, but the group's files hold {} bytes "
                                "(files shorter than the manifest says)", where, e.name, need, offset, bytes.size()));
      out.emplace_back(e.name, decode(e, bytes.data() + offset));
      offset += need;
    }
  }
  return out;
}

NamedTensors read_tfjs_manifest_file(const std::string& manifest_path) {
  nlohmann::json groups;
  try {
    groups = nlohmann::json::parse(read_text_file(manifest_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest_path + ": not valid JSON: " + e.what());
  }
  return read_tfjs_manifest(groups, manifest_path);
}

}  // namespace ferkit
