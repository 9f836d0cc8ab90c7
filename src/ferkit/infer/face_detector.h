// Finding faces in photos, by kind: OpenCV's cascade classifier (the frontal-face Haar cascade of
// Debian's opencv-data, or any cascade file by path), dlib's HOG detector with 68-point landmarks
// (dlib_faces.h), face-api's tiny CNN detector (tiny_face_detector.h; landmarks from dlib's model
// where installed), or "none" when the inputs are face crops. A face with landmarks is aligned to
// FER2013's template (face_align.h) and dropped when its landmarks do not fit a face; a face
// without is cropped the way FER2013 crops them: a square around the box with a margin.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/data/image_header.h"
#include "ferkit/infer/dlib_faces.h"

namespace ferkit::infer {

struct DetectorOptions {
  std::string kind = "default";     // default (dlib where its landmark model is installed, else haar), haar, dlib,
                                    // tiny (face-api's CNN), a cascade XML file, or none (the whole image is the face)
  double scale_factor = 1.1;        // detectMultiScale's pyramid step
  int min_neighbors = 5;            // detections that must agree
  int min_face = 32;                // smallest face side searched, pixels
  double margin = 0.1;              // added on each side of the box, as a fraction of its side (no landmarks)
  int upsample_below = 400;         // dlib: search images whose shorter side is under this at twice the size
                                    // (its HOG detector finds faces of ~80 pixels and more)
  int tiny_input_size = 416;        // tiny: the network's input side (a multiple of 32; larger finds smaller faces)
  double tiny_min_score = 0.5;      // tiny: face-api's default score threshold
  bool align = true;                // with landmarks: align to FER2013's eyes and mouth (else the margin crop)
  double max_misfit = 0.25;         // with landmarks: drop a face whose eyes and mouth fit the template worse (FER+ faces: 99th percentile 0.11)
};

// The detector kinds by name (the registry's, "default" included), besides a cascade file's path.
std::vector<std::string> detector_kinds();

struct DetectedFace {
  cv::Rect box;
  std::optional<Landmarks> landmarks;  // with the dlib detector, or tiny where dlib's landmark model is installed
  double score = 0;                     // tiny: the network's score
};

// Where the default cascade is: $FERKIT_FACE_CASCADE, else opencv-data's
// haarcascade_frontalface_default.xml. Throws Error naming the places looked at.
std::string default_cascade_path();

// One kind of detector: the faces it finds in a gray image, largest first (face_detector.cpp).
class FaceFinder;

class FaceDetector {
 public:
  explicit FaceDetector(const DetectorOptions& options);
  ~FaceDetector();
  // Faces in the image's pixels, largest first; the whole image when the detector is "none".
  // Landmarked faces that do not fit a face (max_misfit) are left out.
  std::vector<DetectedFace> find(const cv::Mat& gray);
  std::vector<cv::Rect> detect(const cv::Mat& gray);  // the boxes of find()
  // The crop the model sees: aligned when the face has landmarks and align is on, else the
  // square margin crop (the whole image for "none").
  cv::Mat crop(const cv::Mat& gray, const DetectedFace& face, int side) const;
  bool enabled() const { return finder_ != nullptr; }
  const std::string& source() const { return source_; }

 private:
  DetectorOptions options_;
  std::string source_;
  std::unique_ptr<FaceFinder> finder_;  // the kind's own detector (face_detector.cpp's registry); none: null
};

// The square face crop for a box (margin added, centred, the image's border replicated where the
// square leaves it), resized to `side` x `side`.
cv::Mat crop_face(const cv::Mat& gray, const cv::Rect& box, double margin, int side);

using ferkit::image_header_size;  // data/image_header.h

}  // namespace ferkit::infer
