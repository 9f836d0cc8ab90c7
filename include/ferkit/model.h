// ferkit's public C++ API for using a trained model (no LibTorch types: an embedding program
// needs OpenCV's core header and these, nothing else).
//
//   ferkit::Model model;                                  // the default shipped model
//   for (const auto& face : model.predict_file("photo.jpg").faces)
//     std::cout << face.emotion << " " << face.confidence << "\n";
//
// Errors are ferkit::Error (ferkit/error.h) with the message the CLI prints.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/error.h"

namespace ferkit {

// How faces are found and cropped: the options of `ferkit predict`.
struct ModelOptions {
  std::string detector = "default";  // default (dlib where installed, else haar), dlib, tiny, haar, FILE.xml, none
  bool align = true;                 // with landmarks: align to FER2013's eyes and mouth
  double margin = 0.1;               // without landmarks: added around the box, a share of its side
  int threads = 0;                   // compute threads; <= 0: all cores (a process-wide setting)
};

struct Face {
  cv::Rect box;                                           // in the image's pixels
  std::string emotion;                                    // the most likely class
  float confidence = 0;                                   // its probability
  std::vector<std::pair<std::string, float>> probabilities;  // every class, in the model's order
};

struct PhotoResult {
  std::string source;
  int width = 0, height = 0;
  std::vector<Face> faces;  // largest first
};

class Model {
 public:
  // A run folder, a model.ferkit bundle, or a shipped model's name ("" = the default shipped model).
  explicit Model(const std::string& model = "", const ModelOptions& options = {});
  ~Model();
  Model(Model&&) noexcept;  // a moved-from Model throws ferkit::Error when used
  Model& operator=(Model&&) noexcept;

  PhotoResult predict_file(const std::string& path) const;
  // Encoded image bytes (PNG, JPEG, BMP, ...).
  PhotoResult predict_bytes(const std::string& bytes, const std::string& source = "bytes") const;
  // A decoded image: 8-bit gray or BGR (as cv::imread gives it).
  PhotoResult predict_image(const cv::Mat& image, const std::string& source = "image") const;

  // Face crops without detection, many at once: `count` gray images of height x width pixels
  // (uint8, row-major, one after another), each taken whole and resized as `ferkit predict
  // --detector none` does. Writes count x classes().size() probabilities (row-major) to `out`.
  void predict_crops(const std::uint8_t* pixels, std::int64_t count, int height, int width, float* out) const;

  const std::vector<std::string>& classes() const;
  const std::string& path() const;      // the bundle file used
  std::string detector() const;         // how faces are found, in words

 private:
  struct Impl;
  const Impl& impl() const;  // throws Error on a moved-from Model
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferkit
