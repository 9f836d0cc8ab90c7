#include "ferkit/infer/face_detector.h"

#include "ferkit/infer/face_align.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "ferkit/util/error.h"

namespace ferkit::infer {

std::string default_cascade_path() {
  std::vector<std::string> tried;
  if (const char* env = std::getenv("FERKIT_FACE_CASCADE")) {
    if (std::filesystem::is_regular_file(env)) return env;
    tried.push_back(std::string(env) + " ($FERKIT_FACE_CASCADE)");
  }
  for (const char* dir : {"/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades", "/usr/local/share/opencv4/haarcascades"}) {
    const std::string p = std::string(dir) + "/haarcascade_frontalface_default.xml";
    if (std::filesystem::is_regular_file(p)) return p;
    tried.push_back(p);
  }
  std::string list;
  for (const auto& t : tried) list += "\n  " + t;
  throw Error("no face cascade found (install Debian's opencv-data, or give --detector FILE.xml, or --detector none "
              "for face crops); looked at:" + list);
}

std::vector<std::string> detector_kinds() { return {"default", "dlib", "tiny", "haar", "none"}; }

FaceDetector::FaceDetector(const DetectorOptions& o) : options_(o) {
  // Checked here, where every caller (CLI, server, C++ API, Python) comes through.
  FERKIT_CHECK(std::isfinite(o.margin) && o.margin >= 0 && o.margin <= 2,
               fmt::format("--margin must be from 0 to 2 (a share of the face's side), not {}", o.margin));
  FERKIT_CHECK(std::isfinite(o.scale_factor) && o.scale_factor > 1 && o.scale_factor <= 2,
               fmt::format("the detector's scale factor must be in (1, 2], not {}", o.scale_factor));
  FERKIT_CHECK(o.min_neighbors >= 0 && o.min_neighbors <= 100, fmt::format("--min-neighbors must be from 0 to 100, not {}", o.min_neighbors));
  FERKIT_CHECK(o.min_face >= 1 && o.min_face <= 100'000, fmt::format("--min-face must be from 1 to 100000 pixels, not {}", o.min_face));
  FERKIT_CHECK(std::isfinite(o.max_misfit) && o.max_misfit >= 0, fmt::format("the landmark misfit limit must be >= 0, not {}", o.max_misfit));
  if (o.kind == "none") {
    enabled_ = false;
    source_ = "none";
    return;
  }
  // The default is dlib with alignment where its landmark model is installed (the photo-path
  // benchmark: more faces found, none invented, less accuracy lost, faster; docs/results.md), else the cascade.
  if (o.kind == "default") {
    try {
      default_landmarks_path();
      options_.kind = "dlib";
    } catch (const Error&) {
      options_.kind = "haar";
    }
  }
  if (options_.kind == "dlib") {
    dlib_ = std::make_unique<DlibFaces>();
    source_ = "dlib HOG + 68 landmarks (" + dlib_->landmarks_path() + ")" + (o.align ? ", aligned to FER2013" : "");
    return;
  }
  if (options_.kind == "tiny") {
    tiny_ = std::make_unique<TinyFaceDetector>();
    source_ = fmt::format("face-api tiny face detector, input {} ({})", o.tiny_input_size, tiny_->weights_dir());
    try {
      if (o.align) {
        dlib_ = std::make_unique<DlibFaces>();
        source_ += ", dlib's 68 landmarks, aligned to FER2013";
      }
    } catch (const Error&) {  // no landmark model: margin crops
      source_ += ", margin crops (no landmark model installed)";
    }
    return;
  }
  source_ = options_.kind == "haar" ? default_cascade_path() : options_.kind;
  FERKIT_CHECK(std::filesystem::is_regular_file(source_), source_ + ": no such cascade file");
  auto first = std::make_unique<cv::CascadeClassifier>();
  bool loaded = false;
  try {
    loaded = first->load(source_);
  } catch (const cv::Exception&) {  // OpenCV's FileStorage throws on what is not XML/YAML at all (a JPEG)
  }
  FERKIT_CHECK(loaded, "--detector " + source_ + ": not an OpenCV cascade classifier (XML); the detectors by name: default, "
                       "haar, dlib, tiny, none");
  idle_.push_back(std::move(first));
}

FaceDetector::~FaceDetector() = default;

std::vector<DetectedFace> FaceDetector::find(const cv::Mat& gray) {
  std::vector<DetectedFace> out;
  if (!enabled_) return {{cv::Rect(0, 0, gray.cols, gray.rows), std::nullopt}};
  if (tiny_) return find_tiny(gray);
  if (dlib_) {
    for (const auto& f : dlib_->detect(gray, options_.upsample_below))
      if (template_misfit(f.landmarks) <= options_.max_misfit) out.push_back({f.box, f.landmarks});
    return out;
  }
  for (const auto& box : detect_cascade(gray)) out.push_back({box, std::nullopt});
  return out;
}

// dlib's landmark model starts from dlib's framing of a face: measured on FER+ training faces
// (bench_face_template, 580 faces both detectors found), dlib's box is centred 0.007 tiny widths left
// and 0.062 tiny heights above the tiny box's centre, with a side of 0.86 tiny widths.
std::vector<DetectedFace> FaceDetector::find_tiny(const cv::Mat& gray) {
  TinyFaceOptions to;
  to.input_size = options_.tiny_input_size;
  to.score_threshold = options_.tiny_min_score;
  std::vector<DetectedFace> out;
  for (const ScoredBox& s : tiny_->detect(gray, to)) {
    const cv::Rect box(cvRound(s.box.x), cvRound(s.box.y), cvRound(s.box.width), cvRound(s.box.height));
    if (!dlib_) {
      out.push_back({box, std::nullopt, s.score});
      continue;
    }
    const double cx = s.box.x + s.box.width * (0.5 - 0.007), cy = s.box.y + s.box.height * (0.5 - 0.062);
    const double side = 0.86 * s.box.width;
    const cv::Rect dlib_box(cvRound(cx - side / 2), cvRound(cy - side / 2), cvRound(side), cvRound(side));
    const Landmarks marks = dlib_->landmarks(gray.isContinuous() ? gray : gray.clone(), dlib_box);
    if (template_misfit(marks) <= options_.max_misfit) out.push_back({box, marks, s.score});
  }
  std::sort(out.begin(), out.end(), [](const DetectedFace& a, const DetectedFace& b) { return a.box.area() > b.box.area(); });
  return out;
}

std::vector<cv::Rect> FaceDetector::detect(const cv::Mat& gray) {
  std::vector<cv::Rect> boxes;
  for (const auto& f : find(gray)) boxes.push_back(f.box);
  return boxes;
}

cv::Mat FaceDetector::crop(const cv::Mat& gray, const DetectedFace& face, int side) const {
  if (face.landmarks && options_.align) return align_face(gray, *face.landmarks, side);
  return crop_face(gray, face.box, enabled_ ? options_.margin : 0.0, side);
}

std::vector<cv::Rect> FaceDetector::detect_cascade(const cv::Mat& gray) {
  std::vector<cv::Rect> faces;
  cv::Mat equalized;
  cv::equalizeHist(gray, equalized);  // the cascades were trained on equalised faces
  std::unique_ptr<cv::CascadeClassifier> cascade;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) cascade = std::move(idle_.back()), idle_.pop_back();
  }
  if (!cascade) {
    cascade = std::make_unique<cv::CascadeClassifier>();
    FERKIT_CHECK(cascade->load(source_), source_ + ": cannot be loaded again");
  }
  cascade->detectMultiScale(equalized, faces, options_.scale_factor, options_.min_neighbors, 0,
                            cv::Size(options_.min_face, options_.min_face));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(cascade));
  }
  std::sort(faces.begin(), faces.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
  return faces;
}

cv::Mat crop_face(const cv::Mat& gray, const cv::Rect& box, double margin, int side) {
  const double s = std::max(box.width, box.height) * (1.0 + 2.0 * margin);
  const int half = static_cast<int>(std::lround(s / 2));
  const int cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const cv::Rect square(cx - half, cy - half, 2 * half, 2 * half);
  const cv::Rect inside = square & cv::Rect(0, 0, gray.cols, gray.rows);
  cv::Mat crop;
  // A very long strip (a 1 x 65535 array handed to the API as a face) would make its square
  // gigabytes when padded at full size: past 4 M pixels (2048 x 2048, twice the largest model
  // input) the part inside is shrunk first, and the padding with it (fuzzing found this).
  constexpr double kMaxSquarePixels = 4.0 * (1 << 20);
  const double square_pixels = static_cast<double>(square.width) * square.height;
  if (square_pixels > kMaxSquarePixels) {
    const double f = std::sqrt(square_pixels / kMaxSquarePixels);
    const auto scaled = [f](int v) { return static_cast<int>(std::lround(v / f)); };
    cv::Mat small;
    cv::resize(gray(inside), small, cv::Size(std::max(1, scaled(inside.width)), std::max(1, scaled(inside.height))), 0, 0,
               cv::INTER_AREA);
    cv::copyMakeBorder(small, crop, scaled(inside.y - square.y), scaled(square.br().y - inside.br().y), scaled(inside.x - square.x),
                       scaled(square.br().x - inside.br().x), cv::BORDER_REPLICATE);
  } else {
    cv::copyMakeBorder(gray(inside), crop, inside.y - square.y, square.br().y - inside.br().y, inside.x - square.x,
                       square.br().x - inside.br().x, cv::BORDER_REPLICATE);
  }
  cv::Mat out;
  cv::resize(crop, out, cv::Size(side, side), 0, 0, crop.cols > side ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace ferkit::infer
