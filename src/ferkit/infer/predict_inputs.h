// Predicting a list of inputs as `ferkit predict` takes them: files, folders (walked recursively
// for images and videos, sorted) and videos. Images go in chunks, read and decoded on all cores
// and their faces classified together; every input ends in exactly one callback per image or
// video frame, failures included (with the reason in `error`), in input order.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ferkit/infer/predictor.h"

namespace ferkit::infer {

struct InputOptions {
  int every = 10;              // videos: every Nth frame
  int64_t max_frames = 0;      // videos: at most this many frames (0: all)
  bool keep_colour = false;    // hand the colour image to the callback (for annotation)
  int threads = 1;             // decoding threads
  size_t chunk = 64;           // images decoded and classified together
  // Called as inputs finish (a video counts once, when its last frame is done), with how many of
  // how many (folders expanded) are done.
  std::function<void(int64_t done, int64_t total)> on_progress;
};

struct InputCounts {
  int64_t inputs = 0, failed = 0, faces = 0;  // images and frames; with an error; faces found
};

// `image` is the decoded picture (colour with keep_colour, else gray; empty when it failed).
using OnPrediction = std::function<void(const ImagePrediction& prediction, const cv::Mat& image)>;

InputCounts predict_inputs(Predictor& predictor, const std::vector<std::string>& inputs, const InputOptions& options,
                           const OnPrediction& on_prediction);

// The file name under which an annotated copy of a prediction's image is written.
std::string annotated_name(const ImagePrediction& p);

// Names for the annotated copies of one run, none twice: folder inputs can hold the same name
// (C1/x.png, C2/x.png) and x.jpg is written as x.png too, so the second becomes x-2.png, the
// third x-3.png. Called in input order (predict_inputs' callbacks are).
class AnnotatedNames {
 public:
  std::string claim(const ImagePrediction& p);
  // The copies that got a suffix: (source, name written), for the summary.
  const std::vector<std::pair<std::string, std::string>>& renamed() const { return renamed_; }

 private:
  std::vector<std::string> used_;  // sorted
  std::vector<std::pair<std::string, std::string>> renamed_;
};

// `predict --annotate FOLDER`: copies of the inputs with the boxes and emotions drawn. The folder
// may not be an input nor lie inside one (util/fs.h's rule: what is written would be read back);
// colliding names get -2, -3, ... (AnnotatedNames). Each copy is encoded in memory and written
// atomically with every write checked (cv::imwrite can leave an empty file on a full disk and
// still succeed).
class AnnotationFolder {
 public:
  AnnotationFolder(const std::string& folder, const std::vector<std::string>& inputs);
  // Throws Error naming the file when the copy cannot be encoded or written (it is then counted in unwritten()).
  void write(const ImagePrediction& p, const cv::Mat& image, const std::vector<std::string>& class_names);
  const std::vector<std::string>& unwritten() const { return unwritten_; }
  const std::vector<std::pair<std::string, std::string>>& renamed() const { return names_.renamed(); }

 private:
  std::string folder_;
  AnnotatedNames names_;
  std::vector<std::string> unwritten_;
};

// How many faces showed each emotion most, over a predict run: "happiness 3, neutral 1".
class EmotionTally {
 public:
  void add(const ImagePrediction& p);
  int64_t faces() const { return faces_; }
  std::string text(const std::vector<std::string>& class_names) const;

 private:
  std::vector<int64_t> tops_;
  int64_t faces_ = 0;
};

}  // namespace ferkit::infer
