// A picture of duplicate pairs, so that a user (and whoever calibrates the detector) can see what
// the audit calls a duplicate: each pair side by side, enlarged, with its similarity, splits and
// labels; conflicting labels in red.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ferkit/data/dataset.h"

namespace ferkit {

struct MontageOptions {
  int max_pairs = 24;
  double min_similarity = 0.0, max_similarity = 1.01;  // only pairs in [min, max)
  bool across_splits_first = true;  // between splits (leakage), exact and near, conflicting labels first
  bool near_only = false;           // leave out exact copies
  uint64_t seed = 0;                // 0: the order above; otherwise a random sample of the band
};

// Writes a PNG of the audit's pairs (the pixels come from `dataset`, the one the audit was run
// on). Returns the number of pairs drawn; writes nothing and returns 0 when none qualifies.
int write_pair_montage(const Dataset& dataset, const nlohmann::json& audit, const std::string& png_path,
                       const MontageOptions& options = {});

}  // namespace ferkit
