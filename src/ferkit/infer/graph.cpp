#include "ferkit/infer/graph.h"

#include <torch/torch.h>

#include "ferkit/models/model.h"
#include "ferkit/util/error.h"

namespace ferkit::infer {

namespace {
// Describes `model` into `g` from value x and returns its logits. An ensemble's members each read
// x; their softmax outputs are averaged and the log taken, as FerModelImpl::forward does, with
// its own post-hoc adjustment as per-class weights of the mean.
int describe_model(GraphBuilder& g, FerModelImpl& model, int x) {
  if (model.spec().is_ensemble()) {
    std::vector<int> probabilities;
    const auto members = model.members();
    for (size_t i = 0; i < members.size(); ++i) {
      const size_t first = g.graph().nodes.size();
      probabilities.push_back(g.softmax(describe_model(g, *members[i], x)));
      const std::string prefix = "members." + std::to_string(i) + ".";
      for (size_t k = first; k < g.graph().nodes.size(); ++k) {
        auto& name = g.graph().nodes[k].name;
        if (!name.empty()) name = prefix + name;  // unique node names across members
      }
    }
    const int mean = g.mean(probabilities);
    // Its own adjustment a: log(mean p) + a = log(mean p * exp(a)), per-class weights of the mean.
    const at::Tensor a = model.logit_adjustment().detach().to(torch::kFloat32);
    if (a.abs().max().item<float>() != 0) g.graph().nodes.back().weight = a.exp();
    return g.log(mean);
  }
  int y = model.backbone()->to_graph(g, x);
  y = g.global_average_pool(y);
  y = g.sequential(*model.named_children()["head"]->as<torch::nn::SequentialImpl>(), y, "head");
  Node& last = g.graph().nodes.back();
  FERKIT_CHECK(last.op == Op::Gemm && last.output == y, "the model does not end in a linear layer");
  last.bias = last.bias + model.logit_adjustment().detach().to(torch::kFloat32);  // post-hoc logit adjustment
  const double t = model.spec().temperature;  // calibration: (W f + b + a) / T
  if (t != 1.0) {
    last.weight = last.weight / t;
    last.bias = last.bias / t;
  }
  return y;
}
}  // namespace

Graph model_graph(FerModelImpl& model, int64_t input_size) {
  GraphBuilder g(model.spec().backbone.in_channels, input_size, input_size);
  const int x = describe_model(g, model, g.input());
  Graph graph = std::move(g.graph());
  graph.output = x;
  graph.num_classes = model.spec().num_classes;
  return graph;
}

bool use_mkldnn(Graph& g) {
  if (!at::hasMKLDNN()) return false;
  // Every node before a pooling (an ensemble has one pooling per member) must have a oneDNN kernel.
  std::vector<bool> pooled(g.values, false);
  for (const auto& n : g.nodes) {
    bool after = n.op == Op::GlobalAveragePool;
    for (int v : n.inputs) after = after || pooled[v];
    pooled[n.output] = after;
    if (!after && n.op != Op::Conv && n.op != Op::Relu && n.op != Op::Add && n.op != Op::MaxPool) return false;
  }
  c10::InferenceMode guard;
  for (auto& n : g.nodes)
    if (n.op == Op::Conv) {
      n.mkldnn_weight = at::mkldnn_reorder_conv2d_weight(n.weight.to_mkldnn(), {n.pads[0], n.pads[1]}, {n.stride[0], n.stride[1]},
                                                         {1, 1}, n.groups);
      n.mkldnn_bias = n.bias.to_mkldnn();
    }
  g.mkldnn = true;
  return true;
}

at::Tensor run_graph(const Graph& g, const at::Tensor& input) {
  c10::InferenceMode guard;
  // How many nodes read each value: the last reader may overwrite it (activations in place).
  std::vector<int> readers(g.values, 0);
  for (const auto& n : g.nodes)
    for (int v : n.inputs) ++readers[v];
  std::vector<at::Tensor> v(g.values);
  v[g.input] = g.mkldnn ? input.to(torch::kFloat32).to_mkldnn() : input.to(torch::kFloat32);
  ++readers[g.input];  // never overwrite the caller's tensor
  for (const auto& n : g.nodes) {
    const at::Tensor& x = v[n.inputs[0]];
    const bool own = readers[n.inputs[0]] == 1;
    at::Tensor y;
    switch (n.op) {
      case Op::Conv:
        y = g.mkldnn ? at::mkldnn_convolution(x, n.mkldnn_weight, n.mkldnn_bias, {n.pads[0], n.pads[1]}, {n.stride[0], n.stride[1]},
                                              {1, 1}, n.groups)
                     : at::conv2d(x, n.weight, n.bias, {n.stride[0], n.stride[1]}, {n.pads[0], n.pads[1]}, {1, 1}, n.groups);
        break;
      case Op::Relu: y = own ? at::relu_(v[n.inputs[0]]) : at::relu(x); break;
      case Op::Clip: y = own ? at::clamp_(v[n.inputs[0]], n.low, n.high) : at::clamp(x, n.low, n.high); break;
      case Op::Add: y = own ? v[n.inputs[0]].add_(v[n.inputs[1]]) : at::add(x, v[n.inputs[1]]); break;
      case Op::MaxPool:
        y = at::max_pool2d(x, {n.kernel[0], n.kernel[1]}, {n.stride[0], n.stride[1]}, {n.pads[0], n.pads[1]});
        break;
      case Op::Pad: y = at::constant_pad_nd(x, {n.pads[1], n.pads[3], n.pads[0], n.pads[2]}); break;
      case Op::GlobalAveragePool: y = (x.is_mkldnn() ? x.to_dense() : x).mean({2, 3}); break;
      case Op::Gemm: y = at::linear(x, n.weight, n.bias); break;
      case Op::Softmax: y = at::softmax(x, 1); break;
      case Op::Mean: {
        y = x.clone();
        for (size_t k = 1; k < n.inputs.size(); ++k) y.add_(v[n.inputs[k]]);
        y.div_(static_cast<double>(n.inputs.size()));
        if (n.weight.defined()) y.mul_(n.weight);  // an ensemble's own logit adjustment, exp(a)
        break;
      }
      case Op::Log: y = own ? at::log_(v[n.inputs[0]]) : at::log(x); break;
    }
    for (int in : n.inputs)
      if (--readers[in] == 0) v[in] = at::Tensor();  // free what no later node reads
    v[n.output] = y;
  }
  return v[g.output];
}

int64_t graph_macs(const Graph& g) {
  int64_t macs = 0;
  for (const auto& n : g.nodes) {
    if (n.op == Op::Conv) macs += n.weight.numel() * g.shapes[n.output][1] * g.shapes[n.output][2];
    if (n.op == Op::Gemm) macs += n.weight.numel();
  }
  return macs;
}

}  // namespace ferkit::infer
