// The public Model (include/ferkit/model.h) over infer::Predictor.
#include "ferkit/model.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "ferkit/infer/face_detector.h"
#include "ferkit/infer/predictor.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/threads.h"

namespace ferkit {

struct Model::Impl {
  std::string path;
  std::unique_ptr<infer::Predictor> predictor;

  PhotoResult convert(const infer::ImagePrediction& p) const {
    if (!p.error.empty()) throw Error(p.source + ": " + p.error);
    PhotoResult r;
    r.source = p.source;
    r.width = p.width;
    r.height = p.height;
    const auto& names = predictor->info().class_names;
    for (const auto& f : p.faces) {
      Face face;
      face.box = f.box;
      for (size_t k = 0; k < f.probabilities.size() && k < names.size(); ++k) face.probabilities.emplace_back(names[k], f.probabilities[k]);
      if (f.top >= 0 && f.top < static_cast<int>(face.probabilities.size())) {
        face.emotion = face.probabilities[f.top].first;
        face.confidence = face.probabilities[f.top].second;
      }
      r.faces.push_back(std::move(face));
    }
    return r;
  }
};

Model::Model(const std::string& model, const ModelOptions& o) : impl_(std::make_unique<Impl>()) {
  set_threads(o.threads);
  infer::PredictOptions po;
  po.detector.kind = o.detector;
  po.detector.align = o.align;
  po.detector.margin = o.margin;
  impl_->path = bundle_path_of(model);
  impl_->predictor = std::make_unique<infer::Predictor>(impl_->path, po);
}

Model::~Model() = default;

const Model::Impl& Model::impl() const {
  if (!impl_) throw Error("ferkit::Model: used after it was moved from (assign a new Model to it first)");
  return *impl_;
}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

PhotoResult Model::predict_file(const std::string& path) const {
  const Impl& m = impl();
  if (path.find('\0') != std::string::npos) throw Error("a file path with a NUL byte in it: '" + path.substr(0, path.find('\0')) + "\\0...'");
  // A device or FIFO (/dev/zero) would be read without end: photos are regular files.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path + (std::filesystem::exists(path, ec) ? ": not a regular file" : ": no such file"));
  return m.convert(impl().predictor->predict_encoded(read_text_file(path), path));
}

PhotoResult Model::predict_bytes(const std::string& bytes, const std::string& source) const {
  return impl().convert(impl().predictor->predict_encoded(bytes, source));
}

PhotoResult Model::predict_image(const cv::Mat& image, const std::string& source) const {
  FERKIT_CHECK(!image.empty() && image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3),
               source + ": an 8-bit gray or BGR image is needed");
  const int64_t most = impl().predictor->options().max_pixels;
  FERKIT_CHECK(static_cast<int64_t>(image.cols) * image.rows <= most,
               fmt::format("{}: {}x{} pixels: larger than the limit of {} pixels", source, image.cols, image.rows, most));
  cv::Mat gray;
  if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  else gray = image;
  return impl().convert(impl().predictor->predict_gray(gray, source));
}

void Model::predict_crops(const std::uint8_t* pixels, std::int64_t count, int height, int width, float* out) const {
  FERKIT_CHECK(count >= 0 && height > 0 && width > 0, fmt::format("face crops: {} images of {}x{} pixels", count, width, height));
  FERKIT_CHECK(count == 0 || (pixels && out), "face crops: no pixels or no output buffer");
  const int side = impl().predictor->stored_size();
  const size_t classes = impl().predictor->info().class_names.size();
  constexpr std::int64_t kChunk = 256;  // crops prepared at a time: bounded memory for any count
  for (std::int64_t start = 0; start < count; start += kChunk) {
    const std::int64_t n = std::min(kChunk, count - start);
    std::vector<cv::Mat> crops;
    for (std::int64_t i = 0; i < n; ++i) {
      const cv::Mat view(height, width, CV_8UC1, const_cast<std::uint8_t*>(pixels) + (start + i) * height * width);
      crops.push_back(infer::crop_face(view, cv::Rect(0, 0, width, height), 0.0, side));  // "none": the whole image
    }
    const auto probs = impl().predictor->classify(crops);
    for (std::int64_t i = 0; i < n; ++i) std::copy(probs[i].begin(), probs[i].end(), out + (start + i) * classes);
  }
}

const std::vector<std::string>& Model::classes() const { return impl().predictor->info().class_names; }
const std::string& Model::path() const { return impl().path; }
std::string Model::detector() const { return impl().predictor->detector_source(); }

}  // namespace ferkit
