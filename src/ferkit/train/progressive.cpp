#include "ferkit/train/progressive.h"

#include <stdexcept>

#include <fmt/format.h>
#include <torch/nn/functional/upsampling.h>

#include "ferkit/util/error.h"
#include "ferkit/util/text.h"

namespace ferkit {

std::vector<ResizeStage> parse_progressive_resize(const std::string& text) {
  std::vector<ResizeStage> stages;
  if (text.empty() || text == "none") return stages;
  for (const std::string& item : split_list(text)) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      throw std::invalid_argument("'" + item + "' is not SIZE:EPOCHS");
    size_t used_size = 0, used_epochs = 0;
    ResizeStage s;
    try {
      s.size = std::stoi(item.substr(0, colon), &used_size);
      s.epochs = std::stoi(item.substr(colon + 1), &used_epochs);
    } catch (const std::exception&) {
      throw std::invalid_argument("'" + item + "' is not SIZE:EPOCHS");
    }
    if (used_size != colon || used_epochs != item.size() - colon - 1 || s.size < 1 || s.epochs < 1)
      throw std::invalid_argument("'" + item + "' is not SIZE:EPOCHS with both positive whole numbers");
    stages.push_back(s);
  }
  return stages;
}

void validate_progressive_resize(const std::vector<ResizeStage>& stages, int input_size, int epochs, int min_input) {
  int total = 0, previous = 0;
  for (const ResizeStage& s : stages) {
    FERKIT_CHECK(s.size > previous, fmt::format("progressive_resize: sides must grow from stage to stage ({} after {})", s.size, previous));
    FERKIT_CHECK(s.size < input_size, fmt::format("progressive_resize: side {} is not below input_size {}", s.size, input_size));
    FERKIT_CHECK(s.size >= min_input, fmt::format("progressive_resize: side {} is below the backbone's smallest input, {}", s.size, min_input));
    previous = s.size;
    total += s.epochs;
  }
  FERKIT_CHECK(stages.empty() || total < epochs,
               fmt::format("progressive_resize: its stages take {} of the {} epochs; at least the last must train at input_size {}",
                           total, epochs, input_size));
}

int training_side_at(const std::vector<ResizeStage>& stages, int64_t epoch, int input_size) {
  int64_t end = 0;
  for (const ResizeStage& s : stages) {
    end += s.epochs;
    if (epoch < end) return s.size;
  }
  return input_size;
}

at::Tensor resize_training_batch(const at::Tensor& images, int side) {
  if (images.size(-1) == side && images.size(-2) == side) return images;
  namespace F = torch::nn::functional;
  return F::interpolate(images, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{side, side})
                                    .mode(torch::kBilinear)
                                    .align_corners(false)
                                    .antialias(true));
}

}  // namespace ferkit
