// The public view (include/ferkit/evaluate.h's Scores) of the internal figures (eval/metrics.h).
#pragma once
#include "ferkit/eval/metrics.h"
#include "ferkit/evaluate.h"

namespace ferkit {

Scores scores_of(const Metrics& m);

}  // namespace ferkit
