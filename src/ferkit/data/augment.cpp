#include "ferkit/data/augment.h"

#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "ferkit/data/image_ops.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {

double uniform(Rng& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }

// Composes T (acting in source coordinates, applied after the current map) into g.
void then(Geometry& g, const cv::Matx33d& t) {
  cv::Matx33d m(g.source_to_output(0, 0), g.source_to_output(0, 1), g.source_to_output(0, 2),
                g.source_to_output(1, 0), g.source_to_output(1, 1), g.source_to_output(1, 2), 0, 0, 1);
  const cv::Matx33d r = t * m;
  g.source_to_output = cv::Matx23d(r(0, 0), r(0, 1), r(0, 2), r(1, 0), r(1, 1), r(1, 2));
}

void geo_flip(Geometry& g, const AugmentConfig& c, Rng& rng) {
  if (uniform(rng, 0, 1) >= c.flip_p) return;
  const double s = g.source_size;
  then(g, cv::Matx33d(-1, 0, s - 1, 0, 1, 0, 0, 0, 1));  // pixel x -> S-1-x, exact on the grid
}

// airbench's alternating flip: each image flips in every other epoch, from a per-image coin, so
// that any two consecutive epochs show it both ways (a random flip repeats a side half the time).
// Without a key (image < 0) it is a fair random flip.
void geo_altflip(Geometry& g, const AugmentConfig& c, Rng& rng) {
  bool flip;
  if (g.key.image < 0) {
    flip = uniform(rng, 0, 1) < 0.5;
  } else {
    std::seed_seq seq{static_cast<uint32_t>(g.key.seed), static_cast<uint32_t>(g.key.seed >> 32),
                      static_cast<uint32_t>(g.key.image), static_cast<uint32_t>(g.key.image >> 32), 0xf11bu};
    uint32_t coin;
    seq.generate(&coin, &coin + 1);
    flip = ((coin & 1u) + static_cast<uint64_t>(g.key.epoch)) % 2 == 1;
  }
  if (flip) {
    AugmentConfig always = c;
    always.flip_p = 1.0;
    geo_flip(g, always, rng);
  }
}

void geo_crop(Geometry& g, const AugmentConfig& c, Rng& rng) {
  // torchvision RandomResizedCrop: area fraction and log-uniform aspect; the crop always lies
  // inside the image (w, h <= S and the corner drawn in range).
  const double s = g.source_size;
  const double area = uniform(rng, std::min(1.0, c.crop_area_min), 1.0) * s * s;
  const double log_r = uniform(rng, -std::log(c.crop_ratio_max), std::log(c.crop_ratio_max));
  const double ratio = std::exp(log_r);
  const double w = std::min(s, std::sqrt(area * ratio)), h = std::min(s, std::sqrt(area / ratio));
  const double x0 = uniform(rng, 0, s - w), y0 = uniform(rng, 0, s - h);
  g.last_crop = cv::Rect2d(x0, y0, w, h);
  // Map the crop's pixel span [x0 - 0.5, x0 + w - 0.5] onto [-0.5, S - 0.5].
  const double sx = s / w, sy = s / h;
  then(g, cv::Matx33d(sx, 0, -0.5 - (x0 - 0.5) * sx, 0, sy, -0.5 - (y0 - 0.5) * sy, 0, 0, 1));
}

void geo_affine(Geometry& g, const AugmentConfig& c, Rng& rng) {
  const double s = g.source_size;
  const double angle_deg = uniform(rng, -c.rotate_deg, c.rotate_deg);
  const double zoom = uniform(rng, 1 - c.scale, 1 + c.scale);
  const double tx = uniform(rng, -c.shift, c.shift) * s, ty = uniform(rng, -c.shift, c.shift) * s;
  const cv::Matx23d m = framing_map(g.source_size, zoom, angle_deg, tx, ty);
  then(g, cv::Matx33d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), 0, 0, 1));
}

void pix_color(cv::Mat& img, const AugmentConfig& c, Rng& rng) {
  const double gain = uniform(rng, 1 - c.contrast, 1 + c.contrast);
  const double offset = uniform(rng, -c.brightness, c.brightness);
  apply_tone(img, 1.0, gain, offset);
}

void pix_erase(cv::Mat& img, const AugmentConfig& c, Rng& rng) {
  if (uniform(rng, 0, 1) >= c.erase_p) return;
  const double n = img.rows;
  const double area = uniform(rng, 0.02, std::max(0.02, c.erase_area_max)) * n * n;
  const double ratio = std::exp(uniform(rng, std::log(0.3), std::log(3.3)));
  const int h = std::clamp(static_cast<int>(std::sqrt(area * ratio)), 1, img.rows);
  const int w = std::clamp(static_cast<int>(std::sqrt(area / ratio)), 1, img.cols);
  const int y = std::uniform_int_distribution<int>(0, img.rows - h)(rng);
  const int x = std::uniform_int_distribution<int>(0, img.cols - w)(rng);
  cv::Mat patch = img(cv::Rect(x, y, w, h));
  // noise from our own RNG (not cv::randu's global state), so batches are reproducible
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int r = 0; r < h; ++r)
    for (int q = 0; q < w; ++q) patch.at<float>(r, q) = u(rng);
}

void pix_gamma(cv::Mat& img, const AugmentConfig& c, Rng& rng) {
  apply_tone(img, std::exp(uniform(rng, -std::log(c.gamma), std::log(c.gamma))), 1.0, 0.0);
}

void pix_blur(cv::Mat& img, const AugmentConfig& c, Rng& rng) {
  if (uniform(rng, 0, 1) >= c.blur_p) return;
  apply_blur(img, uniform(rng, std::min(c.blur_sigma_min, c.blur_sigma), c.blur_sigma));
}

void pix_lowres(cv::Mat& img, const AugmentConfig& c, Rng& rng) {
  if (uniform(rng, 0, 1) >= c.lowres_p) return;
  apply_lowres(img, uniform(rng, std::min(c.lowres_factor_min, c.lowres_factor), c.lowres_factor));
}

void pix_jpeg(cv::Mat& img, const AugmentConfig& c, Rng& rng) {
  if (uniform(rng, 0, 1) >= c.jpeg_p) return;
  apply_jpeg(img, static_cast<int>(std::lround(uniform(rng, c.jpeg_quality_min, std::max(c.jpeg_quality_min, c.jpeg_quality_max)))));
}

struct AugmentOp {
  bool geometric;
  std::function<void(Geometry&, const AugmentConfig&, Rng&)> geo;
  std::function<void(cv::Mat&, const AugmentConfig&, Rng&)> pix;
};

const std::map<std::string, AugmentOp>& augment_registry() {
  static const std::map<std::string, AugmentOp> ops = {
      {"flip", {true, geo_flip, nullptr}},
      {"altflip", {true, geo_altflip, nullptr}},
      {"crop", {true, geo_crop, nullptr}},
      {"affine", {true, geo_affine, nullptr}},
      {"color", {false, nullptr, pix_color}},
      {"erase", {false, nullptr, pix_erase}},
      {"gamma", {false, nullptr, pix_gamma}},
      {"blur", {false, nullptr, pix_blur}},
      {"lowres", {false, nullptr, pix_lowres}},
      {"jpeg", {false, nullptr, pix_jpeg}},
  };
  return ops;
}


}  // namespace

std::vector<std::string> augment_names() { return registry_names(augment_registry()); }

void validate_augment(const AugmentConfig& config) {
  for (const auto& name : split_names(config.ops, "none")) registry_lookup(augment_registry(), name, "augmentation");
  FERKIT_CHECK(config.crop_area_min > 0 && config.crop_area_min <= 1, "crop_area_min must be in (0, 1]");
  FERKIT_CHECK(config.crop_ratio_max >= 1, "crop_ratio_max must be >= 1");
  FERKIT_CHECK(config.mixup_alpha >= 0 && config.cutmix_alpha >= 0, "mixup/cutmix alpha must be >= 0");
  FERKIT_CHECK(config.gamma >= 1, "gamma must be >= 1 (the exponent is drawn from [1/gamma, gamma])");
  FERKIT_CHECK(config.lowres_factor >= 1, "lowres_factor must be >= 1");
  FERKIT_CHECK(config.jpeg_quality_min >= 1 && config.jpeg_quality_min <= 95, "jpeg_quality_min must be in [1, 95]");
  FERKIT_CHECK(config.blur_sigma > 0 && config.blur_sigma_min > 0, "blur_sigma must be positive");
  FERKIT_CHECK(config.lowres_factor_min >= 1, "lowres_factor_min must be >= 1");
  FERKIT_CHECK(config.jpeg_quality_max >= 1 && config.jpeg_quality_max <= 100, "jpeg_quality_max must be in [1, 100]");
}

Geometry sample_geometry(int source_size, const AugmentConfig& config, Rng& rng, const DrawKey& key) {
  Geometry g;
  g.source_size = source_size;
  g.key = key;
  for (const auto& name : split_names(config.ops, "none")) {
    const AugmentOp& op = augment_registry().at(name);
    if (op.geometric) op.geo(g, config, rng);
  }
  return g;
}

void augment_image(const cv::Mat& gray, const AugmentConfig& config, const Preprocess& pre, bool train, Rng& rng,
                   float* out, Geometry* geometry_out, const DrawKey& key) {
  const int s = gray.rows, n = pre.input_size;
  Geometry g;
  g.source_size = s;
  if (train) g = sample_geometry(s, config, rng, key);
  const bool augmented = !(g.source_to_output == cv::Matx23d(1, 0, 0, 0, 1, 0));
  // Source pixel span [-0.5, S-0.5] onto output span [-0.5, N-0.5].
  const double k = static_cast<double>(n) / s;
  cv::Matx33d to_output(k, 0, 0.5 * (k - 1), 0, k, 0.5 * (k - 1), 0, 0, 1);
  then(g, to_output);
  if (geometry_out) *geometry_out = g;

  // Interpolate in float so that no 8-bit rounding is added on top of the source's.
  cv::Mat source, img;
  gray.convertTo(source, CV_32F, 1.0 / 255.0);
  // Shrinking by more than 2x (a 224 source to 48) would alias with bilinear sampling.
  const int interp = k < 0.5 ? cv::INTER_AREA : cv::INTER_LINEAR;
  if (!augmented) {
    // The plain resize (evaluation, inference): half-pixel-centred bilinear with the edges
    // clamped, exactly what Keras/TensorFlow (tf.image.resize) and torchvision do, so pretrained
    // backbones see what they saw in their own frameworks.
    if (n == s) img = source;
    else cv::resize(source, img, cv::Size(n, n), 0, 0, interp);
  } else {
    // Shifts and rotations bring in area from outside the face: mirrored, not smeared.
    cv::warpAffine(source, img, cv::Mat(g.source_to_output), cv::Size(n, n), interp, kImageBorder);
  }
  if (train) {
    for (const auto& name : split_names(config.ops, "none")) {
      const AugmentOp& op = augment_registry().at(name);
      if (!op.geometric) op.pix(img, config, rng);
    }
  }
  const auto mean = pre.mean(), sd = pre.stddev();
  for (int c = 0; c < pre.channels; ++c) {
    const float m = mean[c], inv = 1.0f / sd[c];
    float* dst = out + static_cast<size_t>(c) * n * n;
    for (int r = 0; r < n; ++r) {
      const float* src = img.ptr<float>(r);
      for (int q = 0; q < n; ++q) dst[r * n + q] = (src[q] - m) * inv;
    }
  }
}

double sample_beta(double a, Rng& rng) {
  std::gamma_distribution<double> g(a, 1.0);
  const double x = g(rng), y = g(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

void mix_batch(torch::Tensor& images, torch::Tensor& targets, const AugmentConfig& config, Rng& rng) {
  const bool mixup = config.mixup_alpha > 0, cutmix = config.cutmix_alpha > 0;
  if (!mixup && !cutmix) return;
  if (uniform(rng, 0, 1) >= config.mix_p) return;
  const int64_t b = images.size(0);
  if (b < 2) return;
  // a random pairing of the batch with itself
  std::vector<int64_t> perm(b);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  const torch::Tensor p = torch::tensor(perm, torch::kInt64);
  const bool use_cutmix = cutmix && (!mixup || uniform(rng, 0, 1) < 0.5);
  double lam;
  if (use_cutmix) {
    lam = sample_beta(config.cutmix_alpha, rng);
    const int64_t h = images.size(2), w = images.size(3);
    const int64_t ch = static_cast<int64_t>(h * std::sqrt(1 - lam)), cw = static_cast<int64_t>(w * std::sqrt(1 - lam));
    const int64_t cy = std::uniform_int_distribution<int64_t>(0, h - 1)(rng);
    const int64_t cx = std::uniform_int_distribution<int64_t>(0, w - 1)(rng);
    const int64_t y0 = std::clamp<int64_t>(cy - ch / 2, 0, h), y1 = std::clamp<int64_t>(cy + ch / 2, 0, h);
    const int64_t x0 = std::clamp<int64_t>(cx - cw / 2, 0, w), x1 = std::clamp<int64_t>(cx + cw / 2, 0, w);
    using torch::indexing::Slice;
    const torch::Tensor other = images.index_select(0, p);
    images.index_put_({Slice(), Slice(), Slice(y0, y1), Slice(x0, x1)},
                      other.index({Slice(), Slice(), Slice(y0, y1), Slice(x0, x1)}));
    lam = 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / static_cast<double>(h * w);  // the area really pasted
  } else {
    lam = sample_beta(config.mixup_alpha, rng);
    images = images * lam + images.index_select(0, p) * (1 - lam);
  }
  targets = targets * lam + targets.index_select(0, p) * (1 - lam);
}

}  // namespace ferkit
