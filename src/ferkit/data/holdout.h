// A held-back share of a training split for choosing the epoch, tau and calibration, so that the
// validation split stays an unbiased estimate (FER2013Valid figures chosen on FER2013Valid did not
// carry to the test split).
#pragma once
#include <string>
#include <utility>

#include "ferkit/data/dataset.h"

namespace ferkit {

// Where a run chooses its epoch, post-hoc tau and calibration: the validation split (as before
// this option existed), a share of the training split ("holdout:FRACTION"), or nowhere ("last": the
// final epoch's weights, EMA when on, decided before training; every image is trained on and the
// validation figures are selection-free, but nothing is left to fit a tau or a temperature on).
struct SelectOn {
  double holdout = 0.0;  // 0: the validation split; else the held-back fraction of the training split
  bool last = false;     // choose nothing: the last epoch
  bool uses_holdout() const { return holdout > 0.0; }
};
SelectOn parse_select_on(const std::string& text);  // throws std::invalid_argument
std::string select_on_text(const SelectOn& s);

// Whether an image belongs to the held-back share: a hash of its pixels (not of its name, index or
// the run's seed), so every run on the same data holds back the same images, and exact copies of
// one image always land on the same side (no copy of a selection image is trained on).
bool in_holdout(const at::Tensor& image, double fraction);

// `split` cut in two: the images kept for training (named as `split`) and the held-back ones
// (named `name`). Throws Error when either side would be empty.
std::pair<Split, Split> hold_out(const Split& split, double fraction, const std::string& name = "holdout");

}  // namespace ferkit
