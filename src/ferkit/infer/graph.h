// The inference graph of a model: a flat list of operations with BatchNorm folded into the
// convolutions before it, the logit adjustment into the last linear layer, and dropout gone.
// Every backbone describes itself into it (Backbone::to_graph, mirroring its forward), so two
// things share one description: the fast inference path (run_graph: no module dispatch, no
// BatchNorm pass, activations in place) and the ONNX export (onnx_export.h). Tests check it
// against the module's own forward for every backbone of the registry.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace torch::nn {
class Conv2dImpl;
class BatchNorm2dImpl;
class LinearImpl;
class SequentialImpl;
}  // namespace torch::nn

namespace ferkit {
class FerModelImpl;

namespace infer {

enum class Op { Conv, Relu, Clip, Add, MaxPool, Pad, GlobalAveragePool, Gemm };
const char* op_name(Op op);

struct Node {
  Node(Op o, std::vector<int> in) : op(o), inputs(std::move(in)) {}
  Op op;
  std::vector<int> inputs;  // value ids
  int output = -1;
  std::string name;         // the module path it came from ("backbone.layer1.0.conv1")
  at::Tensor weight, bias;  // Conv (O, I/groups, kh, kw), Gemm (out, in)
  at::Tensor mkldnn_weight, mkldnn_bias;  // Conv, when the graph runs on oneDNN (use_mkldnn)
  std::array<int64_t, 2> kernel{1, 1}, stride{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
  int64_t groups = 1;
  float low = 0, high = 0;  // Clip
};

// A graph is made for one input size (the model's: the bundle fixes it); the batch is free.
struct Graph {
  int input = 0;             // value 0: the image batch (B, C, H, W)
  int output = -1;           // the logits (B, classes)
  int values = 1;
  std::vector<Node> nodes;   // in execution order
  std::vector<std::array<int64_t, 3>> shapes;  // (C, H, W) of every value; (F, 1, 1) after pooling
  int64_t num_classes = 8;
  bool mkldnn = false;       // the feature extractor runs on oneDNN tensors (use_mkldnn)
};

class GraphBuilder {
 public:
  GraphBuilder(int64_t channels, int64_t height, int64_t width);
  int input() const { return graph_.input; }
  const std::array<int64_t, 3>& shape(int value) const { return graph_.shapes.at(value); }
  // A convolution, with the BatchNorm after it folded in when given (eval-mode statistics).
  int conv(const torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl* bn, int x, const std::string& name);
  int relu(int x);
  int clip(int x, float low, float high);
  int add(int a, int b);
  int max_pool(int x, int64_t kernel, int64_t stride, int64_t pad);
  int pad(int x, std::array<int64_t, 4> top_left_bottom_right);
  int global_average_pool(int x);  // (B, C, H, W) -> (B, C)
  int linear(const torch::nn::LinearImpl& linear, int x, const std::string& name);
  // A chain of Conv2d [BatchNorm2d], ReLU, MaxPool2d, Dropout (skipped), Linear, nested
  // Sequentials; anything else is an Error naming the module.
  int sequential(const torch::nn::SequentialImpl& seq, int x, const std::string& name);
  Graph& graph() { return graph_; }

 private:
  int emit(Node node);
  Graph graph_;
};

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
