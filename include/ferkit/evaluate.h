// ferkit's public C++ API for scoring a model on a data set: what `ferkit eval` does, as data.
//
//   ferkit::EvaluateOptions options;
//   options.split = "valid";
//   options.exclude_copies_of = "train";   // also the leakage-free figure
//   const ferkit::Evaluation e = ferkit::evaluate("ferplus-small", "data/ferplus", options);
//   std::cout << e.scores.accuracy << " " << e.without_copies->balanced_accuracy << "\n";
//
// Errors are ferkit::Error (ferkit/error.h) with the message the CLI prints.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferkit/error.h"

namespace ferkit {

// A 95 % interval of a proportion.
struct ScoreInterval {
  double low = 0.0, high = 1.0;
};

// A model's figures on one set of labelled images (majority labels, the FER+ protocol).
struct Scores {
  int64_t count = 0;                 // images scored
  double loss = 0.0;                 // mean negative log-likelihood of the label
  double accuracy = 0.0, balanced_accuracy = 0.0, macro_f1 = 0.0;
  ScoreInterval accuracy_ci;         // Wilson
  ScoreInterval balanced_accuracy_ci, macro_f1_ci;  // bootstrap; [0, 1] without EvaluateOptions::bootstrap
  std::vector<std::string> classes;  // in the model's order; the vectors below follow it
  std::vector<double> recall, precision, f1;
  std::vector<int64_t> support;      // labelled images per class
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
};

struct EvaluateOptions {
  std::string split = "test";        // train, valid or test
  std::string tta = "none";          // test-time augmentation: none, flip, ten-crop
  std::string exclude_copies_of;     // e.g. "train": also score without the images with a copy there
  int bootstrap = 1000;              // resamples for the intervals of balanced accuracy and macro-F1 (0: none)
  int64_t batch_size = 256;
  std::string layout = "auto";       // the data folder's layout: auto, ferplus, fer2013-csv, class-folders
  int image_size = 0;                // side of the stored images; 0: the size the model was trained on
  bool resize = false;               // resize images of another size instead of refusing them
  bool skip_bad = false;             // skip bad rows and images (counted) instead of failing
  int threads = 0;                   // compute threads; <= 0: all cores (a process-wide setting)
};

struct Evaluation {
  std::string model;                 // the bundle file scored
  std::string data, split, tta;
  Scores scores;
  // With exclude_copies_of: the split without its images that have an exact or near copy there.
  std::optional<Scores> without_copies;
  int64_t excluded = 0;
  std::string json;                  // the whole record, as `ferkit eval --json` prints it
};

// model: a run folder, a model.ferkit bundle or a shipped model's name. When it is a run folder,
// RUN/eval-SPLIT[-TTA].json is written too, as `ferkit eval` does.
Evaluation evaluate(const std::string& model, const std::string& data, const EvaluateOptions& options = {});

}  // namespace ferkit
