// Image perturbations at set strengths, for the robustness benchmark (eval/robustness.h): how a
// model trained on FER2013's look fares when the framing, tone, sharpness, resolution or
// compression of a face differ. Each kind has three levels (1 mild, 2 moderate, 3 strong); the
// strengths are in perturbation_table() and docs/evaluation.md. Deterministic: image i of a set gets
// the same random draw for the same seed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core.hpp>

namespace ferkit {

struct PerturbationLevel {
  std::string kind;       // framing, tone, blur, resolution, jpeg
  int level = 1;          // 1 mild, 2 moderate, 3 strong
  std::string strength;   // in words, e.g. "scale +-5 %, rotation +-5 deg, shift +-3 %"
  double fixed = 0;       // blur sigma (of 48 px), resolution factor or JPEG quality; 0 for framing and tone (drawn per image)
};

std::vector<std::string> perturbation_kinds();
const std::vector<PerturbationLevel>& perturbation_table();  // every kind at levels 1..3
std::string level_name(int level);                          // mild, moderate, strong

// One 8-bit gray image perturbed; `draw` seeds this image's random parameters. Throws Error on
// an unknown kind (naming the known ones) or a level outside 1..3.
cv::Mat perturb_image(const cv::Mat& gray, const std::string& kind, int level, uint64_t draw);

// Every image of (N, S, S) uint8, image i with draw seed * 1000003 + i; returns a new tensor.
at::Tensor perturb_images(const at::Tensor& images, const std::string& kind, int level, uint64_t seed);

}  // namespace ferkit
