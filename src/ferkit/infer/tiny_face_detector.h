// face-api's tiny face detector (a Tiny-YOLOv2-style network with depthwise-separable
// convolutions, 0.19 MB; @vladmandic/face-api 1.7.15, MIT), rebuilt in LibTorch from the package's
// TF.js weights and checked against the package's own outputs in Node.js
// (tests/infer/test_tiny_face_detector.cpp, scripts/faceapi-reference/). It gives boxes and scores,
// no landmarks. LibTorch stays inside the .cpp.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/util/fs.h"

namespace ferkit::infer {

using ferkit::face_api_dir;  // util/fs.h

struct TinyFaceOptions {
  int input_size = 416;          // the network's square input, a multiple of 32 (face-api's default 416)
  double score_threshold = 0.5;  // face-api's default
  double iou_threshold = 0.4;    // non-maximum suppression, face-api's value
};

struct ScoredBox {
  cv::Rect2d box;  // in the image's pixels (may reach outside it)
  double score = 0;
};

class TinyFaceDetector {
 public:
  // `weights_dir` holds tiny_face_detector_model-weights_manifest.json and its .bin ("" = face_api_dir()).
  explicit TinyFaceDetector(const std::string& weights_dir = "");
  ~TinyFaceDetector();
  // Faces in an 8-bit gray (replicated to RGB) or BGR image, highest score first, as face-api's
  // locateFaces gives them: the image padded to a square at the bottom or right, resized with
  // TensorFlow's bilinear rule, boxes decoded from the 13x13 grid's 5 anchors, then suppressed.
  // Safe to call from several threads.
  std::vector<ScoredBox> detect(const cv::Mat& image, const TinyFaceOptions& options = {}) const;
  // The raw output grid (rows x cols x 25, row-major) for an RGB image already input_size square
  // (CV_8UC3, R first): the conformance test compares it with the package's.
  std::vector<float> raw_output(const cv::Mat& rgb_square) const;
  const std::string& weights_dir() const { return dir_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string dir_;
};

}  // namespace ferkit::infer
