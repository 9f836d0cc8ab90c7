// Decoding image files into the data set's uint8 tensor, in parallel, with file:line errors.
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "ferkit/data/image_header.h"
#include "ferkit/data/readers.h"
#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit::detail {

namespace {
std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }
}  // namespace

cv::Mat fit_image(const cv::Mat& gray, const ImageJob& job, const LoadOptions& options) {
  const int s = options.image_size;
  cv::Mat face = gray;
  if (job.box) {
    const cv::Rect whole(0, 0, gray.cols, gray.rows);
    const cv::Rect& b = *job.box;
    if (b.width <= 0 || b.height <= 0 || (b & whole) != b)
      throw InputError(job.origin_file, job.origin_line,
                       "face box (" + std::to_string(b.x) + ", " + std::to_string(b.y) + ", " + std::to_string(b.width) +
                           ", " + std::to_string(b.height) + ") is outside the " + size_text(gray.cols, gray.rows) +
                           " image " + job.path);
    // A box that is the whole image is the common FER+ case; a smaller one is cropped and then
    // brought to the stored size, which is what a face box is for.
    if (b != whole) {
      cv::Mat out;
      cv::resize(gray(b), out, cv::Size(s, s), 0, 0, cv::INTER_AREA);
      return out;
    }
  }
  if (face.cols == s && face.rows == s) return face;
  if (!options.resize)
    throw InputError(job.origin_file, job.origin_line,
                     "image " + job.path + " is " + size_text(face.cols, face.rows) + ", expected " + size_text(s, s) +
                         " (pass --resize to resize images, or --image-size to change the size)");
  cv::Mat out;
  cv::resize(face, out, cv::Size(s, s), 0, 0, face.cols > s ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

namespace {
// The file's bytes, checked against the size its header declares before a pixel is allocated
// (a 389 KB PNG can declare 20000 x 20000), then decoded to gray. Empty when unreadable.
cv::Mat read_gray(const ImageJob& job, const LoadOptions& options) {
  std::ifstream in(job.path, std::ios::binary);
  if (!in) return cv::Mat();
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int w = 0, h = 0;
  if (image_header_size(bytes, w, h) && static_cast<int64_t>(w) * h > options.max_pixels)
    throw InputError(job.origin_file, job.origin_line,
                     "image " + job.path + " declares " + size_text(w, h) + " pixels, more than the limit of " +
                         std::to_string(options.max_pixels) + " (not decoded)");
  if (bytes.empty()) return cv::Mat();
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())), cv::IMREAD_GRAYSCALE);
}
}  // namespace

void decode_images(const std::vector<ImageJob>& jobs, torch::Tensor& images, const LoadOptions& options,
                   std::vector<std::pair<size_t, std::string>>& errors) {
  const int s = options.image_size;
  FERKIT_CHECK(images.dim() == 3 && images.size(1) == s && images.size(2) == s && images.is_contiguous(),
               "decode_images: output must be (N, S, S) contiguous");
  uint8_t* base = images.data_ptr<uint8_t>();
  std::vector<std::string> job_errors(jobs.size());
  std::atomic<size_t> next{0};

  auto work = [&]() {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      const ImageJob& job = jobs[i];
      try {
        cv::Mat gray = read_gray(job, options);
        if (gray.empty()) {
          std::error_code ec;
          const bool exists = std::filesystem::exists(job.path, ec);
          const auto bytes = exists ? std::filesystem::file_size(job.path, ec) : 0;
          throw InputError(job.origin_file, job.origin_line,
                           !exists      ? "image " + job.path + " does not exist"
                           : bytes == 0 ? "image " + job.path + " is empty (0 bytes)"
                                        : "image " + job.path + " cannot be decoded (corrupt or not an image)");
        }
        if (gray.depth() != CV_8U) gray.convertTo(gray, CV_8U, 1.0 / 257.0);  // 16-bit PNG
        cv::Mat fitted = fit_image(gray, job, options);
        uint8_t* dst = base + job.row * static_cast<size_t>(s) * s;
        for (int r = 0; r < s; ++r) std::memcpy(dst + r * s, fitted.ptr<uint8_t>(r), s);
      } catch (const std::exception& e) {
        job_errors[i] = e.what();
      }
    }
  };
  const int n_threads = std::max(1, std::min<int>(options.threads > 0 ? options.threads : available_cores(),
                                                  static_cast<int>(jobs.size() / 64 + 1)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < jobs.size(); ++i)
    if (!job_errors[i].empty()) errors.emplace_back(jobs[i].row, job_errors[i]);
}

std::vector<size_t> apply_error_policy(size_t n, const std::vector<std::pair<size_t, std::string>>& errors,
                                       const LoadOptions& options, LoadReport& report) {
  std::vector<char> bad(n, 0);
  for (const auto& [row, message] : errors) {
    if (!options.skip_bad) throw Error(message + (errors.size() > 1 ? " (and " + std::to_string(errors.size() - 1) +
                                                                          " more problems; --skip-bad skips bad rows)"
                                                                    : " (--skip-bad skips bad rows)"));
    if (row < n && !bad[row]) {
      bad[row] = 1;
      ++report.skipped;
      if (report.warnings.size() < 20) report.warnings.push_back(message);
    }
  }
  std::vector<size_t> kept;
  kept.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (!bad[i]) kept.push_back(i);
  return kept;
}

void keep_rows(Split& split, const std::vector<size_t>& rows) {
  if (rows.size() == split.files.size()) return;
  std::vector<int64_t> idx(rows.begin(), rows.end());
  torch::Tensor index = torch::tensor(idx, torch::kInt64);
  split.images = split.images.index_select(0, index).contiguous();
  split.votes = split.votes.index_select(0, index).contiguous();
  std::vector<std::string> files;
  files.reserve(rows.size());
  for (size_t r : rows) files.push_back(std::move(split.files[r]));
  split.files = std::move(files);
}

}  // namespace ferkit::detail
