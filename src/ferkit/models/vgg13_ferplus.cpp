#include "ferkit/models/vgg13_ferplus.h"

#include <torch/torch.h>

namespace ferkit {

Vgg13FerPlus::Vgg13FerPlus(const BackboneSpec& spec) {
  const std::array<int, 4> convs = {2, 2, 3, 3};
  const std::array<int64_t, 4> widths = {64, 128, 256, 256};
  int64_t in = spec.in_channels;
  for (size_t s = 0; s < 4; ++s) {
    const int64_t out = std::max<int64_t>(8, std::lround(widths[s] * spec.width));
    torch::nn::Sequential seq;
    for (int c = 0; c < convs[s]; ++c) {
      seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c == 0 ? in : out, out, 3).padding(1)));
      seq->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    }
    seq->push_back(torch::nn::MaxPool2d(2));
    seq->push_back(torch::nn::Dropout(0.25));
    add_stage("stage" + std::to_string(s + 1), seq, out);
    in = out;
  }
}

}  // namespace ferkit
