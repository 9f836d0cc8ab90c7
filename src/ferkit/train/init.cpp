#include "ferkit/train/init.h"

#include <functional>
#include <map>

#include <fmt/format.h>
#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {
namespace {

// airbench's epsilon: keeps near-zero eigenvalues (gray replicated to RGB has rank D/3) finite.
constexpr double kWhiteningEps = 5e-4;
constexpr int64_t kWhiteningImages = 2000;

using Init = std::function<std::string(FerModel&, const at::Tensor&, const Preprocess&)>;

std::string dirac(FerModel& model, const at::Tensor&, const Preprocess&) {
  torch::NoGradGuard no_grad;
  int changed = 0;
  for (const auto& m : model->modules(false)) {
    auto* conv = m->as<torch::nn::Conv2d>();
    if (!conv) continue;
    const auto& w = conv->weight;  // (out, in, k, k)
    if (w.size(2) != 3 || w.size(3) != 3 || conv->options.groups() != 1 || w.size(0) < w.size(1)) continue;
    torch::nn::init::dirac_(w.narrow(0, 0, w.size(1)));
    ++changed;
  }
  return fmt::format("dirac: {} 3x3 convolutions start as the identity on their first filters", changed);
}

// The model inputs of a spread sample of the images, as training prepares them without
// augmentation: [0, 1], resized to the input size, channels replicated, normalised.
at::Tensor sample_inputs(const at::Tensor& images, const Preprocess& pre) {
  const int64_t n = images.size(0), take = std::min(n, kWhiteningImages);
  const at::Tensor index = torch::linspace(0, static_cast<double>(n - 1), take).round().to(torch::kLong);
  at::Tensor x = images.index_select(0, index).to(torch::kFloat32).div(255.0).unsqueeze(1);
  if (x.size(2) != pre.input_size)
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{pre.input_size, pre.input_size})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  x = x.expand({-1, pre.channels, -1, -1}).contiguous();
  const auto mean = pre.mean(), std = pre.stddev();
  for (int c = 0; c < pre.channels; ++c) x.select(1, c).sub_(mean[c]).div_(std[c]);
  return x;
}

std::string whiten(FerModel& model, const at::Tensor& images, const Preprocess& pre) {
  torch::nn::Conv2dImpl* first = nullptr;
  for (const auto& m : model->modules(false))
    if ((first = m->as<torch::nn::Conv2d>())) break;
  FERKIT_CHECK(first != nullptr, "init whiten: the model has no convolution of the standard kind to whiten");
  FERKIT_CHECK(first->options.groups() == 1, "init whiten: the first convolution is grouped");
  auto& w = first->weight;  // (out, in, kh, kw)
  FERKIT_CHECK(w.size(1) == pre.channels, "init whiten: the first convolution does not read the input image");
  FERKIT_CHECK(images.dim() == 3 && images.size(0) > 0, "init whiten: no training images");
  const int64_t kh = w.size(2), kw = w.size(3), dims = w.size(1) * kh * kw;
  const at::Tensor x = sample_inputs(images, pre);
  // (N, D, L) -> (N * L, D): every kh x kw patch of every sampled image
  const at::Tensor patches = torch::nn::functional::unfold(x, torch::nn::functional::UnfoldFuncOptions({kh, kw}))
                                 .transpose(1, 2)
                                 .reshape({-1, dims});
  const int64_t pairs = std::min(w.size(0) / 2, dims);
  const at::Tensor filters = whitening_filters(patches, pairs, kWhiteningEps);
  torch::NoGradGuard no_grad;
  w.narrow(0, 0, 2 * pairs).copy_(filters.reshape({2 * pairs, w.size(1), kh, kw}));
  return fmt::format("whiten: {} of the first convolution's {} filters from {} patches ({}x{}x{}) of {} training images", 2 * pairs,
                     w.size(0), patches.size(0), w.size(1), kh, kw, x.size(0));
}

const std::map<std::string, Init>& init_registry() {
  static const std::map<std::string, Init> r = {{"dirac", dirac}, {"whiten", whiten}};
  return r;
}


}  // namespace

std::vector<std::string> init_names() { return registry_names(init_registry()); }

void validate_init(const std::string& names) {
  for (const auto& n : split_names(names, "default")) registry_lookup(init_registry(), n, "init");
}

at::Tensor whitening_filters(const at::Tensor& patches, int64_t pairs, double eps) {
  const at::Tensor p = patches.to(torch::kFloat64);
  const at::Tensor covariance = p.t().mm(p) / static_cast<double>(p.size(0));
  const auto [values, vectors] = torch::linalg_eigh(covariance);  // ascending eigenvalues
  const at::Tensor top = vectors.flip({1}).narrow(1, 0, pairs).t();  // (pairs, D), largest first
  const at::Tensor scaled = top / (values.flip({0}).narrow(0, 0, pairs).clamp_min(0) + eps).sqrt().unsqueeze(1);
  return torch::cat({scaled, -scaled}).to(torch::kFloat32);
}

std::vector<std::string> apply_init(FerModel& model, const std::string& names, const at::Tensor& images, const Preprocess& pre) {
  std::vector<std::string> log;
  for (const auto& n : split_names(names, "default")) log.push_back(registry_lookup(init_registry(), n, "init")(model, images, pre));
  return log;
}

}  // namespace ferkit
