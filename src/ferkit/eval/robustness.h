// The robustness benchmark: a split scored clean and under every perturbation of
// data/perturb.h (framing, tone, blur, resolution, JPEG) at three strengths, by the one
// evaluation loop. What it says: how much of a model's accuracy is FER2013's look.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ferkit/eval/evaluator.h"
#include "ferkit/eval/results.h"

namespace ferkit {

// kinds: a subset of perturbation_kinds() (empty: all). The split's images are perturbed as
// stored (before the model's preprocessing), image i with the same draw for every model.
RobustnessResult robustness_benchmark(FerModel& model, const Split& split, const Preprocess& pre, const EvalOptions& options,
                                      const std::vector<std::string>& kinds = {}, uint64_t seed = 1);

nlohmann::json to_json(const RobustnessResult& r);
// A table: each row's accuracy and balanced accuracy, and their change from clean in points;
// then the mean drop per level.
std::string format_robustness(const RobustnessResult& r);
// The mean accuracy drop (points) over the kinds at one level.
double mean_accuracy_drop(const RobustnessResult& r, int level);

}  // namespace ferkit
