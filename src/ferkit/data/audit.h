// `ferkit audit`: what to know about a data set before trusting a figure measured on it.
//   duplicates   exact and near-duplicate images within and across splits, with both labels
//   label noise  vote entropy per class, weak majorities, the class pairs annotators split on
//   noise floor  per split: the standard error of accuracy at its size, the smallest difference
//                between two runs it resolves, what one image is worth in each class's recall
// The cheap form (`quick`: exact duplicates and the noise floor, no near-duplicate search) runs
// at the start of every training run.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferkit/data/dataset.h"
#include "ferkit/data/duplicates.h"

namespace ferkit {

struct AuditOptions {
  bool near_duplicates = true;   // false: exact duplicates only (the cheap form)
  DuplicateOptions duplicates;
  double typical_accuracy = 0.85;  // the accuracy at which the noise floor is stated
};

nlohmann::json audit_dataset(const Dataset& dataset, const AuditOptions& options = {});

// The findings that should change what a user does, one sentence each.
std::vector<std::string> audit_warnings(const nlohmann::json& audit);

// A readable report: summary tables, warnings, the first `max_pairs` duplicate pairs.
std::string format_audit(const nlohmann::json& audit, int max_pairs = 20);

}  // namespace ferkit
