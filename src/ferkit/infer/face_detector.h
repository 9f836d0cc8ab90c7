// Finding faces in photos: OpenCV's cascade classifier (the frontal-face Haar cascade of Debian's
// opencv-data by default, any cascade file by path, or "none" when the inputs are face crops),
// and cropping a found face the way FER2013 crops them: a square around the box with a margin.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>

namespace ferkit::infer {

struct DetectorOptions {
  std::string cascade = "default";  // "default", a cascade XML file, or "none" (the whole image is the face)
  double scale_factor = 1.1;        // detectMultiScale's pyramid step
  int min_neighbors = 5;            // detections that must agree
  int min_face = 32;                // smallest face side searched, pixels
  double margin = 0.1;              // added on each side of the box, as a fraction of its side
};

// Where the default cascade is: $FERKIT_FACE_CASCADE, else opencv-data's
// haarcascade_frontalface_default.xml. Throws Error naming the places looked at.
std::string default_cascade_path();

class FaceDetector {
 public:
  explicit FaceDetector(const DetectorOptions& options);
  // Boxes in the image's pixels, largest first; the whole image when the detector is "none".
  std::vector<cv::Rect> detect(const cv::Mat& gray);
  bool enabled() const { return enabled_; }
  const std::string& source() const { return source_; }

 private:
  DetectorOptions options_;
  bool enabled_ = true;
  std::string source_;
  // detectMultiScale is not safe to call concurrently on one classifier: each caller borrows
  // one of these, and another is loaded when all are in use (as many as concurrent callers).
  std::vector<std::unique_ptr<cv::CascadeClassifier>> idle_;
  std::mutex mutex_;
};

// The square face crop for a box (margin added, centred, the image's border replicated where the
// square leaves it), resized to `side` x `side`.
cv::Mat crop_face(const cv::Mat& gray, const cv::Rect& box, double margin, int side);

// The width and height an encoded image (PNG, JPEG, BMP, GIF) declares, read from its header
// without decoding, so that a 30000 x 30000 image is refused before its pixels are allocated.
// False when the format is not one of these or the header is cut short.
bool image_header_size(const std::string& bytes, int& width, int& height);

}  // namespace ferkit::infer
