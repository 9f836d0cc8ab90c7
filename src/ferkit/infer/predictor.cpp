#include "ferkit/infer/predictor.h"

#include <mutex>
#include <condition_variable>
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/videoio.hpp>
#include <torch/torch.h>

#include "ferkit/data/augment.h"
#include "ferkit/util/error.h"

namespace ferkit::infer {

// The bytes of the decodes running now, bounded: a decode waits until its share fits.
struct Predictor::DecodeBudget {
  std::mutex mutex;
  std::condition_variable freed;
  int64_t in_use = 0;
  const int64_t limit;
  explicit DecodeBudget(int64_t l) : limit(l) {}
  class Lease {
   public:
    Lease(DecodeBudget& b, int64_t bytes) : b_(b), bytes_(std::min(bytes, b.limit)) {
      std::unique_lock<std::mutex> lock(b_.mutex);
      b_.freed.wait(lock, [&] { return b_.in_use + bytes_ <= b_.limit; });
      b_.in_use += bytes_;
    }
    ~Lease() {
      {
        std::lock_guard<std::mutex> lock(b_.mutex);
        b_.in_use -= bytes_;
      }
      b_.freed.notify_all();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    DecodeBudget& b_;
    int64_t bytes_;
  };
};

Predictor::~Predictor() = default;

Predictor::Predictor(const std::string& bundle_path, const PredictOptions& o) : options_(o) {
  FERKIT_CHECK(o.max_decoded_bytes > 0 && o.max_decoding_bytes >= o.max_decoded_bytes,
               "the decoded-size limits must be positive, the one in flight at least the one per image");
  budget_ = std::make_unique<DecodeBudget>(o.max_decoding_bytes);
  FERKIT_CHECK(o.batch_size > 0 && o.batch_size <= 4096, "--batch-size must be from 1 to 4096");
  FERKIT_CHECK(o.max_pixels > 0, fmt::format("--max-pixels must be positive, not {}", o.max_pixels));
  FERKIT_CHECK(o.max_bytes > 0, fmt::format("the file size limit must be positive, not {}", o.max_bytes));
  bundle_ = load_bundle(bundle_path);
  bundle_.model->eval();
  stored_size_ = stored_image_size(bundle_.info);
  if (o.folded) {
    graph_ = model_graph(*bundle_.model, bundle_.info.preprocess.input_size);
    if (o.onednn) use_mkldnn(graph_);
  }
  detector_ = std::make_unique<FaceDetector>(o.detector);
}

cv::Mat Predictor::decode(const std::string& bytes) const {
  FERKIT_CHECK(!bytes.empty(), "empty file (0 bytes)");
  FERKIT_CHECK(static_cast<int64_t>(bytes.size()) <= options_.max_bytes,
               fmt::format("{} bytes: larger than the limit of {} bytes", bytes.size(), options_.max_bytes));
  int w = 0, h = 0;
  if (image_header_size(bytes, w, h)) {
    FERKIT_CHECK(w > 0 && h > 0, fmt::format("the image declares a size of {}x{}", w, h));
    FERKIT_CHECK(static_cast<int64_t>(w) * h <= options_.max_pixels,
                 fmt::format("{}x{} pixels: larger than the limit of {} pixels", w, h, options_.max_pixels));
  }
  // What the decoder holds before converting to gray; unknown headers count as 4 bytes a pixel
  // of the largest image allowed.
  const int64_t decoded = (w > 0 && h > 0 ? static_cast<int64_t>(w) * h : options_.max_pixels) * image_header_bytes_per_pixel(bytes);
  FERKIT_CHECK(w <= 0 || decoded <= options_.max_decoded_bytes,
               fmt::format("{}x{} pixels of {} bytes each decode to {} MB: larger than the limit of {} MB", w, h,
                           image_header_bytes_per_pixel(bytes), decoded >> 20, options_.max_decoded_bytes >> 20));
  const DecodeBudget::Lease lease(*budget_, decoded);
  cv::Mat gray;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    gray = cv::imdecode(raw, cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception& e) {
    throw Error(std::string("cannot be decoded: ") + e.what());
  }
  FERKIT_CHECK(!gray.empty(), "not an image that OpenCV can decode (PNG, JPEG, BMP, ...), or a damaged one");
  FERKIT_CHECK(static_cast<int64_t>(gray.cols) * gray.rows <= options_.max_pixels,
               fmt::format("{}x{} pixels: larger than the limit of {} pixels", gray.cols, gray.rows, options_.max_pixels));
  return gray;
}

std::vector<std::vector<float>> Predictor::classify(const std::vector<cv::Mat>& faces) {
  std::vector<std::vector<float>> out;
  const Preprocess& pre = bundle_.info.preprocess;
  const int64_t n_in = pre.input_size, c = pre.channels;
  AugmentConfig none;
  Rng rng(0);
  for (size_t start = 0; start < faces.size(); start += options_.batch_size) {
    const int64_t b = std::min<int64_t>(options_.batch_size, faces.size() - start);
    torch::Tensor batch = torch::empty({b, c, n_in, n_in});
    float* dst = batch.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) augment_image(faces[start + i], none, pre, false, rng, dst + i * c * n_in * n_in);
    torch::Tensor logits;
    if (options_.folded) {
      logits = run_graph(graph_, batch);
    } else {
      c10::InferenceMode guard;
      logits = bundle_.model->forward(batch);
    }
    const torch::Tensor p = torch::softmax(logits, 1).contiguous();
    auto a = p.accessor<float, 2>();
    for (int64_t i = 0; i < b; ++i) {
      std::vector<float> row(p.size(1));
      for (int64_t k = 0; k < p.size(1); ++k) row[k] = a[i][k];
      out.push_back(std::move(row));
    }
  }
  return out;
}

ImagePrediction Predictor::find_faces(const cv::Mat& gray, const std::string& source, std::vector<cv::Mat>& crops) {
  ImagePrediction r;
  r.source = source;
  r.width = gray.cols, r.height = gray.rows;
  for (const DetectedFace& face : detector_->find(gray)) {
    FacePrediction f;
    f.box = face.box;
    r.faces.push_back(f);
    crops.push_back(detector_->crop(gray, face, stored_size_));  // "none": the whole image, as training saw it
  }
  return r;
}

void Predictor::fill(ImagePrediction& p, const std::vector<std::vector<float>>& probabilities) {
  FERKIT_CHECK(probabilities.size() == p.faces.size(), "fill: one row of probabilities per face");
  for (size_t k = 0; k < p.faces.size(); ++k) {
    FacePrediction& f = p.faces[k];
    f.probabilities = probabilities[k];
    f.top = static_cast<int>(std::max_element(f.probabilities.begin(), f.probabilities.end()) - f.probabilities.begin());
  }
}

std::vector<ImagePrediction> Predictor::predict_gray_batch(const std::vector<cv::Mat>& grays, const std::vector<std::string>& sources) {
  std::vector<ImagePrediction> results;
  std::vector<cv::Mat> crops;
  for (size_t i = 0; i < grays.size(); ++i) results.push_back(find_faces(grays[i], sources[i], crops));
  const auto probs = classify(crops);
  size_t k = 0;
  for (auto& r : results) {
    const std::vector<std::vector<float>> mine(probs.begin() + k, probs.begin() + k + r.faces.size());
    fill(r, mine);
    k += r.faces.size();
  }
  return results;
}

ImagePrediction Predictor::predict_gray(const cv::Mat& gray, const std::string& source) {
  return predict_gray_batch({gray}, {source}).front();
}

ImagePrediction Predictor::predict_encoded(const std::string& bytes, const std::string& source) {
  try {
    ImagePrediction p = predict_gray(decode(bytes), source);
    p.warning = image_truncation_warning(bytes);
    return p;
  } catch (const std::exception& e) {
    ImagePrediction p;
    p.source = source;
    p.error = e.what();
    return p;
  }
}

nlohmann::json Predictor::model_json() const {
  const auto& i = bundle_.info;
  return {{"classes", i.class_names},
          {"input_size", i.preprocess.input_size},
          {"stored_image_size", stored_size_},
          {"preprocess", to_json(i.preprocess)},
          {"architecture", to_json(i.spec)},
          {"detector", detector_->source()},
          {"inference", !options_.folded ? "module forward" : graph_.mkldnn ? "graph, BatchNorm folded, oneDNN" : "graph, BatchNorm folded"}};
}

int64_t predict_video(Predictor& predictor, const std::string& path, int every, int64_t max_frames,
                      const std::function<void(const ImagePrediction&, const cv::Mat& frame)>& on_frame) {
  FERKIT_CHECK(every > 0, "every Nth frame: N must be positive");
  cv::VideoCapture video;
  {  // OpenCV logs every backend it tries and fails with; the error below says it once
    const auto level = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    video.open(path);
    cv::utils::logging::setLogLevel(level);
  }
  FERKIT_CHECK(video.isOpened(), "cannot open the video (no OpenCV backend reads it, or it is damaged)");
  cv::Mat frame, gray;
  int64_t analysed = 0;
  for (int64_t index = 0; (max_frames <= 0 || analysed < max_frames) && video.read(frame); ++index) {
    if (index % every != 0) continue;
    ++analysed;
    if (frame.channels() == 1) gray = frame;
    else cv::cvtColor(frame, gray, frame.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    ImagePrediction p = predictor.predict_gray(gray, path);
    p.frame = index;
    on_frame(p, frame);
  }
  FERKIT_CHECK(analysed > 0, "the video has no readable frame");
  return analysed;
}

nlohmann::json to_json(const ImagePrediction& p, const std::vector<std::string>& names) {
  nlohmann::json j = {{"source", p.source}};
  if (p.frame >= 0) j["frame"] = p.frame;
  if (!p.error.empty()) {
    j["error"] = p.error;
    return j;
  }
  if (!p.warning.empty()) j["warning"] = p.warning;
  j["width"] = p.width;
  j["height"] = p.height;
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& f : p.faces) {
    nlohmann::json probs = nlohmann::json::object();
    for (size_t k = 0; k < f.probabilities.size() && k < names.size(); ++k) probs[names[k]] = f.probabilities[k];
    faces.push_back({{"box", {{"x", f.box.x}, {"y", f.box.y}, {"width", f.box.width}, {"height", f.box.height}}},
                     {"emotion", names.at(f.top)},
                     {"confidence", f.probabilities.at(f.top)},
                     {"probabilities", probs}});
  }
  j["faces"] = faces;
  return j;
}

cv::Mat annotate(const cv::Mat& image, const ImagePrediction& p, const std::vector<std::string>& names) {
  cv::Mat out;
  if (image.channels() == 1) cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
  else out = image.clone();
  const int thick = std::max(1, std::min(out.cols, out.rows) / 300);
  const double scale = std::max(0.4, std::min(out.cols, out.rows) / 800.0);
  for (const auto& f : p.faces) {
    cv::rectangle(out, f.box, cv::Scalar(0, 200, 0), thick + 1);
    const std::string label = fmt::format("{} {:.0f}%", names.at(f.top), 100 * f.probabilities.at(f.top));
    int base = 0;
    const cv::Size ts = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &base);
    const cv::Point at(f.box.x, std::max(ts.height + 4, f.box.y - 4));
    cv::rectangle(out, cv::Rect(at.x, at.y - ts.height - 4, ts.width + 4, ts.height + base + 6), cv::Scalar(0, 200, 0), cv::FILLED);
    cv::putText(out, label, at + cv::Point(2, 0), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), thick, cv::LINE_AA);
  }
  return out;
}

}  // namespace ferkit::infer
