// The image operations that training augmentation (data/augment.h) and the robustness benchmark's
// perturbations (data/perturb.h) both apply, written once: the same borders, interpolation and
// arithmetic, so that a model trained with an augmentation at some strength has seen exactly what
// the benchmark measures at that strength. Each acts on a float gray image in [0, 1] (CV_32F),
// with its parameters given; drawing them at random is the caller's business.
#pragma once
#include <opencv2/core.hpp>

namespace ferkit {

// Outside the image, a warp reads the image mirrored about its edge pixel (BORDER_REFLECT_101):
// a shifted or rotated face brings in more face-like texture, not smeared edge pixels.
constexpr int kImageBorder = cv::BORDER_REFLECT_101;

// Rotation by angle_deg (clockwise as seen, y pointing down) and zoom by `scale` about the image centre,
// then a shift of (dx, dy) pixels, as a 2x3 map from source to output pixel coordinates (pixel
// centres at integers) of a side x side image.
cv::Matx23d framing_map(int side, double scale, double angle_deg, double dx, double dy);

// Gamma, then contrast about the mean, then brightness: x^gamma, c * (y - mean(y)) + mean(y) + b,
// clamped to [0, 1].
void apply_tone(cv::Mat& image, double gamma, double contrast, double brightness);

// Gaussian blur of sigma pixels of a 48-pixel face (scaled to the image's side).
void apply_blur(cv::Mat& image, double sigma_of_48);

// Down to side / factor (area averaging) and back up (bilinear): a low-resolution face.
void apply_lowres(cv::Mat& image, double factor);

// A JPEG round trip at `quality` (1-100) through 8-bit grey levels.
void apply_jpeg(cv::Mat& image, int quality);

}  // namespace ferkit
