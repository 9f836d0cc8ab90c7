// How predictions are written out, one formatter per kind, chosen by name from a registry:
// text (one readable line per face), csv (one row per face, and one per input without a face),
// json (JSON lines, one object per input, as the HTTP API answers).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ferkit/infer/predictor.h"

namespace ferkit::infer {

class ResultFormatter {
 public:
  virtual ~ResultFormatter() = default;
  virtual std::string header() const { return ""; }  // written once before the first result
  virtual std::string format(const ImagePrediction& p) const = 0;
};

std::vector<std::string> result_format_names();
// Throws Error listing the known names.
std::unique_ptr<ResultFormatter> make_result_formatter(const std::string& name, const std::vector<std::string>& class_names);

}  // namespace ferkit::infer
