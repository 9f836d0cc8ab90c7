#include "ferkit/infer/predict_inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "ferkit/data/image_header.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/threads.h"

namespace ferkit::infer {
namespace fs = std::filesystem;
namespace {

const std::set<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"};
const std::set<std::string> kVideoExtensions = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"};

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

struct Input {
  std::string path;
  bool video = false;
  std::string error;  // the path itself is bad
};

// Files as given; folders walked recursively for images and videos (sorted: a stable output).
std::vector<Input> expand_inputs(const std::vector<std::string>& args) {
  std::vector<Input> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(a, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        const std::string e = lower_extension(it->path());
        if (kImageExtensions.count(e) || kVideoExtensions.count(e)) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) out.push_back({a, false, "a folder without images or videos"});
      for (const auto& f : found) out.push_back({f, kVideoExtensions.count(lower_extension(f)) > 0, ""});
    } else if (fs::is_regular_file(a, ec)) {
      out.push_back({a, kVideoExtensions.count(lower_extension(a)) > 0, ""});
    } else {
      out.push_back({a, false, fs::exists(a, ec) ? "not a regular file" : "no such file or folder"});
    }
  }
  return out;
}

std::string read_file_limited(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  FERKIT_CHECK(!ec, "cannot read: " + ec.message());
  FERKIT_CHECK(static_cast<int64_t>(size) <= max_bytes, fmt::format("{} bytes: larger than the limit of {} bytes", size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  FERKIT_CHECK(in, "cannot open");
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  FERKIT_CHECK(in.gcount() == static_cast<std::streamsize>(size), "cannot read the whole file");
  return bytes;
}

ImagePrediction failed(const std::string& source, const std::string& error) {
  ImagePrediction p;
  p.source = source;
  p.error = error;
  return p;
}

// Counts every prediction on its way to the caller.
struct CountingSink {
  const OnPrediction& on_prediction;
  InputCounts counts;
  void operator()(const ImagePrediction& p, const cv::Mat& image) {
    ++counts.inputs;
    if (!p.error.empty()) ++counts.failed;
    counts.faces += static_cast<int64_t>(p.faces.size());
    on_prediction(p, image);
  }
};

void predict_video_input(Predictor& predictor, const Input& in, const InputOptions& o, CountingSink& sink) {
  try {
    predict_video(predictor, in.path, o.every, o.max_frames, [&](const ImagePrediction& p, const cv::Mat& frame) { sink(p, frame); });
  } catch (const Error& e) {
    sink(failed(in.path, e.what()), cv::Mat());
  }
}

// A run of images: read and decoded in parallel, their faces classified together.
void predict_image_chunk(Predictor& predictor, const std::vector<Input>& chunk, const InputOptions& o, CountingSink& sink) {
  const size_t n = chunk.size();
  std::vector<cv::Mat> grays(n), colours(n);
  std::vector<std::string> errors(n), warnings(n);
  parallel_for_each(static_cast<int64_t>(n), o.threads, [&](int64_t i) {
    try {
      const std::string bytes = read_file_limited(chunk[i].path, predictor.options().max_bytes);
      grays[i] = predictor.decode(bytes);
      warnings[i] = image_truncation_warning(bytes);
      if (o.keep_colour)
        colours[i] = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())), cv::IMREAD_COLOR);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  }, 1);
  std::vector<cv::Mat> ok;
  std::vector<std::string> sources;
  for (size_t i = 0; i < n; ++i)
    if (errors[i].empty()) ok.push_back(grays[i]), sources.push_back(chunk[i].path);
  const auto predictions = predictor.predict_gray_batch(ok, sources);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!errors[i].empty()) {
      sink(failed(chunk[i].path, errors[i]), cv::Mat());
      continue;
    }
    ImagePrediction p = predictions[k++];
    p.warning = warnings[i];
    sink(p, colours[i].empty() ? grays[i] : colours[i]);
  }
}

}  // namespace

InputCounts predict_inputs(Predictor& predictor, const std::vector<std::string>& args, const InputOptions& o,
                           const OnPrediction& on_prediction) {
  CountingSink sink{on_prediction, {}};
  const std::vector<Input> inputs = expand_inputs(args);
  const int64_t total = static_cast<int64_t>(inputs.size());
  for (size_t begin = 0; begin < inputs.size();) {
    if (o.on_progress) o.on_progress(static_cast<int64_t>(begin), total);
    const Input& first = inputs[begin];
    if (!first.error.empty()) {
      sink(failed(first.path, first.error), cv::Mat());
      ++begin;
    } else if (first.video) {
      predict_video_input(predictor, first, o, sink);
      ++begin;
    } else {
      size_t end = begin;
      while (end < inputs.size() && end - begin < o.chunk && !inputs[end].video && inputs[end].error.empty()) ++end;
      predict_image_chunk(predictor, std::vector<Input>(inputs.begin() + begin, inputs.begin() + end), o, sink);
      begin = end;
    }
  }
  if (o.on_progress) o.on_progress(total, total);
  return sink.counts;
}

std::string annotated_name(const ImagePrediction& p) {
  const std::string stem = fs::path(p.source).stem().string();
  return p.frame >= 0 ? fmt::format("{}_f{:06d}.png", stem, p.frame) : stem + ".png";
}

std::string AnnotatedNames::claim(const ImagePrediction& p) {
  const std::string plain = annotated_name(p);
  std::string name = plain;
  const auto taken = [this](const std::string& n) { return std::binary_search(used_.begin(), used_.end(), n); };
  for (int k = 2; taken(name); ++k) {
    const fs::path base(plain);
    name = base.stem().string() + "-" + std::to_string(k) + base.extension().string();
  }
  used_.insert(std::upper_bound(used_.begin(), used_.end(), name), name);
  if (name != plain) renamed_.emplace_back(p.source, name);
  return name;
}

AnnotationFolder::AnnotationFolder(const std::string& folder, const std::vector<std::string>& inputs) : folder_(folder) {
  check_output_folder(folder, inputs, "--annotate");
  fs::create_directories(folder);
}

void AnnotationFolder::write(const ImagePrediction& p, const cv::Mat& image, const std::vector<std::string>& class_names) {
  const fs::path dst = fs::path(folder_) / names_.claim(p);
  try {
    std::vector<uchar> png;
    FERKIT_CHECK(cv::imencode(dst.extension().string(), annotate(image, p, class_names), png), "cannot encode " + dst.string());
    atomic_write_text(dst.string(), std::string(png.begin(), png.end()));
  } catch (const Error&) {
    unwritten_.push_back(dst.string());
    throw;
  }
}

void EmotionTally::add(const ImagePrediction& p) {
  for (const auto& f : p.faces) {
    if (f.top < 0) continue;
    if (tops_.size() <= static_cast<size_t>(f.top)) tops_.resize(f.top + 1, 0);
    ++tops_[f.top];
    ++faces_;
  }
}

std::string EmotionTally::text(const std::vector<std::string>& class_names) const {
  std::string out;
  for (size_t k = 0; k < tops_.size() && k < class_names.size(); ++k)
    if (tops_[k] > 0) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", class_names[k], tops_[k]);
  return out;
}

}  // namespace ferkit::infer
