// ONNX export of a model's inference graph (graph.h), with the ONNX protobuf classes of Debian's
// libonnx-dev. Opset 10 (what OpenCV 4.6 reads); input "image" (N, C, S, S) float, the batch free and the side fixed to
// the model's input size; outputs "logits" and "probabilities" (softmax). How to prepare an image
// travels in the model's metadata (metadata_props): ferkit.preprocess (JSON: input size,
// channels, normalisation), ferkit.classes, ferkit.model, and a sentence in doc_string.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ferkit/infer/graph.h"

namespace ferkit::infer {

struct OnnxMetadata {
  nlohmann::json preprocess;             // to_json(Preprocess)
  std::vector<std::string> class_names;
  nlohmann::json model;                  // to_json(ModelSpec)
  std::string description;               // doc_string: the preprocessing in words
};

// Writes the file atomically. Throws Error when it cannot be written.
void export_onnx(const Graph& graph, const OnnxMetadata& metadata, const std::string& path);

}  // namespace ferkit::infer
