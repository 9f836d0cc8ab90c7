// Building blocks shared by the backbones.
#pragma once
#include <torch/nn/modules/container/sequential.h>

namespace ferkit {

// A Sequential that can sit inside another Sequential (LibTorch's own cannot: its forward is a
// template). Children are named "0", "1", ... as in PyTorch, so checkpoint names match.
class SeqImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  at::Tensor forward(at::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Seq);

}  // namespace ferkit
