// The per-epoch record of a run: what metrics.csv shows and the checkpoint carries (so that a
// resumed run writes the same metrics.csv and stability figures as an uninterrupted one).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "ferkit/eval/metrics.h"

namespace ferkit {

// The validation figures kept per epoch.
struct ValFigures {
  double loss = 0, accuracy = 0, balanced_accuracy = 0, macro_f1 = 0;
  std::array<double, kNumEmotions> recall{};
};
ValFigures figures(const Metrics& m);

struct EpochRow {
  int64_t epoch = 0;
  double lr = 0, train_loss = 0, train_acc = 0, seconds = 0;
  ValFigures val;
  bool has_ema = false;
  ValFigures ema;
};

std::string history_to_json(const std::vector<EpochRow>& rows);
std::vector<EpochRow> history_from_json(const std::string& text);  // "" -> no rows

// metrics.csv: the header and one row per epoch (EMA columns empty without EMA).
std::string metrics_csv(const std::vector<EpochRow>& rows);

}  // namespace ferkit
