#include "ferkit/data/perturb.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "ferkit/data/image_ops.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {

// The strengths of each level. Framing and tone draw their parameters uniformly within +-the
// value per image; blur, resolution and JPEG are fixed per level.
struct Strength {
  double framing_scale, framing_rotation_deg, framing_shift;  // shift as a share of the side
  double tone_gamma, tone_contrast, tone_brightness;          // gamma in [1/g, g]; contrast x(1 +- c); +-b grey levels
  double blur_sigma;                                          // Gaussian, in pixels of a 48-pixel face
  double resolution_factor;                                   // down to side / f, then back up
  int jpeg_quality;
};
constexpr Strength kLevels[3] = {
    {0.05, 5, 0.03, 1.25, 0.20, 10, 0.6, 1.5, 50},
    {0.10, 10, 0.06, 1.60, 0.35, 25, 1.2, 2.0, 25},
    {0.20, 20, 0.10, 2.20, 0.50, 45, 2.0, 3.0, 10},
};

const Strength& strength(int level) {
  FERKIT_CHECK(level >= 1 && level <= 3, fmt::format("perturbation level {}: must be 1 (mild), 2 (moderate) or 3 (strong)", level));
  return kLevels[level - 1];
}

double uniform(std::mt19937_64& rng, double half_width) {
  return std::uniform_real_distribution<double>(-half_width, half_width)(rng);
}

// Each kind through the operations augmentation uses (data/image_ops.h), on the face as float
// grey levels in [0, 1].
void framing(cv::Mat& g, const Strength& s, std::mt19937_64& rng) {
  const double scale = 1.0 + uniform(rng, s.framing_scale);
  const double angle = uniform(rng, s.framing_rotation_deg);
  const double dx = uniform(rng, s.framing_shift) * g.cols, dy = uniform(rng, s.framing_shift) * g.rows;
  cv::Mat out;
  cv::warpAffine(g, out, cv::Mat(framing_map(g.cols, scale, angle, dx, dy)), g.size(), cv::INTER_LINEAR, kImageBorder);
  g = out;
}

void tone(cv::Mat& g, const Strength& s, std::mt19937_64& rng) {
  const double gamma = std::exp(uniform(rng, std::log(s.tone_gamma)));
  const double contrast = 1.0 + uniform(rng, s.tone_contrast);
  const double brightness = uniform(rng, s.tone_brightness) / 255.0;
  apply_tone(g, gamma, contrast, brightness);
}

// The perturbation registry: each kind by name, in the benchmark's order, with its operation and
// the words for one level's strength.
struct PerturbationKind {
  std::string name;
  void (*apply)(cv::Mat& face, const Strength& s, std::mt19937_64& rng);
  std::string (*describe)(const Strength& s);
  double (*fixed)(const Strength& s);  // the kind's one strength per level (0: drawn per image)
};
const std::vector<PerturbationKind>& kinds() {
  static const std::vector<PerturbationKind> k = {
      {"framing", framing,
       [](const Strength& s) {
         return fmt::format("scale +-{:.0f} %, rotation +-{:.0f} deg, shift +-{:.0f} %", 100 * s.framing_scale, s.framing_rotation_deg,
                            100 * s.framing_shift);
       },
       [](const Strength&) { return 0.0; }},
      {"tone", tone,
       [](const Strength& s) {
         return fmt::format("gamma x/ {:.2f}, contrast +-{:.0f} %, brightness +-{:.0f}", s.tone_gamma, 100 * s.tone_contrast,
                            s.tone_brightness);
       },
       [](const Strength&) { return 0.0; }},
      {"blur", [](cv::Mat& g, const Strength& s, std::mt19937_64&) { apply_blur(g, s.blur_sigma); },
       [](const Strength& s) { return fmt::format("Gaussian sigma {:.1f} px (of 48)", s.blur_sigma); },
       [](const Strength& s) { return s.blur_sigma; }},
      {"resolution", [](cv::Mat& g, const Strength& s, std::mt19937_64&) { apply_lowres(g, s.resolution_factor); },
       [](const Strength& s) { return fmt::format("down to 1/{:.1f} of the side and back", s.resolution_factor); },
       [](const Strength& s) { return s.resolution_factor; }},
      {"jpeg", [](cv::Mat& g, const Strength& s, std::mt19937_64&) { apply_jpeg(g, s.jpeg_quality); },
       [](const Strength& s) { return fmt::format("JPEG quality {}", s.jpeg_quality); },
       [](const Strength& s) { return static_cast<double>(s.jpeg_quality); }}};
  return k;
}

const PerturbationKind& kind_named(const std::string& name) {
  std::map<std::string, const PerturbationKind*> by_name;
  for (const auto& k : kinds()) by_name[k.name] = &k;
  return *registry_lookup(by_name, name, "perturbation");
}

}  // namespace

std::vector<std::string> perturbation_kinds() {
  std::vector<std::string> names;
  for (const auto& k : kinds()) names.push_back(k.name);
  return names;
}

std::string level_name(int level) {
  strength(level);
  return level == 1 ? "mild" : level == 2 ? "moderate" : "strong";
}

const std::vector<PerturbationLevel>& perturbation_table() {
  static const std::vector<PerturbationLevel> table = [] {
    std::vector<PerturbationLevel> t;
    for (const auto& k : kinds())  // kind-major, levels 1..3
      for (int level = 1; level <= 3; ++level) t.push_back({k.name, level, k.describe(kLevels[level - 1]), k.fixed(kLevels[level - 1])});
    return t;
  }();
  return table;
}

cv::Mat perturb_image(const cv::Mat& gray, const std::string& kind, int level, uint64_t draw) {
  FERKIT_CHECK(!gray.empty() && gray.type() == CV_8UC1, "perturb: an 8-bit gray image is needed");
  const Strength& s = strength(level);
  std::mt19937_64 rng(draw);
  const PerturbationKind& k = kind_named(kind);
  cv::Mat face, out;
  gray.convertTo(face, CV_32F, 1.0 / 255.0);
  k.apply(face, s, rng);
  face.convertTo(out, CV_8U, 255.0);  // rounded to the nearest grey level
  return out;
}

at::Tensor perturb_images(const at::Tensor& images, const std::string& kind, int level, uint64_t seed) {
  FERKIT_CHECK(images.dim() == 3 && images.scalar_type() == at::kByte && images.is_contiguous(),
               "perturb: images must be a contiguous (N, S, S) uint8 tensor");
  at::Tensor out = images.clone();
  const int64_t n = images.size(0), h = images.size(1), w = images.size(2);
  uint8_t* data = out.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    cv::Mat face(static_cast<int>(h), static_cast<int>(w), CV_8UC1, data + i * h * w);
    perturb_image(face, kind, level, seed * 1000003ULL + static_cast<uint64_t>(i)).copyTo(face);
  }
  return out;
}

}  // namespace ferkit
