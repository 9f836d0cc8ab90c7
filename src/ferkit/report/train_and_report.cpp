#include "ferkit/report/train_and_report.h"

#include <spdlog/spdlog.h>

#include "ferkit/report/html.h"

namespace ferkit {

TrainSummary train_and_report(const TrainConfig& config, const TrainOptions& options) {
  const TrainSummary s = run_training(config, options);
  if (!s.lead) return s;  // rank 0 reports the run
  try {
    spdlog::info("report: {}", write_run_report(config.out));
  } catch (const std::exception& e) {
    spdlog::warn("the report could not be drawn: {} (try `ferkit report --run {}`)", e.what(), config.out);
  }
  return s;
}

}  // namespace ferkit
