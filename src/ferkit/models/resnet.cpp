#include "ferkit/models/resnet.h"

#include <torch/torch.h>

#include "ferkit/models/graph_builder.h"

namespace ferkit {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups).bias(false));
}

// torchvision BasicBlock / Bottleneck: conv-bn-relu (x2 or x3), a projection shortcut when the
// shape changes, relu after the sum.
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t inplanes, int64_t planes, int64_t stride, bool bottleneck) : bottleneck_(bottleneck) {
    const int64_t expansion = bottleneck ? 4 : 1;
    if (bottleneck) {
      conv1_ = register_module("conv1", conv(inplanes, planes, 1));
      bn1_ = register_module("bn1", torch::nn::BatchNorm2d(planes));
      conv2_ = register_module("conv2", conv(planes, planes, 3, stride));
      bn2_ = register_module("bn2", torch::nn::BatchNorm2d(planes));
      conv3_ = register_module("conv3", conv(planes, planes * expansion, 1));
      bn3_ = register_module("bn3", torch::nn::BatchNorm2d(planes * expansion));
    } else {
      conv1_ = register_module("conv1", conv(inplanes, planes, 3, stride));
      bn1_ = register_module("bn1", torch::nn::BatchNorm2d(planes));
      conv2_ = register_module("conv2", conv(planes, planes, 3));
      bn2_ = register_module("bn2", torch::nn::BatchNorm2d(planes));
    }
    if (stride != 1 || inplanes != planes * expansion) {
      downsample_ = register_module("downsample", Seq(conv(inplanes, planes * expansion, 1, stride),
                                                      torch::nn::BatchNorm2d(planes * expansion)));
    }
  }
  at::Tensor forward(at::Tensor x) {
    at::Tensor out = torch::relu(bn1_->forward(conv1_->forward(x)));
    out = bn2_->forward(conv2_->forward(out));
    if (bottleneck_) out = bn3_->forward(conv3_->forward(torch::relu(out)));
    const at::Tensor identity = downsample_ ? downsample_->forward(x) : x;
    return torch::relu(out + identity);
  }
  int to_graph(graph::GraphBuilder& g, int x, const std::string& name) {
    int out = g.relu(g.conv(*conv1_, bn1_.get(), x, name + ".conv1"));
    out = g.conv(*conv2_, bn2_.get(), out, name + ".conv2");
    if (bottleneck_) out = g.conv(*conv3_, bn3_.get(), g.relu(out), name + ".conv3");
    const int identity = downsample_ ? g.sequential(*downsample_, x, name + ".downsample") : x;
    return g.relu(g.add(out, identity));
  }

 private:
  bool bottleneck_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  Seq downsample_{nullptr};
};
TORCH_MODULE(Block);

}  // namespace

ResNet::ResNet(const BackboneSpec& spec, const ResNetSpec& arch) : native_stem_(arch.native_stem) {
  auto width = [&](int64_t c) { return std::max<int64_t>(8, std::lround(c * spec.width)); };
  const int64_t stem = width(64);
  conv1_ = register_module("conv1", native_stem_ ? conv(spec.in_channels, stem, 3)
                                                 : torch::nn::Conv2d(torch::nn::Conv2dOptions(spec.in_channels, stem, 7)
                                                                         .stride(2).padding(3).bias(false)));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(stem));
  if (!native_stem_) maxpool_ = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  const int64_t expansion = arch.bottleneck ? 4 : 1;
  int64_t inplanes = stem;
  stage_channels_[0] = stem;
  for (int l = 0; l < 4; ++l) {
    const int64_t planes = width(64 << l);
    Seq layer;
    for (int b = 0; b < arch.blocks[l]; ++b) {
      layer->push_back(Block(inplanes, planes, (b == 0 && l > 0) ? 2 : 1, arch.bottleneck));
      inplanes = planes * expansion;
    }
    layers_[l] = register_module("layer" + std::to_string(l + 1), layer);
    stage_channels_[l + 1] = inplanes;
  }
  features_ = inplanes;
  // torchvision's initialisation: He (fan_out) for convolutions, BatchNorm at (1, 0).
  for (auto& m : modules(false))
    if (auto* c = m->as<torch::nn::Conv2d>()) torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
}

std::string ResNet::stage_of(const std::string& name) const {
  const std::string first = name.substr(0, name.find('.'));
  return (first == "conv1" || first == "bn1") ? "stem" : first;
}

void ResNet::cut_after(const std::string& stage) {
  const size_t keep = stage_index(stage);  // 0 = stem only
  for (int l = static_cast<int>(keep); l < kept_layers_; ++l) unregister_module("layer" + std::to_string(l + 1));
  kept_layers_ = std::min<int>(kept_layers_, static_cast<int>(keep));
  features_ = stage_channels_[kept_layers_];
}

at::Tensor ResNet::forward_features(const at::Tensor& x) {
  at::Tensor y = torch::relu(bn1_->forward(conv1_->forward(x)));
  if (!native_stem_) y = maxpool_->forward(y);
  for (int l = 0; l < kept_layers_; ++l) y = layers_[l]->forward(y);
  return y;
}

int ResNet::to_graph(graph::GraphBuilder& g, int x) {
  x = g.relu(g.conv(*conv1_, bn1_.get(), x, "backbone.conv1"));
  if (!native_stem_) x = g.max_pool(x, 3, 2, 1);
  for (int l = 0; l < kept_layers_; ++l) {
    size_t b = 0;
    for (auto& block : *layers_[l])
      x = block.get<BlockImpl>().to_graph(g, x, "backbone.layer" + std::to_string(l + 1) + "." + std::to_string(b++));
  }
  return x;
}

}  // namespace ferkit
