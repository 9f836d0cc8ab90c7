// The per-layout readers behind load_dataset (internal to the data stage).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/data/dataset.h"

namespace ferkit::detail {

// One image to decode from a file, with where its row came from for messages.
struct ImageJob {
  std::string path;                 // image file
  std::string origin_file;          // the file that named it (label.csv), or the image itself
  long origin_line = 0;             // line in origin_file, 0 when none
  std::optional<cv::Rect> box;      // face box to crop, if any
  int64_t row = 0;                  // destination row in the output tensor
};

// Decodes jobs in parallel into rows of `images` (N, S, S) uint8, in place (one copy of the
// pixels ever exists). Failed jobs are reported in `errors` as (row, message).
void decode_images(const std::vector<ImageJob>& jobs, torch::Tensor& images, const LoadOptions& options,
                   std::vector<std::pair<size_t, std::string>>& errors);

// Converts one decoded grayscale image to S x S following the size policy; throws InputError.
cv::Mat fit_image(const cv::Mat& gray, const ImageJob& job, const LoadOptions& options);

// Applies the bad-input policy: throws the first error, or (skip_bad) records warnings and
// returns the kept row numbers.
std::vector<size_t> apply_error_policy(size_t n, const std::vector<std::pair<size_t, std::string>>& errors,
                                       const LoadOptions& options, LoadReport& report);

// Keeps the given rows of a split (after skipped rows).
void keep_rows(Split& split, const std::vector<size_t>& rows);

std::vector<Split> read_ferplus_folders(const std::string& root, const LoadOptions& options, LoadReport& report);
std::vector<Split> read_fer2013_csv(const std::string& root, const LoadOptions& options, LoadReport& report);
std::vector<Split> read_class_folders(const std::string& root, const LoadOptions& options, LoadReport& report);

}  // namespace ferkit::detail
