// TensorFlow.js weights manifests: groups of tensors (name, shape, dtype, optional uint8/uint16
// quantisation: value = min + scale * q) stored back to back in the group's binary files. Both
// TF.js layers models (model.json's "weightsManifest") and face-api's NAME-weights_manifest.json
// files are read here. Tensors keep TensorFlow's layouts (HWIO kernels); callers convert.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <ATen/core/Tensor.h>

namespace ferkit {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// The tensors of a manifest (an array of groups), in manifest order, as float32. Binary files are
// looked up beside `manifest_path`. Throws Error naming the manifest and the problem: a malformed
// entry, an unknown dtype, a shape whose size overflows, or files shorter than the manifest says.
NamedTensors read_tfjs_manifest(const nlohmann::json& groups, const std::string& manifest_path);

// A face-api style NAME-weights_manifest.json file.
NamedTensors read_tfjs_manifest_file(const std::string& manifest_path);

}  // namespace ferkit
