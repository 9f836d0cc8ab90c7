// The inference graph of a model: a flat list of operations with BatchNorm folded into the
// convolutions before it, the logit adjustment into the last linear layer, and dropout gone.
// Every backbone describes itself into it (Backbone::to_graph, mirroring its forward), so two
// things share one description: the fast inference path (run_graph: no module dispatch, no
// BatchNorm pass, activations in place) and the ONNX export (onnx_export.h). Tests check it
// against the module's own forward for every backbone of the registry.
#pragma once
#include <ATen/core/Tensor.h>

#include "ferkit/models/graph_builder.h"

namespace ferkit {
class FerModelImpl;

namespace infer {
using graph::Graph;
using graph::GraphBuilder;
using graph::Node;
using graph::Op;
using graph::op_name;

// The graph of a model (its weights as they are now, copied) for square inputs of `input_size`.
// Throws Error when a backbone cannot describe itself.
Graph model_graph(FerModelImpl& model, int64_t input_size);

// Switches the graph to oneDNN (MKLDNN) tensors up to the pooling, with the convolution weights
// reordered once, when LibTorch has oneDNN and every op there has a oneDNN kernel (Conv, Relu,
// Add, MaxPool: ResNets, small_cnn; not MobileNets' Clip or keras' Pad). Measured: ResNet-18 at
// batch 1 about twice as fast as the dense path (bench/results.md). Returns whether it switched.
bool use_mkldnn(Graph& graph);

// Runs the graph on a batch (B, C, H, W) float -> logits (B, classes), without autograd.
at::Tensor run_graph(const Graph& graph, const at::Tensor& input);

// Multiply-adds of one image through the graph (for GFLOP/s figures).
int64_t graph_macs(const Graph& graph);

}  // namespace infer
}  // namespace ferkit
