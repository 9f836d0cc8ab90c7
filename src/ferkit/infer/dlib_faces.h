// dlib's face finding (Debian libdlib-dev, libdlib-data): the HOG frontal-face detector (no model
// file) and the 68-point landmark model (iBUG 300-W layout: jaw 0-16, brows 17-26, nose 27-35,
// eyes 36-47, mouth 48-67). dlib stays inside dlib_faces.cpp: this header is plain OpenCV.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace ferkit::infer {

using Landmarks = std::array<cv::Point2f, 68>;

struct LandmarkedFace {
  cv::Rect box;           // the detector's box, in the image's pixels
  Landmarks landmarks;    // in the image's pixels
  double detector_score = 0;
};

// Where the landmark model is: $FERKIT_DLIB_LANDMARKS, else libdlib-data's
// /usr/share/dlib/shape_predictor_68_face_landmarks.dat. Throws Error naming the places looked at.
std::string default_landmarks_path();

class DlibFaces {
 public:
  // Loads the landmark model (about 1 s); throws Error naming the file when it cannot.
  explicit DlibFaces(const std::string& landmarks_path = "");
  ~DlibFaces();
  // Faces with their landmarks, largest first. The HOG detector finds faces of about 80 pixels
  // and more: images whose shorter side is under `upsample_below` are searched at twice the size.
  // Safe to call from several threads.
  std::vector<LandmarkedFace> detect(const cv::Mat& gray, int upsample_below = 400);
  // The landmarks inside a given box (e.g. a whole face crop).
  Landmarks landmarks(const cv::Mat& gray, const cv::Rect& box) const;
  const std::string& landmarks_path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// The centres of the left eye (points 36-41, the subject's right, on the image's left), of the
// right eye (42-47) and of the mouth (48-67).
std::array<cv::Point2f, 3> eyes_and_mouth(const Landmarks& landmarks);

}  // namespace ferkit::infer
