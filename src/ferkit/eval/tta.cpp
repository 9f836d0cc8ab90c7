#include "ferkit/eval/tta.h"

#include <functional>
#include <map>

#include <torch/torch.h>

#include "ferkit/util/registry.h"

namespace ferkit {
namespace {

using Views = std::function<std::vector<torch::Tensor>(const torch::Tensor&)>;

std::vector<torch::Tensor> ten_crop(const torch::Tensor& x) {
  const int64_t side = x.size(3), crop = std::max<int64_t>(1, (side * 7 + 4) / 8), far = side - crop;
  const std::array<std::pair<int64_t, int64_t>, 5> corners = {
      {{0, 0}, {0, far}, {far, 0}, {far, far}, {far / 2, far / 2}}};
  std::vector<torch::Tensor> views;
  for (const auto& [top, left] : corners) {
    torch::Tensor v = x.narrow(2, top, crop).narrow(3, left, crop);
    v = torch::nn::functional::interpolate(
        v, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{side, side}).mode(torch::kBilinear).align_corners(false));
    views.push_back(v);
    views.push_back(v.flip({3}));
  }
  return views;
}

// airbench's multi-crop TTA: the image and its mirror, and both moved one pixel up-left and one
// pixel down-right (edges replicated): six views.
std::vector<torch::Tensor> flip_shift(const torch::Tensor& x) {
  const int64_t h = x.size(2), w = x.size(3);
  const torch::Tensor padded = torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  std::vector<torch::Tensor> views;
  for (const torch::Tensor& v : {x, padded.narrow(2, 0, h).narrow(3, 0, w), padded.narrow(2, 2, h).narrow(3, 2, w)}) {
    views.push_back(v.contiguous());
    views.push_back(v.flip({3}));
  }
  return views;
}

const std::map<std::string, Views>& tta_registry() {
  static const std::map<std::string, Views> r = {
      {"none", [](const torch::Tensor& x) { return std::vector<torch::Tensor>{x}; }},
      {"flip", [](const torch::Tensor& x) { return std::vector<torch::Tensor>{x, x.flip({3})}; }},
      {"ten-crop", ten_crop},
      {"flip-shift", flip_shift},
  };
  return r;
}

}  // namespace

std::vector<std::string> tta_names() { return registry_names(tta_registry()); }
void check_tta_name(const std::string& name) { registry_lookup(tta_registry(), name, "test-time augmentation"); }

torch::Tensor tta_logits(FerModel& model, const torch::Tensor& images, const std::string& name) {
  const auto& make_views = registry_lookup(tta_registry(), name, "test-time augmentation");
  if (name == "none") return model->forward(images);
  const std::vector<torch::Tensor> views = make_views(images);
  // One forward pass per view keeps the memory of a batch what it is without TTA.
  torch::Tensor sum;
  for (const auto& v : views) {
    const torch::Tensor p = torch::softmax(model->forward(v), 1);
    sum = sum.defined() ? sum + p : p;
  }
  return (sum / static_cast<double>(views.size())).clamp_min(1e-12).log();
}

}  // namespace ferkit
