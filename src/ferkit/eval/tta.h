// Test-time augmentation, chosen by name: the model sees several views of each (preprocessed)
// image and the prediction is the mean of the views' softmax probabilities.
//   none      the image as is
//   flip      the image and its mirror image
//   ten-crop  the four corner crops and the centre crop (7/8 of the side, resized back to the
//             input size) and their mirror images
//   flip-shift the image and its mirror, each also moved one pixel up-left and one down-right
//             (edges replicated): airbench's multi-crop TTA, six views
#pragma once
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ferkit/models/model.h"

namespace ferkit {

std::vector<std::string> tta_names();
void check_tta_name(const std::string& name);  // throws Error listing the known names

// images: (N, C, S, S) preprocessed model inputs. Returns (N, 8) logits whose softmax is the mean
// of the views' probabilities (the log of that mean); "none" returns the model's own logits.
at::Tensor tta_logits(FerModel& model, const at::Tensor& images, const std::string& name);

}  // namespace ferkit
