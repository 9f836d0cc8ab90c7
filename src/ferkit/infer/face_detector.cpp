#include "ferkit/infer/face_detector.h"

#include "ferkit/infer/face_align.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

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

std::vector<std::string> detector_kinds() { return {"default", "dlib", "haar", "none"}; }

FaceDetector::FaceDetector(const DetectorOptions& o) : options_(o) {
  if (o.kind == "none") {
    enabled_ = false;
    source_ = "none";
    return;
  }
  // The default is dlib with alignment where its landmark model is installed (the photo-path
  // benchmark: more faces found, none invented, less accuracy lost, faster; README), else the cascade.
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
  source_ = options_.kind == "haar" ? default_cascade_path() : options_.kind;
  FERKIT_CHECK(std::filesystem::is_regular_file(source_), source_ + ": no such cascade file");
  auto first = std::make_unique<cv::CascadeClassifier>();
  FERKIT_CHECK(first->load(source_), source_ + ": not an OpenCV cascade classifier (XML)");
  idle_.push_back(std::move(first));
}

FaceDetector::~FaceDetector() = default;

std::vector<DetectedFace> FaceDetector::find(const cv::Mat& gray) {
  std::vector<DetectedFace> out;
  if (!enabled_) return {{cv::Rect(0, 0, gray.cols, gray.rows), std::nullopt}};
  if (dlib_) {
    for (const auto& f : dlib_->detect(gray, options_.upsample_below))
      if (template_misfit(f.landmarks) <= options_.max_misfit) out.push_back({f.box, f.landmarks});
    return out;
  }
  for (const auto& box : detect_cascade(gray)) out.push_back({box, std::nullopt});
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
  cv::copyMakeBorder(gray(inside), crop, inside.y - square.y, square.br().y - inside.br().y, inside.x - square.x,
                     square.br().x - inside.br().x, cv::BORDER_REPLICATE);
  cv::Mat out;
  cv::resize(crop, out, cv::Size(side, side), 0, 0, crop.cols > side ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

bool image_header_size(const std::string& b, int& width, int& height) {
  auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(b[i])); };
  auto be16 = [&](size_t i) { return (u8(i) << 8) | u8(i + 1); };
  auto be32 = [&](size_t i) { return (u8(i) << 24) | (u8(i + 1) << 16) | (u8(i + 2) << 8) | u8(i + 3); };
  auto le16 = [&](size_t i) { return u8(i) | (u8(i + 1) << 8); };
  auto le32 = [&](size_t i) { return u8(i) | (u8(i + 1) << 8) | (u8(i + 2) << 16) | (u8(i + 3) << 24); };
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0) {
    width = static_cast<int>(std::min<uint32_t>(be32(16), INT32_MAX));
    height = static_cast<int>(std::min<uint32_t>(be32(20), INT32_MAX));
    return true;
  }
  if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    width = static_cast<int>(le32(18));
    height = std::abs(static_cast<int>(le32(22)));  // negative: top-down rows
    return true;
  }
  if (b.size() >= 10 && (b.compare(0, 6, "GIF87a") == 0 || b.compare(0, 6, "GIF89a") == 0)) {
    width = static_cast<int>(le16(6));
    height = static_cast<int>(le16(8));
    return true;
  }
  if (b.size() >= 4 && u8(0) == 0xFF && u8(1) == 0xD8) {  // JPEG: walk the segments to a start-of-frame
    size_t i = 2;
    while (i + 9 < b.size()) {
      if (u8(i) != 0xFF) return false;
      const uint32_t marker = u8(i + 1);
      if (marker == 0xFF) { ++i; continue; }  // fill byte
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
      const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        height = static_cast<int>(be16(i + 5));
        width = static_cast<int>(be16(i + 7));
        return true;
      }
      i += 2 + be16(i + 2);
    }
  }
  return false;
}

}  // namespace ferkit::infer
