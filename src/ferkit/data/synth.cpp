#include "ferkit/data/synth.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace fs = std::filesystem;

// How often each expression is drawn. Weak and blended faces drift to neutral or to a neighbour
// in the votes, so these are set such that the majority labels come out close to FER+ train
// (neutral 35 %, happiness 29 %, ... disgust and contempt about 0.5 % each).
const std::array<double, kNumEmotions> kSynthClassPrior = {0.27, 0.285, 0.125, 0.125,
                                                           0.09, 0.012, 0.025, 0.01};

namespace {

constexpr int kParams = 8;
using Expression = std::array<double, kParams>;
// curve (smile +), open, width, asymmetry (one corner up), brow raise, brow slant (inner up +),
// eye opening, nose wrinkle / upper-lip raise
const std::array<Expression, kNumEmotions> kPrototypes = {{
    {0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 1.0, 0.0},     // neutral
    {0.9, 0.35, 1.1, 0.0, 0.1, 0.0, 0.75, 0.0},   // happiness
    {0.0, 0.9, 0.6, 0.0, 0.9, 0.0, 1.45, 0.0},    // surprise
    {-0.7, 0.0, 0.8, 0.0, 0.0, 0.8, 0.8, 0.0},    // sadness
    {-0.3, 0.1, 0.8, 0.0, -0.8, -0.9, 0.8, 0.0},  // anger
    {-0.5, 0.25, 0.8, 0.25, -0.5, -0.3, 0.6, 1.0},// disgust
    {-0.2, 0.6, 1.05, 0.0, 0.7, 0.7, 1.4, 0.0},   // fear
    {0.15, 0.0, 0.9, 0.9, 0.0, 0.0, 0.9, 0.0},    // contempt
}};
// How much annotators weigh each parameter when judging a face.
const Expression kJudgeWeight = {1.0, 1.0, 0.5, 1.2, 1.0, 1.0, 0.8, 1.2};

uint64_t mix_seed(uint64_t a, uint64_t b) {  // splitmix64 of a combination: decorrelated streams
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Canvas {
  cv::Mat img;         // CV_32F, supersampled
  double size;         // side in pixels
  double zoom = 1.3;   // face units to image half-sides: the face fills the frame, as FER crops do
  cv::Point to_px(double x, double y) const {  // face coordinates to 1/16-pixel points
    return cv::Point(static_cast<int>(std::lround((0.5 + 0.5 * zoom * x) * size * 16)),
                     static_cast<int>(std::lround((0.5 + 0.5 * zoom * y) * size * 16)));
  }
  // A length in face units as a line thickness (whole pixels) ...
  int len(double l) const { return std::max(1, static_cast<int>(std::lround(0.5 * zoom * l * size))); }
  // ... and as a radius or axis, which OpenCV reads in the same fixed point as coordinates.
  int rad(double l) const { return std::max(1, static_cast<int>(std::lround(0.5 * zoom * l * size * 16))); }
};
constexpr int kShift = 4;  // OpenCV drawing with 4 fractional bits

void draw_curve(Canvas& c, const std::vector<cv::Point2d>& ctrl, double value, double thickness) {
  // Quadratic Bezier through 3 control points.
  std::vector<cv::Point> pts;
  for (int i = 0; i <= 16; ++i) {
    const double t = i / 16.0;
    const cv::Point2d p = (1 - t) * (1 - t) * ctrl[0] + 2 * (1 - t) * t * ctrl[1] + t * t * ctrl[2];
    pts.push_back(c.to_px(p.x, p.y));
  }
  cv::polylines(c.img, pts, false, cv::Scalar(value), c.len(thickness), cv::LINE_AA, kShift);
}

std::vector<cv::Point> bezier(const Canvas& c, cv::Point2d a, cv::Point2d m, cv::Point2d b) {
  std::vector<cv::Point> pts;
  for (int i = 0; i <= 16; ++i) {
    const double t = i / 16.0;
    const cv::Point2d p = (1 - t) * (1 - t) * a + 2 * (1 - t) * t * m + t * t * b;
    pts.push_back(c.to_px(p.x, p.y));
  }
  return pts;
}

}  // namespace

namespace {

// The random draws of one face, in one fixed order (the data set is a pure function of the seed):
// one generator, and one normal distribution (it keeps the second value of each pair it makes).
struct Draws {
  std::mt19937_64 rng;
  std::uniform_real_distribution<double> U{0.0, 1.0};
  std::normal_distribution<double> N{0.0, 1.0};
  double uni(double a, double b) { return a + (b - a) * U(rng); }
  double normal() { return N(rng); }
};

// 1. The expression: a class, how strongly it shows, and a pull towards another class.
Expression draw_expression(Draws& d, int& cls) {
  std::discrete_distribution<int> prior(kSynthClassPrior.begin(), kSynthClassPrior.end());
  cls = prior(d.rng);
  const double intensity = d.uni(0.45, 1.0);
  Expression e;
  for (int k = 0; k < kParams; ++k)
    e[k] = kPrototypes[0][k] + intensity * (kPrototypes[cls][k] - kPrototypes[0][k]) + 0.1 * d.normal();
  if (d.U(d.rng) < 0.25) {  // ambiguous faces: blended with a second expression
    const int other = prior(d.rng);
    const double w = d.uni(0.0, 0.45);
    for (int k = 0; k < kParams; ++k) e[k] = (1 - w) * e[k] + w * kPrototypes[other][k];
  }
  return e;
}

// 2. Ten annotators judge it by distance to each prototype, each with their own noise; a few say
// unknown. Disagreement grows as the face sits between prototypes.
void draw_votes(Draws& d, const Expression& e, SynthFace& face) {
  for (int a = 0; a < 10; ++a) {
    if (d.U(d.rng) < 0.02) { ++face.votes[kUnknownColumn]; continue; }
    std::array<double, kNumEmotions> score;
    for (int j = 0; j < kNumEmotions; ++j) {
      double dist = 0;
      for (int k = 0; k < kParams; ++k) {
        const double diff = e[k] + 0.08 * d.normal() - kPrototypes[j][k];
        dist += kJudgeWeight[k] * diff * diff;
      }
      score[j] = -dist / 0.12;
    }
    const double top = *std::max_element(score.begin(), score.end());
    for (double& sc : score) sc = std::exp(sc - top);
    std::discrete_distribution<int> vote(score.begin(), score.end());
    ++face.votes[vote(d.rng)];
  }
}

// Eyes (lids open by eye_open, a pupil inside) and brows (raised by brow_raise, the inner end
// lifted by brow_slant).
void draw_eyes_and_brows(Canvas& c, Draws& d, const Expression& e, double skin, double dark) {
  const auto [curve, open, width, asym, brow_raise, brow_slant, eye_open, wrinkle] = e;
  const double eye_y = -0.12, eye_dx = d.uni(0.22, 0.28);
  for (int side : {-1, 1}) {
    const double ex = side * eye_dx;
    const double h = std::clamp(0.07 * eye_open, 0.01, 0.12);
    cv::ellipse(c.img, c.to_px(ex, eye_y), cv::Size(c.rad(0.11), c.rad(h)), 0, 0, 360, cv::Scalar(std::min(1.0, skin + 0.25)),
                cv::FILLED, cv::LINE_AA, kShift);
    cv::circle(c.img, c.to_px(ex + 0.01 * d.normal(), eye_y), c.rad(std::min(0.04, h)), cv::Scalar(dark), cv::FILLED, cv::LINE_AA,
               kShift);
    cv::ellipse(c.img, c.to_px(ex, eye_y), cv::Size(c.rad(0.11), c.rad(h)), 0, 0, 360, cv::Scalar(dark), c.len(0.015),
                cv::LINE_AA, kShift);
    const double by = -0.3 - 0.12 * brow_raise;
    const cv::Point2d inner(side * 0.08, by - 0.12 * brow_slant), outer(side * 0.4, by + 0.03 * brow_slant);
    draw_curve(c, {inner, 0.5 * (inner + outer) + cv::Point2d(0, -0.03), outer}, dark, 0.06);
  }
}

// The nose, with wrinkles across its bridge when the upper lip is raised (disgust); the mouth:
// corners up for a smile, one corner up for contempt, lips apart by `open`.
void draw_nose_and_mouth(Canvas& c, const Expression& e, double skin, double dark) {
  const auto [curve, open, width, asym, brow_raise, brow_slant, eye_open, wrinkle] = e;
  draw_curve(c, {{0.0, -0.05}, {0.03, 0.12}, {0.06, 0.18}}, skin * 0.7, 0.02);
  cv::circle(c.img, c.to_px(-0.05, 0.2), c.rad(0.02), cv::Scalar(dark), cv::FILLED, cv::LINE_AA, kShift);
  cv::circle(c.img, c.to_px(0.06, 0.2), c.rad(0.02), cv::Scalar(dark), cv::FILLED, cv::LINE_AA, kShift);
  if (wrinkle > 0.25) {
    const double v = skin - std::min(1.0, wrinkle) * (skin - dark) * 0.8;
    for (int i = 0; i < 3; ++i)
      draw_curve(c, {{-0.08, -0.02 + 0.04 * i}, {0.0, -0.04 + 0.04 * i}, {0.08, -0.02 + 0.04 * i}}, v, 0.015);
  }
  const double my = 0.42 - 0.05 * std::max(0.0, wrinkle), hw = 0.2 * std::clamp(width, 0.4, 1.4);
  const cv::Point2d left(-hw, my - 0.15 * curve - 0.15 * asym), right(hw, my - 0.15 * curve);
  const double gap = 0.25 * std::clamp(open, 0.0, 1.2);
  const cv::Point2d top_mid(0.0, my + 0.04 * curve - gap * 0.3), bottom_mid(0.0, my + 0.06 * curve + gap);
  if (gap > 0.02) {
    std::vector<cv::Point> poly = bezier(c, left, top_mid, right);
    const auto lower = bezier(c, right, bottom_mid, left);
    poly.insert(poly.end(), lower.begin(), lower.end());
    cv::fillPoly(c.img, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(dark * 0.6), cv::LINE_AA, kShift);
  }
  draw_curve(c, {left, 0.5 * (top_mid + bottom_mid), right}, dark, 0.045);
}

// 3. The face on a 4x canvas: background clutter, hair, head, features.
Canvas draw_face(Draws& d, const Expression& e, int big) {
  Canvas c{cv::Mat(big, big, CV_32F), static_cast<double>(big)};
  const double bg = d.uni(0.1, 0.9);
  c.img.setTo(cv::Scalar(bg));
  for (int i = 0; i < 6; ++i)  // background clutter
    cv::circle(c.img, c.to_px(d.uni(-1, 1), d.uni(-1, 1)), c.rad(d.uni(0.1, 0.5)), cv::Scalar(d.uni(0.05, 0.95)), cv::FILLED,
               cv::LINE_AA, kShift);
  const double skin = d.uni(0.45, 0.85);
  const double dark = skin * d.uni(0.15, 0.4);  // features
  const double fw = d.uni(0.55, 0.68), fh = d.uni(0.72, 0.86);
  // hair behind the head, then the face
  cv::ellipse(c.img, c.to_px(0, -0.12), cv::Size(c.rad(fw + 0.08), c.rad(fh)), 0, 0, 360,
              cv::Scalar(d.uni(0.02, 0.5)), cv::FILLED, cv::LINE_AA, kShift);
  cv::ellipse(c.img, c.to_px(0, 0.05), cv::Size(c.rad(fw), c.rad(fh)), 0, 0, 360, cv::Scalar(skin), cv::FILLED,
              cv::LINE_AA, kShift);
  draw_eyes_and_brows(c, d, e, skin, dark);
  draw_nose_and_mouth(c, e, skin, dark);
  return c;
}

// 4. As a camera would give it: pose (rotation, scale, shift), lighting (a gradient in a random
// direction, contrast), downsampling, blur and noise; then 8 bits.
cv::Mat photograph(Draws& d, const cv::Mat& canvas, int image_size) {
  const int big = canvas.rows;
  cv::Mat pose = cv::getRotationMatrix2D(cv::Point2f(big / 2.f, big / 2.f), d.uni(-12, 12), d.uni(0.85, 1.1));
  pose.at<double>(0, 2) += d.uni(-3, 3) * 4;
  pose.at<double>(1, 2) += d.uni(-3, 3) * 4;
  cv::Mat posed;
  cv::warpAffine(canvas, posed, pose, canvas.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  const double angle = d.uni(0, 2 * M_PI), strength = d.uni(0.0, 0.35), contrast = d.uni(0.7, 1.2);
  for (int y = 0; y < big; ++y) {
    float* row = posed.ptr<float>(y);
    for (int x = 0; x < big; ++x) {
      const double g = ((x - big / 2.0) * std::cos(angle) + (y - big / 2.0) * std::sin(angle)) / big;
      row[x] = static_cast<float>((row[x] - 0.5) * contrast + 0.5 + strength * g);
    }
  }
  cv::Mat small;
  cv::resize(posed, small, cv::Size(image_size, image_size), 0, 0, cv::INTER_AREA);
  const double blur = d.uni(0.0, 0.8);
  if (blur > 0.3) cv::GaussianBlur(small, small, cv::Size(0, 0), blur);
  const double noise = d.uni(0.0, 0.035);
  for (int y = 0; y < image_size; ++y) {
    float* row = small.ptr<float>(y);
    for (int x = 0; x < image_size; ++x) row[x] += static_cast<float>(noise * d.normal());
  }
  cv::Mat out;
  small.convertTo(out, CV_8U, 255.0);  // saturates to 0..255
  return out;
}

}  // namespace

SynthFace draw_synthetic_face(uint64_t seed, int split, int64_t index, int image_size) {
  Draws d{std::mt19937_64(mix_seed(mix_seed(seed, static_cast<uint64_t>(split) + 1), static_cast<uint64_t>(index)))};
  SynthFace face;
  const Expression e = draw_expression(d, face.drawn_class);
  draw_votes(d, e, face);
  const Canvas canvas = draw_face(d, e, image_size * 4);
  face.image = photograph(d, canvas.img, image_size);
  return face;
}

SynthSummary write_synthetic_dataset(const SynthConfig& config) {
  FERKIT_CHECK(!config.out.empty(), "synth: --out is required");
  FERKIT_CHECK(config.scale > 0 && config.scale <= 100, "synth: --scale must be in (0, 100]");
  FERKIT_CHECK(config.image_size >= 16 && config.image_size <= 256, "synth: --image-size must be in 16..256");
  const auto t0 = std::chrono::steady_clock::now();
  if (fs::exists(config.out) && !fs::is_directory(config.out)) throw Error(config.out + ": exists and is not a folder");
  if (fs::is_directory(config.out) && !fs::is_empty(config.out) && !config.force)
    throw Error(config.out + ": folder is not empty (pass --force to write into it)");

  SynthSummary summary;
  const std::array<const char*, 3> folders = {"FER2013Train", "FER2013Valid", "FER2013Test"};
  const std::array<int, 3> sizes = {config.train, config.valid, config.test};
  for (int split = 0; split < 3; ++split) {
    const int64_t n = std::max<int64_t>(1, std::llround(sizes[split] * config.scale));
    const fs::path dir = fs::path(config.out) / folders[split];
    fs::create_directories(dir);
    std::vector<std::string> rows(n);
    std::vector<std::string> errors(n);
    std::atomic<int64_t> next{0};
    auto work = [&]() {
      for (int64_t i = next++; i < n; i = next++) {
        try {
          const SynthFace face = draw_synthetic_face(config.seed, split, i, config.image_size);
          const std::string name = fmt::format("fer{:07d}.png", i);
          if (!cv::imwrite((dir / name).string(), face.image)) throw Error("cannot write " + (dir / name).string());
          std::string row = fmt::format("{},\"(0, 0, {}, {})\"", name, config.image_size, config.image_size);
          for (int v : face.votes) row += fmt::format(",{}", v);
          rows[i] = row + "\n";
        } catch (const std::exception& ex) {
          errors[i] = ex.what();
        }
      }
    };
    const int threads = config.threads > 0 ? config.threads : available_cores();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (const auto& e : errors)
      if (!e.empty()) throw Error(e);
    std::string csv;
    for (const auto& r : rows) csv += r;
    atomic_write_text((dir / "label.csv").string(), csv);  // last: a folder with label.csv is complete
    summary.images[split] = n;
  }
  atomic_write_text((fs::path(config.out) / "README.txt").string(),
                    fmt::format("Synthetic FER+-format data set written by `ferkit synth --seed {} --scale {}`.\n"
                                "Procedurally drawn faces; labels are 10 simulated annotator votes per image.\n"
                                "Not real people; for demos and tests only.\n",
                                config.seed, config.scale));
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace ferkit
