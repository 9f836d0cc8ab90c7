#include "ferkit/models/mobilenet_v2.h"

#include <cmath>

#include <torch/torch.h>

#include "ferkit/models/graph_builder.h"

namespace ferkit {

int64_t make_divisible(double v, int64_t divisor) {
  int64_t new_v = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (new_v < 0.9 * v) new_v += divisor;
  return new_v;
}

namespace {

// torchvision Conv2dNormActivation: conv (no bias), BatchNorm, ReLU6; children "0", "1", "2".
Seq conv_bn_relu6(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1) {
  return Seq(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding((k - 1) / 2).groups(groups).bias(false)),
             torch::nn::BatchNorm2d(out), torch::nn::Functional(torch::nn::functional::relu6, torch::nn::functional::ReLU6FuncOptions()));
}

class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride, int64_t expand_ratio)
      : use_residual_(stride == 1 && inp == oup) {
    const int64_t hidden = static_cast<int64_t>(std::lround(inp * static_cast<double>(expand_ratio)));
    Seq conv;
    if (expand_ratio != 1) conv->push_back(conv_bn_relu6(inp, hidden, 1));
    conv->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden));  // depthwise
    conv->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, oup, 1).bias(false)));
    conv->push_back(torch::nn::BatchNorm2d(oup));
    conv_ = register_module("conv", conv);
  }
  at::Tensor forward(at::Tensor x) { return use_residual_ ? x + conv_->forward(x) : conv_->forward(x); }
  int to_graph(graph::GraphBuilder& g, int x, const std::string& name) {
    int h = x;
    const auto parts = conv_->named_children();
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string part = name + ".conv." + parts[i].key();
      if (const auto* cbr = parts[i].value()->as<SeqImpl>()) {
        h = conv_bn_relu6_graph(g, *cbr, h, part);
      } else {  // the linear projection: conv, BatchNorm
        h = g.conv(*parts[i].value()->as<torch::nn::Conv2d>(), parts[i + 1].value()->as<torch::nn::BatchNorm2d>(), h, part);
        ++i;
      }
    }
    return use_residual_ ? g.add(h, x) : h;
  }
  // Seq(conv, BatchNorm, relu6) of conv_bn_relu6 (the relu6 is a Functional, which has no options to read)
  static int conv_bn_relu6_graph(graph::GraphBuilder& g, const SeqImpl& cbr, int x, const std::string& name) {
    const auto c = cbr.named_children();
    return g.clip(g.conv(*c[0].value()->as<torch::nn::Conv2d>(), c[1].value()->as<torch::nn::BatchNorm2d>(), x, name + ".0"), 0, 6);
  }

 private:
  bool use_residual_;
  Seq conv_{nullptr};
};
TORCH_MODULE(InvertedResidual);

// t (expansion), c (channels), n (repeats), s (first stride)
constexpr int kSetting[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

}  // namespace

MobileNetV2::MobileNetV2(const BackboneSpec& spec) {
  int64_t input_channel = make_divisible(32 * spec.width);
  const int64_t last_channel = make_divisible(1280 * std::max(1.0, spec.width));
  Seq features;
  features->push_back(conv_bn_relu6(spec.in_channels, input_channel, 3, 2));
  stage_of_index_.push_back(0);
  channels_of_index_.push_back(input_channel);
  for (int row = 0; row < 7; ++row) {
    const auto& [t, c, n, s] = kSetting[row];
    const int64_t output_channel = make_divisible(c * spec.width);
    for (int i = 0; i < n; ++i) {
      features->push_back(InvertedResidual(input_channel, output_channel, i == 0 ? s : 1, t));
      stage_of_index_.push_back(row + 1);
      channels_of_index_.push_back(output_channel);
      input_channel = output_channel;
    }
  }
  features->push_back(conv_bn_relu6(input_channel, last_channel, 1));
  stage_of_index_.push_back(8);
  channels_of_index_.push_back(last_channel);
  features_seq_ = register_module("features", features);
  features_ = last_channel;
  for (auto& m : modules(false))
    if (auto* c = m->as<torch::nn::Conv2d>()) torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
}

std::vector<std::string> MobileNetV2::stage_names() const {
  return {"stem", "block1", "block2", "block3", "block4", "block5", "block6", "block7", "last"};
}

std::string MobileNetV2::stage_of(const std::string& name) const {
  // "features.K.rest" -> the stage of features.K
  const auto first = name.find('.');
  const auto second = name.find('.', first + 1);
  const int k = std::stoi(name.substr(first + 1, second - first - 1));
  return stage_names().at(stage_of_index_.at(k));
}

void MobileNetV2::cut_after(const std::string& stage) {
  const int last = static_cast<int>(stage_index(stage));
  Seq kept;
  size_t k = 0;
  for (auto it = features_seq_->begin(); it != features_seq_->end() && stage_of_index_[k] <= last; ++it, ++k)
    kept->push_back(std::to_string(k), *it);  // the same modules under the same names
  features_seq_ = replace_module("features", kept);
  stage_of_index_.resize(k);
  channels_of_index_.resize(k);
  features_ = channels_of_index_.back();
}

at::Tensor MobileNetV2::forward_features(const at::Tensor& x) { return features_seq_->forward(x); }

int MobileNetV2::to_graph(graph::GraphBuilder& g, int x) {
  const auto children = features_seq_->named_children();
  for (const auto& child : children) {
    const std::string name = "backbone.features." + child.key();
    if (auto* block = child.value()->as<InvertedResidualImpl>())
      x = block->to_graph(g, x, name);
    else
      x = InvertedResidualImpl::conv_bn_relu6_graph(g, *child.value()->as<SeqImpl>(), x, name);
  }
  return x;
}

}  // namespace ferkit
