// Augmentations, chosen by name from a registry. Geometric ones (flip, altflip, crop, affine) compose one
// affine map, applied in a single warp that also resizes to the model input (one interpolation);
// photometric ones (color, gamma, blur, lowres, jpeg, erase) then act on the warped image, in the
// order given; mixup/cutmix act on batches.
#pragma once
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <ATen/core/Tensor.h>  // at::Tensor only: keeps this header cheap to include

#include "ferkit/data/preprocess.h"

namespace ferkit {

using Rng = std::mt19937_64;

struct AugmentConfig {
  std::string ops = "flip,affine,color";  // applied in order (geometric ones before the warp)
  double flip_p = 0.5;                    // flip: probability of a horizontal flip
  double crop_area_min = 0.75;            // crop: random resized crop, area fraction in [min, 1]
  double crop_ratio_max = 4.0 / 3.0;      // crop: aspect ratio in [1/max, max] (log-uniform)
  double shift = 0.08;                    // affine: translation, fraction of the side
  double rotate_deg = 10.0;               // affine: rotation in [-deg, deg]
  double scale = 0.1;                     // affine: zoom in [1 - scale, 1 + scale]
  double brightness = 0.2;                // color: additive, in units of the full range
  double contrast = 0.2;                  // color: factor in [1 - c, 1 + c] around the mean
  double erase_p = 0.25;                  // erase: probability of erasing one rectangle
  double erase_area_max = 0.2;            // erase: its area fraction in [0.02, max]
  // Robustness to faces that do not look like FER2013's (the robustness benchmark's kinds):
  double gamma = 1.4;                     // gamma: exponent in [1/gamma, gamma] (log-uniform)
  double blur_p = 0.3;                    // blur: probability of a Gaussian blur ...
  // (The *_min and jpeg_quality_max bounds are not config keys: equal to their partner they make
  // the augmentation one fixed strength, e.g. a robustness benchmark level, as tests do.)
  double blur_sigma_min = 0.1;            // ... of sigma in [min, ...
  double blur_sigma = 1.5;                // ... max] pixels of a 48-pixel face
  double lowres_p = 0.3;                  // lowres: probability of a round trip through ...
  double lowres_factor_min = 1.0;         // ... a side min to ...
  double lowres_factor = 3.0;             // ... factor times smaller
  double jpeg_p = 0.3;                    // jpeg: probability of a JPEG round trip ...
  double jpeg_quality_min = 15;           // ... at a quality in [min, ...
  double jpeg_quality_max = 95;           // ... max]
  double mixup_alpha = 0.0;               // batch: mixup Beta(alpha, alpha); 0 = off
  double cutmix_alpha = 0.0;              // batch: cutmix Beta(alpha, alpha); 0 = off
  double mix_p = 1.0;                     // batch: probability that a batch is mixed
};

// The names in the registry, and a check that every name in `ops` is one.
std::vector<std::string> augment_names();
void validate_augment(const AugmentConfig& config);

// Which image of which epoch is being drawn: what `altflip` needs (airbench's alternating flip:
// an image is flipped in every other epoch, starting from a per-image coin). image < 0: unknown.
struct DrawKey {
  int64_t image = -1;
  int64_t epoch = 0;
  uint64_t seed = 0;
};

// The state a geometric augmentation edits: a 2x3 map from source to output pixels, in the
// source image's pixel coordinates (pixel centres at integers).
struct Geometry {
  DrawKey key;
  cv::Matx23d source_to_output = cv::Matx23d(1, 0, 0, 0, 1, 0);
  int source_size = 48;
  // Where the last random crop came from, for tests (x, y, w, h in source pixels).
  cv::Rect2d last_crop;
};

// One image: uint8 S x S gray in; float C x H x W out (normalised) written to `out`.
// With train = false no augmentation is applied: only the resize and normalisation.
void augment_image(const cv::Mat& gray, const AugmentConfig& config, const Preprocess& pre, bool train, Rng& rng,
                   float* out, Geometry* geometry_out = nullptr, const DrawKey& key = {});

// The geometric ops alone (exposed for tests): composes the map for `ops`.
Geometry sample_geometry(int source_size, const AugmentConfig& config, Rng& rng, const DrawKey& key = {});

// Mixup or cutmix on a batch, in place: images (B, C, H, W), targets (B, 8).
void mix_batch(at::Tensor& images, at::Tensor& targets, const AugmentConfig& config, Rng& rng);

// A draw from Beta(a, a) (two gamma draws).
double sample_beta(double a, Rng& rng);

}  // namespace ferkit
