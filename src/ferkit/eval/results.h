// What an evaluation of a model on a data folder finds, as plain records: one `ferkit eval`
// (EvalResult) and one robustness benchmark (RobustnessReport). eval/folder_evaluation.h makes
// them; their JSON forms are run/records.h's, with the run folder's other records.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferkit/eval/metrics.h"

namespace ferkit {

// eval-*.json: one `ferkit eval`.
struct EvalResult {
  std::string model, data, split, label_mode = "majority", tta = "none";
  Metrics metrics;
  // With --exclude-copies-of OTHER: the same split without its images that have an exact or near
  // copy in OTHER (the leakage-free figure), and how many were left out.
  std::string copies_of;
  int64_t excluded = 0;
  std::optional<Metrics> without_copies;
};

struct RobustnessRow {
  std::string kind;
  int level = 1;
  std::string strength;  // in words
  Metrics metrics;
};

// One split scored clean and perturbed.
struct RobustnessResult {
  Metrics clean;
  std::vector<RobustnessRow> rows;  // kind-major, levels 1..3
};

// `ferkit robustness`: the benchmark on a data folder's split, and with --exclude-copies-of the
// same without the split's images that have a copy in OTHER.
struct RobustnessReport {
  std::string model, data, split;
  int64_t images = 0;  // the split's images (scored or not)
  uint64_t seed = 1;
  RobustnessResult result;
  std::string copies_of;
  int64_t excluded = 0;
  std::optional<RobustnessResult> without_copies;
};

}  // namespace ferkit
