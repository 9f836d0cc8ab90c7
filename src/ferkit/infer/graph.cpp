#include "ferkit/infer/graph.h"

#include <torch/torch.h>

#include "ferkit/models/model.h"
#include "ferkit/util/error.h"

namespace ferkit::infer {

const char* op_name(Op op) {
  switch (op) {
    case Op::Conv: return "Conv";
    case Op::Relu: return "Relu";
    case Op::Clip: return "Clip";
    case Op::Add: return "Add";
    case Op::MaxPool: return "MaxPool";
    case Op::Pad: return "Pad";
    case Op::GlobalAveragePool: return "GlobalAveragePool";
    case Op::Gemm: return "Gemm";
  }
  return "?";
}

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
}  // namespace

GraphBuilder::GraphBuilder(int64_t channels, int64_t height, int64_t width) {
  graph_.shapes.push_back({channels, height, width});
}

int GraphBuilder::emit(Node n) {
  auto s = graph_.shapes.at(n.inputs[0]);
  switch (n.op) {
    case Op::Conv:
      FERKIT_CHECK(s[0] == n.weight.size(1) * n.groups,
                   n.name + ": " + std::to_string(s[0]) + " input channels, the weights want " + std::to_string(n.weight.size(1) * n.groups));
      [[fallthrough]];
    case Op::MaxPool:
      s[1] = floor_div(s[1] + n.pads[0] + n.pads[2] - n.kernel[0], n.stride[0]) + 1;
      s[2] = floor_div(s[2] + n.pads[1] + n.pads[3] - n.kernel[1], n.stride[1]) + 1;
      if (n.op == Op::Conv) s[0] = n.weight.size(0);
      break;
    case Op::Pad: s[1] += n.pads[0] + n.pads[2], s[2] += n.pads[1] + n.pads[3]; break;
    case Op::GlobalAveragePool: s = {s[0], 1, 1}; break;
    case Op::Gemm:
      FERKIT_CHECK(s[0] == n.weight.size(1), n.name + ": " + std::to_string(s[0]) + " features, the weights want " +
                                                 std::to_string(n.weight.size(1)));
      s = {n.weight.size(0), 1, 1};
      break;
    case Op::Add:
      FERKIT_CHECK(graph_.shapes.at(n.inputs[1]) == s, "Add of two shapes that differ");
      break;
    default: break;
  }
  FERKIT_CHECK(s[1] > 0 && s[2] > 0, n.name + ": the input is too small for this network");
  n.output = graph_.values++;
  graph_.shapes.push_back(s);
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back().output;
}

int GraphBuilder::conv(const torch::nn::Conv2dImpl& c, const torch::nn::BatchNorm2dImpl* bn, int x, const std::string& name) {
  const auto& o = c.options;
  FERKIT_CHECK(o.dilation()->at(0) == 1 && o.dilation()->at(1) == 1, name + ": dilated convolutions are not exported");
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  FERKIT_CHECK(pad != nullptr, name + ": only explicit convolution padding is exported");
  Node n{Op::Conv, {x}};
  n.name = name;
  torch::NoGradGuard no_grad;
  at::Tensor w = c.weight.detach().to(torch::kFloat32).clone();
  at::Tensor b = c.bias.defined() ? c.bias.detach().to(torch::kFloat32).clone() : torch::zeros({w.size(0)});
  if (bn) {  // y = gamma (conv(x) + b - mean) / sqrt(var + eps) + beta
    const at::Tensor scale = bn->weight.detach() / torch::sqrt(bn->running_var.detach() + bn->options.eps());
    w = w * scale.reshape({-1, 1, 1, 1});
    b = (b - bn->running_mean.detach()) * scale + bn->bias.detach();
  }
  n.weight = w.contiguous();
  n.bias = b.contiguous();
  n.kernel = {w.size(2), w.size(3)};
  n.stride = {o.stride()->at(0), o.stride()->at(1)};
  const int64_t ph = (*pad)->at(0), pw = (*pad)->at(1);
  n.pads = {ph, pw, ph, pw};
  n.groups = o.groups();
  return emit(std::move(n));
}

int GraphBuilder::relu(int x) { return emit(Node{Op::Relu, {x}}); }

int GraphBuilder::clip(int x, float low, float high) {
  Node n{Op::Clip, {x}};
  n.low = low, n.high = high;
  return emit(std::move(n));
}

int GraphBuilder::add(int a, int b) { return emit(Node{Op::Add, {a, b}}); }

int GraphBuilder::max_pool(int x, int64_t kernel, int64_t stride, int64_t pad) {
  Node n{Op::MaxPool, {x}};
  n.kernel = {kernel, kernel};
  n.stride = {stride, stride};
  n.pads = {pad, pad, pad, pad};
  return emit(std::move(n));
}

int GraphBuilder::pad(int x, std::array<int64_t, 4> tlbr) {
  Node n{Op::Pad, {x}};
  n.pads = tlbr;
  return emit(std::move(n));
}

int GraphBuilder::global_average_pool(int x) { return emit(Node{Op::GlobalAveragePool, {x}}); }

int GraphBuilder::linear(const torch::nn::LinearImpl& l, int x, const std::string& name) {
  Node n{Op::Gemm, {x}};
  n.name = name;
  n.weight = l.weight.detach().to(torch::kFloat32).clone().contiguous();
  n.bias = l.bias.defined() ? l.bias.detach().to(torch::kFloat32).clone() : torch::zeros({n.weight.size(0)});
  return emit(std::move(n));
}

int GraphBuilder::sequential(const torch::nn::SequentialImpl& seq, int x, const std::string& name) {
  const auto children = seq.named_children();
  for (size_t i = 0; i < children.size(); ++i) {
    const std::string child = name + "." + children[i].key();
    const auto& m = children[i].value();
    if (const auto* c = m->as<torch::nn::Conv2d>()) {
      const torch::nn::BatchNorm2dImpl* bn = nullptr;
      if (i + 1 < children.size()) bn = children[i + 1].value()->as<torch::nn::BatchNorm2d>();
      x = conv(*c, bn, x, child);
      if (bn) ++i;
    } else if (m->as<torch::nn::ReLU>()) {
      x = relu(x);
    } else if (const auto* p = m->as<torch::nn::MaxPool2d>()) {
      const auto& o = p->options;
      FERKIT_CHECK(!o.ceil_mode() && o.kernel_size()->at(0) == o.kernel_size()->at(1), child + ": this max-pool is not exported");
      x = max_pool(x, o.kernel_size()->at(0), o.stride()->at(0), o.padding()->at(0));
    } else if (m->as<torch::nn::Dropout>()) {
      // inference: nothing
    } else if (const auto* l = m->as<torch::nn::Linear>()) {
      x = linear(*l, x, child);
    } else if (const auto* s = m->as<torch::nn::SequentialImpl>()) {
      x = sequential(*s, x, child);
    } else {
      throw Error(child + ": a " + m->name() + " module has no inference graph (ferkit cannot export it)");
    }
  }
  return x;
}

Graph model_graph(FerModelImpl& model, int64_t input_size) {
  GraphBuilder g(model.spec().backbone.in_channels, input_size, input_size);
  int x = model.backbone()->to_graph(g, g.input());
  x = g.global_average_pool(x);
  x = g.sequential(*model.named_children()["head"]->as<torch::nn::SequentialImpl>(), x, "head");
  Graph graph = std::move(g.graph());
  FERKIT_CHECK(!graph.nodes.empty() && graph.nodes.back().op == Op::Gemm, "the model does not end in a linear layer");
  graph.nodes.back().bias += model.logit_adjustment().detach().to(torch::kFloat32);  // post-hoc logit adjustment
  graph.output = x;
  graph.num_classes = model.spec().num_classes;
  return graph;
}

bool use_mkldnn(Graph& g) {
  if (!at::hasMKLDNN()) return false;
  for (const auto& n : g.nodes) {
    if (n.op == Op::GlobalAveragePool) break;
    if (n.op != Op::Conv && n.op != Op::Relu && n.op != Op::Add && n.op != Op::MaxPool) return false;
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
