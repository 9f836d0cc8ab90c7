// Using a trained model on real photos and videos: decode (with limits), find the faces, crop and
// prepare them exactly as the model was trained (the bundle carries the preprocessing and the
// stored image size), classify them in batches through the inference graph (BatchNorm folded).
// One Predictor serves `ferkit predict` and `ferkit serve`; it is safe to share across threads.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "ferkit/infer/face_detector.h"
#include "ferkit/infer/graph.h"
#include "ferkit/models/bundle.h"

namespace ferkit::infer {

struct PredictOptions {
  DetectorOptions detector;
  int batch_size = 64;                  // faces per forward pass
  int64_t max_pixels = 40'000'000;      // larger images are refused before decoding
  int64_t max_bytes = 64 << 20;         // larger files are refused unread
  // Decoded size from the header (pixels x channels x bytes per sample): one image over
  // max_decoded_bytes is refused; decodes running at once (server workers, predict's threads)
  // wait until their sum fits max_decoding_bytes.
  int64_t max_decoded_bytes = int64_t{256} << 20;
  int64_t max_decoding_bytes = int64_t{512} << 20;
  bool folded = true;                   // the inference graph; false: the modules' forward (for checks)
  bool onednn = true;                   // run the graph on oneDNN tensors where it can (use_mkldnn)
};

struct FacePrediction {
  cv::Rect box;                         // in the image's pixels (before the margin)
  std::vector<float> probabilities;     // one per class, in the bundle's class order
  int top = 0;
};

struct ImagePrediction {
  std::string source;                   // file name, or "file.mp4" with frame >= 0
  int64_t frame = -1;                   // video frame index
  int width = 0, height = 0;
  std::vector<FacePrediction> faces;
  std::string error;                    // non-empty: this input failed, with the reason
  std::string warning;                  // non-empty: predicted, but the input was damaged (e.g. a JPEG cut short)
};

class Predictor {
 public:
  Predictor(const std::string& bundle_path, const PredictOptions& options);
  ~Predictor();

  // An encoded image (file contents or a request body). Errors land in the result's `error`.
  ImagePrediction predict_encoded(const std::string& bytes, const std::string& source);
  // A decoded grayscale image.
  ImagePrediction predict_gray(const cv::Mat& gray, const std::string& source);
  // Many at once: faces of all images classified together in batches.
  std::vector<ImagePrediction> predict_gray_batch(const std::vector<cv::Mat>& grays, const std::vector<std::string>& sources);

  // The two halves of predict_gray, for callers that classify crops elsewhere (the server's
  // batcher): find the faces and crop them; then fill in the probabilities, one row per crop.
  ImagePrediction find_faces(const cv::Mat& gray, const std::string& source, std::vector<cv::Mat>& crops);
  static void fill(ImagePrediction& p, const std::vector<std::vector<float>>& probabilities);

  // Decodes with the checks (empty, too many bytes or pixels, not an image) to grayscale;
  // throws Error with the reason.
  cv::Mat decode(const std::string& bytes) const;
  // Probabilities (N, classes) of face crops already at the stored size (gray, uint8).
  std::vector<std::vector<float>> classify(const std::vector<cv::Mat>& faces);

  const BundleInfo& info() const { return bundle_.info; }
  int stored_size() const { return stored_size_; }
  const PredictOptions& options() const { return options_; }
  const std::string& detector_source() const { return detector_->source(); }
  nlohmann::json model_json() const;  // classes, input size, architecture: GET /v1/model

 private:
  PredictOptions options_;
  LoadedBundle bundle_;
  Graph graph_;
  int stored_size_ = 48;
  std::unique_ptr<FaceDetector> detector_;
  struct DecodeBudget;                    // max_decoding_bytes shared by the threads decoding now
  std::unique_ptr<DecodeBudget> budget_;
};

// Every `every`-th frame of a video (at most max_frames of them; 0: all), in order: on_frame gets
// each frame's prediction (frame index set) and the frame. Returns the frames analysed. Throws
// Error when the video cannot be opened or has no readable frame.
int64_t predict_video(Predictor& predictor, const std::string& path, int every, int64_t max_frames,
                      const std::function<void(const ImagePrediction&, const cv::Mat& frame)>& on_frame);

nlohmann::json to_json(const ImagePrediction& p, const std::vector<std::string>& class_names);

// Draws the boxes and top emotions onto a colour copy of the image.
cv::Mat annotate(const cv::Mat& image, const ImagePrediction& p, const std::vector<std::string>& class_names);

}  // namespace ferkit::infer
