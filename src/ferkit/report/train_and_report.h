// Training as `ferkit train` and the public API (ferkit::train) both run it: the one training loop
// (train/trainer.h), then the run's report drawn from its folder (report/html.h). The trainer
// draws no report itself; a report that cannot be drawn is a warning, never a failed run.
#pragma once
#include "ferkit/train/trainer.h"

namespace ferkit {

TrainSummary train_and_report(const TrainConfig& config, const TrainOptions& options);

}  // namespace ferkit
