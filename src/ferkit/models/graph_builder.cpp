#include "ferkit/models/graph_builder.h"

#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit::graph {

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
    case Op::Softmax: return "Softmax";
    case Op::Mean: return "Mean";
    case Op::Log: return "Log";
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
    case Op::Mean:
      for (size_t k = 1; k < n.inputs.size(); ++k)
        FERKIT_CHECK(graph_.shapes.at(n.inputs[k]) == s, std::string(op_name(n.op)) + " of shapes that differ");
      break;
    case Op::Softmax:
    case Op::Log: FERKIT_CHECK(s[1] == 1 && s[2] == 1, std::string(op_name(n.op)) + " of a feature map: only of pooled values"); break;
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
  torch::NoGradGuard no_grad;
  at::Tensor w = c.weight.detach().to(torch::kFloat32).clone();
  at::Tensor b = c.bias.defined() ? c.bias.detach().to(torch::kFloat32).clone() : torch::zeros({w.size(0)});
  if (bn) {  // y = gamma (conv(x) + b - mean) / sqrt(var + eps) + beta
    const at::Tensor scale = bn->weight.detach() / torch::sqrt(bn->running_var.detach() + bn->options.eps());
    w = w * scale.reshape({-1, 1, 1, 1});
    b = (b - bn->running_mean.detach()) * scale + bn->bias.detach();
  }
  const int64_t ph = (*pad)->at(0), pw = (*pad)->at(1);
  return conv(w, b, {o.stride()->at(0), o.stride()->at(1)}, {ph, pw, ph, pw}, o.groups(), x, name);
}

int GraphBuilder::conv(at::Tensor weight, at::Tensor bias, std::array<int64_t, 2> stride, std::array<int64_t, 4> pads,
                       int64_t groups, int x, const std::string& name) {
  FERKIT_CHECK(weight.dim() == 4 && bias.dim() == 1 && bias.size(0) == weight.size(0),
               name + ": a convolution needs a 4-D weight and a bias per output channel");
  Node n{Op::Conv, {x}};
  n.name = name;
  n.weight = weight.detach().to(torch::kFloat32).contiguous();
  n.bias = bias.detach().to(torch::kFloat32).contiguous();
  n.kernel = {weight.size(2), weight.size(3)};
  n.stride = stride;
  n.pads = pads;
  n.groups = groups;
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

int GraphBuilder::softmax(int x) { return emit(Node{Op::Softmax, {x}}); }

int GraphBuilder::mean(const std::vector<int>& xs) {
  FERKIT_CHECK(!xs.empty(), "Mean of no values");
  return emit(Node{Op::Mean, xs});
}

int GraphBuilder::log(int x) { return emit(Node{Op::Log, {x}}); }

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

}  // namespace ferkit::graph
