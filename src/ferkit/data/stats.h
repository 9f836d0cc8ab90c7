// Per-split and per-class counts and annotator agreement: what `ferkit data stats` prints.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "ferkit/data/dataset.h"

namespace ferkit {

// {"root", "layout", "label_mode", "splits": [{"name", "images", "kept", "excluded",
//   "classes": {name: count}, "agreement": [count of images whose top class has k votes, k=0..10]}]}
nlohmann::json data_stats(const Dataset& dataset, LabelMode mode);

// The same as a readable table.
std::string format_data_stats(const nlohmann::json& stats);

}  // namespace ferkit
