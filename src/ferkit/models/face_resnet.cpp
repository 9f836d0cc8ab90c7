#include "ferkit/models/face_resnet.h"

#include <cmath>

#include <fmt/format.h>
#include <torch/torch.h>

#include "ferkit/models/graph_builder.h"
#include "ferkit/util/error.h"

namespace ferkit {

// Not an anonymous namespace: FaceResNet::Unit (a class with linkage) holds these.
namespace face_resnet_parts {

// face-api's scale layer: x * weight + bias per channel (dlib's inference-time BatchNorm).
class ChannelScaleImpl : public torch::nn::Module {
 public:
  explicit ChannelScaleImpl(int64_t channels)
      : weight(register_parameter("weight", torch::ones({channels}))), bias(register_parameter("bias", torch::zeros({channels}))) {}
  at::Tensor forward(const at::Tensor& x) { return x * weight.reshape({1, -1, 1, 1}) + bias.reshape({1, -1, 1, 1}); }
  at::Tensor weight, bias;
};
TORCH_MODULE(ChannelScale);

// face-api's convLayer: a convolution with bias ('same' at stride 1, 'valid' at stride 2), then scale.
class FaceConvImpl : public torch::nn::Module {
 public:
  FaceConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride)
      : kernel_(kernel), stride_(stride),
        conv_(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                            .stride(stride).padding(stride == 1 ? kernel / 2 : 0).bias(true)))),
        scale_(register_module("scale", ChannelScale(out))) {}
  at::Tensor forward(const at::Tensor& x) { return scale_->forward(conv_->forward(x)); }
  // The scale folded into the convolution: one graph node.
  int to_graph(graph::GraphBuilder& g, int x, const std::string& name) {
    torch::NoGradGuard no_grad;
    const at::Tensor s = scale_->weight.detach();
    const at::Tensor w = conv_->weight.detach() * s.reshape({-1, 1, 1, 1});
    const at::Tensor b = conv_->bias.detach() * s + scale_->bias.detach();
    const int64_t p = stride_ == 1 ? kernel_ / 2 : 0;
    return g.conv(w, b, {stride_, stride_}, {p, p, p, p}, 1, x, name);
  }
  int64_t out_channels() const { return conv_->options.out_channels(); }

 private:
  int64_t kernel_, stride_;
  torch::nn::Conv2d conv_;
  ChannelScale scale_;
};
TORCH_MODULE(FaceConv);

enum class Kind { Stem, Residual, Down };

// The architecture: every unit's face-api name, its stage and kind, and its output channels at width 1.
struct UnitSpec {
  const char* name;
  const char* stage;
  Kind kind;
  int channels;
};
constexpr UnitSpec kUnits[] = {
    {"conv32_down", "stem", Kind::Stem, 32},          {"conv32_1", "conv32", Kind::Residual, 32},
    {"conv32_2", "conv32", Kind::Residual, 32},       {"conv32_3", "conv32", Kind::Residual, 32},
    {"conv64_down", "conv64", Kind::Down, 64},        {"conv64_1", "conv64", Kind::Residual, 64},
    {"conv64_2", "conv64", Kind::Residual, 64},       {"conv64_3", "conv64", Kind::Residual, 64},
    {"conv128_down", "conv128", Kind::Down, 128},     {"conv128_1", "conv128", Kind::Residual, 128},
    {"conv128_2", "conv128", Kind::Residual, 128},    {"conv256_down", "conv256", Kind::Down, 256},
    {"conv256_1", "conv256", Kind::Residual, 256},    {"conv256_2", "conv256", Kind::Residual, 256},
    {"conv256_down_out", "conv256_down_out", Kind::Down, 256},
};
constexpr size_t kNumUnits = sizeof(kUnits) / sizeof(kUnits[0]);
const std::vector<std::string> kStages = {"stem", "conv32", "conv64", "conv128", "conv256", "conv256_down_out"};

// The number of units up to and including `stage` ("" = all); throws Error for an unknown stage.
size_t units_through(const std::string& stage) {
  if (stage.empty()) return kNumUnits;
  size_t n = 0;
  for (size_t i = 0; i < kNumUnits; ++i)
    if (stage == kUnits[i].stage) n = i + 1;
  if (n == 0) throw Error("face_resnet has no stage '" + stage + "' (stages: stem, conv32, conv64, conv128, conv256, conv256_down_out)");
  return n;
}

// The side of the map after a unit, or 0 when the unit cannot run on `side` (a 'valid' kernel larger
// than the map, or a one-pixel map that the 2x2 shortcut pool cannot halve).
int64_t side_after(Kind kind, int64_t side) {
  switch (kind) {
    case Kind::Stem: {
      if (side < 7) return 0;
      const int64_t conv = (side - 7) / 2 + 1;
      return conv < 3 ? 0 : (conv - 3) / 2 + 1;
    }
    case Kind::Residual: return side;
    case Kind::Down: {
      if (side < 3) return 0;
      const int64_t conv = (side - 3) / 2 + 1, pooled = side / 2;
      return pooled == conv || pooled == conv + 1 ? pooled : 0;
    }
  }
  return 0;
}

int64_t side_through(int64_t side, size_t units) {
  for (size_t i = 0; i < units && side > 0; ++i) side = side_after(kUnits[i].kind, side);
  return side;
}

}  // namespace face_resnet_parts

using namespace face_resnet_parts;

struct FaceResNet::Unit {
  std::string name, stage;
  Kind kind;
  FaceConv conv1{nullptr}, conv2{nullptr};  // the stem has conv1 only
  int64_t in_channels = 0, out_channels = 0;
};

int face_resnet_min_input(const std::string& cut_after) {
  const size_t units = units_through(cut_after);
  for (int side = 8; side <= 1024; ++side)
    if (side_through(side, units) > 0) return side;
  return 1024;
}

FaceResNet::FaceResNet(const BackboneSpec& spec) {
  auto width = [&](int64_t c) { return std::max<int64_t>(8, std::lround(static_cast<double>(c) * spec.width)); };
  int64_t in = spec.in_channels;
  for (const UnitSpec& u : kUnits) {
    auto unit = std::make_shared<Unit>();
    unit->name = u.name;
    unit->stage = u.stage;
    unit->kind = u.kind;
    unit->in_channels = in;
    unit->out_channels = width(u.channels);
    if (u.kind == Kind::Stem) {
      unit->conv1 = register_module(u.name, FaceConv(in, unit->out_channels, 7, 2));
    } else {
      auto holder = register_module(u.name, std::make_shared<torch::nn::Module>());
      unit->conv1 = holder->register_module("conv1", FaceConv(in, unit->out_channels, 3, u.kind == Kind::Down ? 2 : 1));
      unit->conv2 = holder->register_module("conv2", FaceConv(unit->out_channels, unit->out_channels, 3, 1));
    }
    in = unit->out_channels;
    units_.push_back(unit);
  }
  kept_units_ = units_.size();
}

int64_t FaceResNet::num_features() const { return units_[kept_units_ - 1]->out_channels; }

std::vector<std::string> FaceResNet::stage_names() const { return kStages; }

std::string FaceResNet::stage_of(const std::string& name) const {
  const std::string unit = name.substr(0, name.find('.'));
  for (const UnitSpec& u : kUnits)
    if (unit == u.name) return u.stage;
  return unit;
}

void FaceResNet::cut_after(const std::string& stage) {
  stage_index(stage);  // an Error listing the stages when unknown
  const size_t keep = units_through(stage);
  for (size_t i = keep; i < kept_units_; ++i) unregister_module(units_[i]->name);
  kept_units_ = std::min(kept_units_, keep);
}

at::Tensor FaceResNet::forward_features(const at::Tensor& input) {
  at::Tensor x = input;
  for (size_t i = 0; i < kept_units_; ++i) {
    Unit& u = *units_[i];
    if (side_after(u.kind, std::min(x.size(2), x.size(3))) == 0)
      throw Error(fmt::format("face_resnet: the {}x{} map entering {} is too small for it; with these stages the input "
                              "must be at least {} px (input_size), or cut after an earlier stage (cut_after)",
                              x.size(2), x.size(3), u.name, face_resnet_min_input(units_[kept_units_ - 1]->stage)));
    if (u.kind == Kind::Stem) {
      x = torch::max_pool2d(torch::relu(u.conv1->forward(x)), 3, 2);
    } else if (u.kind == Kind::Residual) {
      x = torch::relu(u.conv2->forward(torch::relu(u.conv1->forward(x))) + x);
    } else {
      at::Tensor h = u.conv2->forward(torch::relu(u.conv1->forward(x)));
      at::Tensor pooled = torch::avg_pool2d(x, 2, 2);
      // face-api: one zero row and column at the bottom right when the sides differ.
      if (h.size(2) != pooled.size(2) || h.size(3) != pooled.size(3)) h = torch::constant_pad_nd(h, {0, 1, 0, 1});
      if (pooled.size(1) != h.size(1)) pooled = torch::constant_pad_nd(pooled, {0, 0, 0, 0, 0, h.size(1) - pooled.size(1)});
      x = torch::relu(h + pooled);
    }
  }
  return x;
}

int FaceResNet::to_graph(graph::GraphBuilder& g, int x) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < kept_units_; ++i) {
    Unit& u = *units_[i];
    const std::string name = "backbone." + u.name;
    if (u.kind == Kind::Stem) {
      x = g.max_pool(g.relu(u.conv1->to_graph(g, x, name)), 3, 2, 0);
    } else if (u.kind == Kind::Residual) {
      const int h = u.conv2->to_graph(g, g.relu(u.conv1->to_graph(g, x, name + ".conv1")), name + ".conv2");
      x = g.relu(g.add(h, x));
    } else {
      int h = u.conv2->to_graph(g, g.relu(u.conv1->to_graph(g, x, name + ".conv1")), name + ".conv2");
      const auto in_shape = g.shape(x);
      if (g.shape(h)[1] != in_shape[1] / 2 || g.shape(h)[2] != in_shape[2] / 2) h = g.pad(h, {0, 0, 1, 1});
      // The shortcut (2x2 average pool, channels zero-padded) is a fixed 2x2 stride-2 convolution.
      at::Tensor w = torch::zeros({u.out_channels, u.in_channels, 2, 2});
      for (int64_t c = 0; c < std::min(u.in_channels, u.out_channels); ++c) w[c][c].fill_(0.25);
      const int shortcut = g.conv(w, torch::zeros({u.out_channels}), {2, 2}, {0, 0, 0, 0}, 1, x, name + ".shortcut");
      x = g.relu(g.add(h, shortcut));
    }
  }
  return x;
}

}  // namespace ferkit
