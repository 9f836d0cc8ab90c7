// The inference graph's types: a flat list of operations with BatchNorm folded into the
// convolutions before it. They live in models/ because every backbone describes itself into a
// GraphBuilder (Backbone::to_graph, mirroring its forward); infer/ runs and exports the graphs
// (infer/graph.h, infer/onnx_export.h), so the dependency runs one way: infer -> models.
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

namespace ferkit::graph {

// Softmax (over classes), Mean (of any number of values) and Log come after the pooling only:
// an ensemble's log of its members' mean probability.
enum class Op { Conv, Relu, Clip, Add, MaxPool, Pad, GlobalAveragePool, Gemm, Softmax, Mean, Log };
const char* op_name(Op op);

struct Node {
  Node(Op o, std::vector<int> in) : op(o), inputs(std::move(in)) {}
  Op op;
  std::vector<int> inputs;  // value ids
  int output = -1;
  std::string name;         // the module path it came from ("backbone.layer1.0.conv1")
  at::Tensor weight, bias;  // Conv (O, I/groups, kh, kw), Gemm (out, in); Mean: per-class weights (K) or undefined
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
  // A convolution from its tensors: weight (O, I/groups, kh, kw), bias (O); pads top, left, bottom, right.
  int conv(at::Tensor weight, at::Tensor bias, std::array<int64_t, 2> stride, std::array<int64_t, 4> pads,
           int64_t groups, int x, const std::string& name);
  int relu(int x);
  int clip(int x, float low, float high);
  int add(int a, int b);
  int max_pool(int x, int64_t kernel, int64_t stride, int64_t pad);
  int pad(int x, std::array<int64_t, 4> top_left_bottom_right);
  int global_average_pool(int x);  // (B, C, H, W) -> (B, C)
  int linear(const torch::nn::LinearImpl& linear, int x, const std::string& name);
  int softmax(int x);                     // over the classes of (B, K)
  int mean(const std::vector<int>& xs);   // element-wise, of values of one shape
  int log(int x);
  // A chain of Conv2d [BatchNorm2d], ReLU, MaxPool2d, Dropout (skipped), Linear, nested
  // Sequentials; anything else is an Error naming the module.
  int sequential(const torch::nn::SequentialImpl& seq, int x, const std::string& name);
  Graph& graph() { return graph_; }

 private:
  int emit(Node node);
  Graph graph_;
};

}  // namespace ferkit::graph
