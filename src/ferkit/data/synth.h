// `ferkit synth`: the embedded default data set. Procedurally drawn 48x48 gray faces whose
// expression (mouth, brows, eyes, nose wrinkle) decides the class, with FER+-like imbalance and
// 10 simulated annotator votes per image, written in the FER+ folder layout.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "ferkit/data/classes.h"

namespace ferkit {

struct SynthConfig {
  std::string out;           // folder to write (FER2013Train/, FER2013Valid/, FER2013Test/)
  uint64_t seed = 1;
  double scale = 1.0;        // multiplies the split sizes below
  int train = 4000;          // images per split at scale 1
  int valid = 800;
  int test = 800;
  int image_size = 48;
  int threads = 0;           // <= 0: all cores
  bool force = false;        // write into a non-empty folder
};

struct SynthSummary {
  std::array<int64_t, 3> images{};   // train, valid, test
  double seconds = 0.0;
};

// Writes the data set; throws Error if `out` is a non-empty folder and !force.
SynthSummary write_synthetic_dataset(const SynthConfig& config);

// One synthetic face and its votes (exposed for tests).
struct SynthFace {
  cv::Mat image;                                 // (S, S) CV_8U
  std::array<int, kNumVoteColumns> votes{};      // 10 annotators
  int drawn_class = 0;                           // the expression it was drawn from
};
SynthFace draw_synthetic_face(uint64_t seed, int split, int64_t index, int image_size = 48);

// How often the generator draws each expression (see synth.cpp).
extern const std::array<double, kNumEmotions> kSynthClassPrior;

}  // namespace ferkit
