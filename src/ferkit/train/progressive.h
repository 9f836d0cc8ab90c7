// Progressive resizing (`--progressive-resize 32:4,40:4`): the first epochs train on smaller
// images, then the rest at --input-size. A convolution's cost grows with the pixels, so an epoch
// at 32x32 costs about (32/48)^2 = 0.44 of one at 48x48; the network (global average pooling)
// takes any size, and the last epochs at full size adapt it (and its BatchNorm statistics) to the
// size it is evaluated and deployed at. From the ImageNet speedruns (fast.ai's DAWNBench entry,
// Keller Jordan's ResNet-18 runs). The training batch is shrunk after augmentation, with
// antialiasing; validation, distillation teachers and the bundle always see --input-size.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ferkit {

struct ResizeStage {
  int size = 0;    // training image side during this stage
  int epochs = 0;  // how many epochs it lasts
};

// "SIZE:EPOCHS[,SIZE:EPOCHS...]" in training order; "" or "none" is no stage. Throws
// std::invalid_argument on malformed text.
std::vector<ResizeStage> parse_progressive_resize(const std::string& text);

// Throws Error when the stages cannot work with this run: sides must grow, stay below input_size
// and at or above the backbone's smallest input, and leave at least one epoch at input_size.
void validate_progressive_resize(const std::vector<ResizeStage>& stages, int input_size, int epochs, int min_input);

// The side that epoch (0-based) trains at.
int training_side_at(const std::vector<ResizeStage>& stages, int64_t epoch, int input_size);

// (B, C, S, S) float images shrunk to (B, C, side, side): bilinear with antialiasing (what a
// smaller photo of the same face would look like); returned unchanged when side is S.
at::Tensor resize_training_batch(const at::Tensor& images, int side);

}  // namespace ferkit
