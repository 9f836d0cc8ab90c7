#include "ferkit/infer/face_detector.h"

#include "ferkit/infer/face_align.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "ferkit/infer/tiny_face_detector.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

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

class FaceFinder {
 public:
  virtual ~FaceFinder() = default;
  virtual std::vector<DetectedFace> find(const cv::Mat& gray) = 0;
  const std::string& source() const { return source_; }

 protected:
  std::string source_;  // what finds the faces, in words (logged by predict and serve)
};

namespace {

// OpenCV's cascade classifier (the frontal-face Haar cascade, or any cascade file).
class CascadeFinder : public FaceFinder {
 public:
  CascadeFinder(const DetectorOptions& o, const std::string& file) : options_(o) {
    source_ = file;
    auto first = std::make_unique<cv::CascadeClassifier>();
    bool loaded = false;
    try {
      loaded = first->load(file);
    } catch (const cv::Exception&) {  // OpenCV's FileStorage throws on what is not XML/YAML at all (a JPEG)
    }
    FERKIT_CHECK(loaded, "--detector " + file + ": not an OpenCV cascade classifier (XML); the detectors by name: " +
                             fmt::format("{}", fmt::join(detector_kinds(), ", ")));
    idle_.push_back(std::move(first));
  }

  std::vector<DetectedFace> find(const cv::Mat& gray) override {
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
    std::vector<DetectedFace> out;
    for (const auto& box : faces) out.push_back({box, std::nullopt});
    return out;
  }

 private:
  DetectorOptions options_;
  // detectMultiScale is not safe to call concurrently on one classifier: each caller borrows
  // one of these, and another is loaded when all are in use (as many as concurrent callers).
  std::vector<std::unique_ptr<cv::CascadeClassifier>> idle_;
  std::mutex mutex_;
};

// dlib's HOG detector with its 68 landmarks; faces whose landmarks do not fit a face are dropped.
class DlibFinder : public FaceFinder {
 public:
  explicit DlibFinder(const DetectorOptions& o) : options_(o) {
    source_ = "dlib HOG + 68 landmarks (" + dlib_.landmarks_path() + ")" + (o.align ? ", aligned to FER2013" : "");
  }
  std::vector<DetectedFace> find(const cv::Mat& gray) override {
    std::vector<DetectedFace> out;
    for (const auto& f : dlib_.detect(gray, options_.upsample_below))
      if (template_misfit(f.landmarks) <= options_.max_misfit) out.push_back({f.box, f.landmarks});
    return out;
  }

 private:
  DetectorOptions options_;
  DlibFaces dlib_;
};

// face-api's tiny CNN detector; with alignment, dlib's landmarks where its model is installed.
class TinyFinder : public FaceFinder {
 public:
  explicit TinyFinder(const DetectorOptions& o) : options_(o) {
    source_ = fmt::format("face-api tiny face detector, input {} ({})", o.tiny_input_size, tiny_.weights_dir());
    try {
      if (o.align) {
        dlib_ = std::make_unique<DlibFaces>();
        source_ += ", dlib's 68 landmarks, aligned to FER2013";
      }
    } catch (const Error&) {  // no landmark model: margin crops
      source_ += ", margin crops (no landmark model installed)";
    }
  }

  // dlib's landmark model starts from dlib's framing of a face: measured on FER+ training faces
  // (ferkit_bench face_template, 580 faces both detectors found), dlib's box is centred 0.007 tiny widths
  // left and 0.062 tiny heights above the tiny box's centre, with a side of 0.86 tiny widths.
  std::vector<DetectedFace> find(const cv::Mat& gray) override {
    TinyFaceOptions to;
    to.input_size = options_.tiny_input_size;
    to.score_threshold = options_.tiny_min_score;
    std::vector<DetectedFace> out;
    for (const ScoredBox& s : tiny_.detect(gray, to)) {
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

 private:
  DetectorOptions options_;
  TinyFaceDetector tiny_;
  std::unique_ptr<DlibFaces> dlib_;
};

// The detectors by name. none makes no finder (the whole image is the face); default is dlib with
// alignment where its landmark model is installed (the photo-path benchmark: more faces found,
// none invented, less accuracy lost, faster; docs/results.md), else the Haar cascade.
using FinderFactory = std::function<std::unique_ptr<FaceFinder>(const DetectorOptions&)>;
const std::map<std::string, FinderFactory>& detector_registry() {
  static const std::map<std::string, FinderFactory> kinds = {
      {"none", [](const DetectorOptions&) { return std::unique_ptr<FaceFinder>(); }},
      {"haar", [](const DetectorOptions& o) -> std::unique_ptr<FaceFinder> { return std::make_unique<CascadeFinder>(o, default_cascade_path()); }},
      {"dlib", [](const DetectorOptions& o) -> std::unique_ptr<FaceFinder> { return std::make_unique<DlibFinder>(o); }},
      {"tiny", [](const DetectorOptions& o) -> std::unique_ptr<FaceFinder> { return std::make_unique<TinyFinder>(o); }},
      {"default",
       [](const DetectorOptions& o) -> std::unique_ptr<FaceFinder> {
         try {
           default_landmarks_path();
         } catch (const Error&) {
           return std::make_unique<CascadeFinder>(o, default_cascade_path());
         }
         return std::make_unique<DlibFinder>(o);
       }},
  };
  return kinds;
}

}  // namespace

std::vector<std::string> detector_kinds() { return registry_names(detector_registry()); }

FaceDetector::FaceDetector(const DetectorOptions& o) : options_(o) {
  // Checked here, where every caller (CLI, server, C++ API, Python) comes through.
  FERKIT_CHECK(std::isfinite(o.margin) && o.margin >= 0 && o.margin <= 2,
               fmt::format("--margin must be from 0 to 2 (a share of the face's side), not {}", o.margin));
  FERKIT_CHECK(std::isfinite(o.scale_factor) && o.scale_factor > 1 && o.scale_factor <= 2,
               fmt::format("the detector's scale factor must be in (1, 2], not {}", o.scale_factor));
  FERKIT_CHECK(o.min_neighbors >= 0 && o.min_neighbors <= 100, fmt::format("--min-neighbors must be from 0 to 100, not {}", o.min_neighbors));
  FERKIT_CHECK(o.min_face >= 1 && o.min_face <= 100'000, fmt::format("--min-face must be from 1 to 100000 pixels, not {}", o.min_face));
  FERKIT_CHECK(std::isfinite(o.max_misfit) && o.max_misfit >= 0, fmt::format("the landmark misfit limit must be >= 0, not {}", o.max_misfit));
  const auto& kinds = detector_registry();
  if (kinds.count(o.kind)) {
    finder_ = registry_lookup(kinds, o.kind, "detector")(o);
  } else {  // not a name: a cascade file's path
    FERKIT_CHECK(std::filesystem::is_regular_file(o.kind),
                 fmt::format("{}: no such cascade file, nor a detector name ({})", o.kind, fmt::join(detector_kinds(), ", ")));
    finder_ = std::make_unique<CascadeFinder>(o, o.kind);
  }
  source_ = finder_ ? finder_->source() : "none";
}

FaceDetector::~FaceDetector() = default;

std::vector<DetectedFace> FaceDetector::find(const cv::Mat& gray) {
  if (!finder_) return {{cv::Rect(0, 0, gray.cols, gray.rows), std::nullopt}};
  return finder_->find(gray);
}

std::vector<cv::Rect> FaceDetector::detect(const cv::Mat& gray) {
  std::vector<cv::Rect> boxes;
  for (const auto& f : find(gray)) boxes.push_back(f.box);
  return boxes;
}

cv::Mat FaceDetector::crop(const cv::Mat& gray, const DetectedFace& face, int side) const {
  if (face.landmarks && options_.align) return align_face(gray, *face.landmarks, side);
  return crop_face(gray, face.box, finder_ ? options_.margin : 0.0, side);
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
