#include "ferkit/infer/dlib_faces.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>

#include "ferkit/util/error.h"

namespace ferkit::infer {

std::string default_landmarks_path() {
  if (const char* env = std::getenv("FERKIT_DLIB_LANDMARKS"); env && *env) return env;
  const std::string debian = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  if (std::filesystem::is_regular_file(debian)) return debian;
  throw Error("no dlib landmark model found (install Debian's libdlib-data, or set FERKIT_DLIB_LANDMARKS); looked at: " + debian);
}

struct DlibFaces::Impl {
  dlib::shape_predictor predictor;  // const use is thread-safe
  // The HOG detector keeps scratch state: each caller borrows one (another is made when all are
  // in use), as the Haar cascades are pooled.
  std::vector<std::unique_ptr<dlib::frontal_face_detector>> idle;
  std::mutex mutex;
};

DlibFaces::DlibFaces(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path.empty() ? default_landmarks_path() : path) {
  FERKIT_CHECK(std::filesystem::is_regular_file(path_), path_ + ": no such dlib landmark model");
  try {
    dlib::deserialize(path_) >> impl_->predictor;
  } catch (const std::exception& e) {
    throw Error(path_ + ": not a dlib shape predictor (" + std::string(e.what()).substr(0, 200) + ")");
  }
  FERKIT_CHECK(impl_->predictor.num_parts() == 68, path_ + ": a landmark model of " + std::to_string(impl_->predictor.num_parts()) +
                                                       " points, expected the 68-point one");
}

DlibFaces::~DlibFaces() = default;

namespace {
Landmarks to_landmarks(const dlib::full_object_detection& shape, double scale) {
  Landmarks out;
  for (unsigned long k = 0; k < 68; ++k)
    out[k] = cv::Point2f(static_cast<float>(shape.part(k).x() / scale), static_cast<float>(shape.part(k).y() / scale));
  return out;
}
}  // namespace

Landmarks DlibFaces::landmarks(const cv::Mat& gray, const cv::Rect& box) const {
  FERKIT_CHECK(gray.type() == CV_8UC1 && gray.isContinuous(), "dlib landmarks: a continuous 8-bit gray image is needed");
  const dlib::cv_image<unsigned char> img(gray);
  const dlib::rectangle r(box.x, box.y, box.x + box.width - 1, box.y + box.height - 1);
  return to_landmarks(impl_->predictor(img, r), 1.0);
}

std::vector<LandmarkedFace> DlibFaces::detect(const cv::Mat& gray_in, int upsample_below) {
  FERKIT_CHECK(gray_in.type() == CV_8UC1, "dlib faces: an 8-bit gray image is needed");
  const double scale = std::min(gray_in.cols, gray_in.rows) < upsample_below ? 2.0 : 1.0;
  cv::Mat gray;
  if (scale != 1.0) cv::resize(gray_in, gray, cv::Size(), scale, scale, cv::INTER_LINEAR);
  else gray = gray_in.isContinuous() ? gray_in : gray_in.clone();
  const dlib::cv_image<unsigned char> img(gray);
  std::unique_ptr<dlib::frontal_face_detector> detector;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->idle.empty()) detector = std::move(impl_->idle.back()), impl_->idle.pop_back();
  }
  if (!detector) detector = std::make_unique<dlib::frontal_face_detector>(dlib::get_frontal_face_detector());
  std::vector<dlib::rect_detection> found;
  (*detector)(img, found, 0.0);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->idle.push_back(std::move(detector));
  }
  std::vector<LandmarkedFace> faces;
  for (const auto& d : found) {
    const dlib::rectangle& r = d.rect;
    LandmarkedFace f;
    f.box = cv::Rect(cvRound(r.left() / scale), cvRound(r.top() / scale), cvRound(r.width() / scale), cvRound(r.height() / scale));
    f.landmarks = to_landmarks(impl_->predictor(img, r), scale);
    f.detector_score = d.detection_confidence;
    faces.push_back(f);
  }
  std::sort(faces.begin(), faces.end(), [](const LandmarkedFace& a, const LandmarkedFace& b) { return a.box.area() > b.box.area(); });
  return faces;
}

std::array<cv::Point2f, 3> eyes_and_mouth(const Landmarks& p) {
  auto mean = [&](int from, int to) {
    cv::Point2f m(0, 0);
    for (int k = from; k <= to; ++k) m += p[k];
    return m * (1.0f / static_cast<float>(to - from + 1));
  };
  return {mean(36, 41), mean(42, 47), mean(48, 67)};
}

}  // namespace ferkit::infer
