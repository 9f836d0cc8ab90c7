#include "ferkit/infer/tiny_face_detector.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "ferkit/models/tfjs_weights.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit::infer {
namespace fs = std::filesystem;

namespace {

// face-api's constants (src/tinyFaceDetector/const.ts): anchors in grid cells, and the mean
// subtracted from 0-255 RGB before dividing by 255.
constexpr std::array<std::array<double, 2>, 5> kAnchors = {{{1.603231, 2.094468}, {6.041143, 7.080126},
                                                            {2.882459, 3.518061}, {4.266906, 5.178857},
                                                            {9.041765, 10.66308}}};
constexpr std::array<float, 3> kMeanRgb = {117.001f, 114.697f, 97.404f};

torch::Tensor leaky(const torch::Tensor& x) { return torch::leaky_relu(x, 0.1); }

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// TensorFlow's 2x2 max pooling with 'same' padding: the missing row or column is on the
// bottom or right, and never wins.
torch::Tensor max_pool_same(const torch::Tensor& x, int stride) {
  if (stride == 2) return torch::max_pool2d(x, {2, 2}, {2, 2}, {0, 0}, {1, 1}, /*ceil_mode=*/true);
  return torch::max_pool2d(torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({0, 1, 0, 1}).mode(torch::kReplicate)),
                           {2, 2}, {1, 1});
}

double iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double w = std::max(0.0, std::min(a.br().x, b.br().x) - std::max(a.x, b.x));
  const double h = std::max(0.0, std::min(a.br().y, b.br().y) - std::max(a.y, b.y));
  return w * h / (a.area() + b.area() - w * h);
}

}  // namespace

struct TinyFaceDetector::Impl {
  struct Separable {
    torch::Tensor depthwise, pointwise, bias;
  };
  torch::Tensor conv0_w, conv0_b, conv8_w, conv8_b;
  std::vector<Separable> blocks;  // conv1 .. conv5

  torch::Tensor forward(const torch::Tensor& x) const {  // x: [1, 3, S, S], normalised
    torch::Tensor out = leaky(torch::conv2d(x, conv0_w, conv0_b));  // 'valid'
    for (size_t k = 0; k < blocks.size(); ++k) {
      out = max_pool_same(out, 2);
      const Separable& b = blocks[k];
      const std::vector<int64_t> one = {1, 1}, zero = {0, 0};
      out = torch::conv2d(torch::constant_pad_nd(out, {1, 1, 1, 1}, 0), b.depthwise, torch::Tensor(), one, zero, one, out.size(1));
      out = leaky(torch::conv2d(out, b.pointwise, b.bias));
    }
    out = max_pool_same(out, 1);
    return torch::conv2d(out, conv8_w, conv8_b);
  }
};

TinyFaceDetector::TinyFaceDetector(const std::string& weights_dir)
    : impl_(std::make_unique<Impl>()), dir_(weights_dir.empty() ? face_api_dir() : weights_dir) {
  const std::string manifest = (fs::path(dir_) / "tiny_face_detector_model-weights_manifest.json").string();
  std::map<std::string, torch::Tensor> w;
  for (auto& [name, t] : read_tfjs_manifest_file(manifest)) w[name] = t;
  auto take = [&](const std::string& name, const std::vector<int64_t>& shape) {
    auto it = w.find(name);
    if (it == w.end()) throw Error(manifest + ": no tensor " + name + " (not face-api's tiny face detector)");
    if (it->second.sizes().vec() != shape)
      throw Error(fmt::format("{}: tensor {} has shape {}, expected {}", manifest, name, it->second.sizes().vec(), shape));
    return it->second;
  };
  // TensorFlow's HWIO kernels to LibTorch's OIHW; depthwise HWC1 to C1HW.
  impl_->conv0_w = take("conv0/filters", {3, 3, 3, 16}).permute({3, 2, 0, 1}).contiguous();
  impl_->conv0_b = take("conv0/bias", {16});
  const int64_t widths[] = {16, 32, 64, 128, 256, 512};
  for (int k = 1; k <= 5; ++k) {
    const int64_t c = widths[k - 1], o = widths[k];
    const std::string p = "conv" + std::to_string(k);
    impl_->blocks.push_back({take(p + "/depthwise_filter", {3, 3, c, 1}).permute({2, 3, 0, 1}).contiguous(),
                             take(p + "/pointwise_filter", {1, 1, c, o}).permute({3, 2, 0, 1}).contiguous(),
                             take(p + "/bias", {o})});
  }
  impl_->conv8_w = take("conv8/filters", {1, 1, 512, 25}).permute({3, 2, 0, 1}).contiguous();
  impl_->conv8_b = take("conv8/bias", {25});
}

TinyFaceDetector::~TinyFaceDetector() = default;

namespace {

// The network's input, as face-api makes it (NetInput.toBatchTensor with isCenterInputs false):
// zeros appended at the bottom or right to make a square, TensorFlow's bilinear resize without
// align_corners or half-pixel centres (source = destination * in/out, in double precision as
// TF.js's CPU kernel computes), then (x - mean) / 255.
torch::Tensor network_input(const cv::Mat& image, int size) {
  FERKIT_CHECK(image.type() == CV_8UC1 || image.type() == CV_8UC3, "tiny face detector: an 8-bit gray or BGR image is needed");
  const int side = std::max(image.rows, image.cols);
  const bool gray = image.channels() == 1;
  auto pixel = [&](int y, int x, int c) -> double {  // c: 0 = R, 1 = G, 2 = B
    if (y >= image.rows || x >= image.cols) return 0.0;
    if (gray) return image.at<uint8_t>(y, x);
    return image.at<cv::Vec3b>(y, x)[2 - c];
  };
  torch::Tensor t = torch::empty({1, 3, size, size});
  float* out = t.data_ptr<float>();
  const double ratio = static_cast<double>(side) / size;
  std::vector<int> y0(size), y1(size), x0(size), x1(size);
  std::vector<double> fy(size), fx(size);
  for (int i = 0; i < size; ++i) {
    const double s = ratio * i;
    y0[i] = x0[i] = static_cast<int>(std::floor(s));
    y1[i] = x1[i] = std::min(side - 1, static_cast<int>(std::ceil(s)));
    fy[i] = fx[i] = s - y0[i];
  }
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const double tl = pixel(y0[y], x0[x], c), tr = pixel(y0[y], x1[x], c);
        const double bl = pixel(y1[y], x0[x], c), br = pixel(y1[y], x1[x], c);
        const double top = tl + (tr - tl) * fx[x], bottom = bl + (br - bl) * fx[x];
        const float v = static_cast<float>(top + (bottom - top) * fy[y]);
        out[(c * size + y) * size + x] = (v - kMeanRgb[c]) / 255.0f;
      }
    }
  }
  return t;
}

}  // namespace

std::vector<float> TinyFaceDetector::raw_output(const cv::Mat& rgb) const {
  FERKIT_CHECK(rgb.type() == CV_8UC3 && rgb.rows == rgb.cols, "raw_output: a square RGB image is needed");
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  c10::InferenceMode guard;
  const torch::Tensor grid = impl_->forward(network_input(bgr, rgb.rows)).permute({0, 2, 3, 1}).contiguous();
  return std::vector<float>(grid.data_ptr<float>(), grid.data_ptr<float>() + grid.numel());
}

std::vector<ScoredBox> TinyFaceDetector::detect(const cv::Mat& image, const TinyFaceOptions& o) const {
  FERKIT_CHECK(o.input_size >= 32 && o.input_size % 32 == 0,
               fmt::format("tiny face detector: input size {} is not a positive multiple of 32", o.input_size));
  if (image.empty()) return {};
  torch::Tensor grid;
  {
    c10::InferenceMode guard;
    grid = impl_->forward(network_input(image, o.input_size)).permute({0, 2, 3, 1}).contiguous();  // [1, n, n, 25]
  }
  const int64_t cells = grid.size(1);
  const float* g = grid.data_ptr<float>();
  // Boxes are relative to the resized image (before padding), as face-api's correction factors make them.
  const double scale = static_cast<double>(o.input_size) / std::max(image.cols, image.rows);
  const double reshaped_w = std::round(image.cols * scale), reshaped_h = std::round(image.rows * scale);
  const double fx = o.input_size / reshaped_w, fy = o.input_size / reshaped_h;
  std::vector<ScoredBox> found;
  for (int64_t row = 0; row < cells; ++row) {
    for (int64_t col = 0; col < cells; ++col) {
      for (size_t a = 0; a < kAnchors.size(); ++a) {
        const float* v = g + ((row * cells + col) * kAnchors.size() + a) * 5;
        const double score = sigmoid(v[4]);
        if (!(score > o.score_threshold)) continue;
        const double cx = (col + sigmoid(v[0])) / cells * fx, cy = (row + sigmoid(v[1])) / cells * fy;
        const double w = std::exp(v[2]) * kAnchors[a][0] / cells * fx, h = std::exp(v[3]) * kAnchors[a][1] / cells * fy;
        found.push_back({cv::Rect2d(cx - w / 2, cy - h / 2, w, h), score});
      }
    }
  }
  // face-api's suppression: the best remaining box is kept and those overlapping it by more
  // than iou_threshold are dropped (on relative boxes, as face-api computes it).
  std::stable_sort(found.begin(), found.end(), [](const ScoredBox& a, const ScoredBox& b) { return a.score > b.score; });
  std::vector<ScoredBox> kept;
  std::vector<bool> dropped(found.size(), false);
  for (size_t i = 0; i < found.size(); ++i) {
    if (dropped[i]) continue;
    kept.push_back(found[i]);
    for (size_t j = i + 1; j < found.size(); ++j)
      if (!dropped[j] && iou(found[i].box, found[j].box) > o.iou_threshold) dropped[j] = true;
  }
  for (auto& k : kept) k.box = cv::Rect2d(k.box.x * image.cols, k.box.y * image.rows, k.box.width * image.cols, k.box.height * image.rows);
  return kept;
}

}  // namespace ferkit::infer
