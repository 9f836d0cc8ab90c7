#include "ferkit/data/label_mode.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

LabelMode parse_label_mode(const std::string& name) {
  static const std::map<std::string, LabelMode> modes = {{"majority", LabelMode::kMajority},
                                                         {"probability", LabelMode::kProbability},
                                                         {"crossentropy", LabelMode::kCrossEntropy},
                                                         {"multi-target", LabelMode::kMultiTarget},
                                                         {"multi_target", LabelMode::kMultiTarget}};
  return registry_lookup(modes, name, "label mode");
}

std::string label_mode_name(LabelMode mode) {
  switch (mode) {
    case LabelMode::kMajority: return "majority";
    case LabelMode::kProbability: return "probability";
    case LabelMode::kCrossEntropy: return "crossentropy";
    case LabelMode::kMultiTarget: return "multi-target";
  }
  return "?";
}

namespace {

using Row = std::array<double, kNumVoteColumns>;

// ferplus.py _process_data: returns the 10-column target, or nullopt for "unknown".
std::optional<Row> process_votes(const Votes& votes, LabelMode mode) {
  Row raw{};
  // Outlier removal: a class with a single vote is dropped.
  for (int i = 0; i < kNumVoteColumns; ++i) raw[i] = votes[i] <= 1 ? 0.0 : static_cast<double>(votes[i]);
  const double total = std::accumulate(raw.begin(), raw.end(), 0.0);
  Row target{};

  switch (mode) {
    case LabelMode::kMajority: {
      auto peak = std::max_element(raw.begin(), raw.end());  // first index on ties, as np.argmax
      if (*peak > 0.5 * total) {
        target[peak - raw.begin()] = *peak;
      } else {
        return std::nullopt;
      }
      break;
    }
    case LabelMode::kProbability:
    case LabelMode::kCrossEntropy: {
      double taken_sum = 0.0;
      int count = 0;
      bool valid_emotion = true;
      while (taken_sum < 0.75 * total && count < 3 && valid_emotion) {
        const double maxval = *std::max_element(raw.begin(), raw.end());
        for (int i = 0; i < kNumVoteColumns; ++i) {
          if (raw[i] != maxval) continue;
          target[i] = maxval;
          raw[i] = 0.0;
          taken_sum += target[i];
          ++count;
          if (i >= kUnknownColumn) {  // unknown or NF tie with the current maximum
            valid_emotion = false;
            const double taken = std::accumulate(target.begin(), target.end(), 0.0);
            if (taken > maxval) {  // emotions were taken before unknown/NF: drop unknown/NF again
              target[i] = 0.0;
              --count;
            }
            break;
          }
        }
      }
      const double taken = std::accumulate(target.begin(), target.end(), 0.0);
      if (taken <= 0.5 * total || count > 3) return std::nullopt;
      break;
    }
    case LabelMode::kMultiTarget: {
      const double maxval = *std::max_element(raw.begin(), raw.end());
      if (maxval <= 0.0) return std::nullopt;  // every vote was an outlier: nothing to learn from
      for (int i = 0; i < kNumVoteColumns; ++i)
        if (raw[i] >= 0.3 * maxval) target[i] = raw[i];
      break;
    }
  }
  const double sum = std::accumulate(target.begin(), target.end(), 0.0);
  if (sum <= 0.0) return std::nullopt;
  for (double& t : target) t /= sum;
  return target;
}

}  // namespace

std::optional<EmotionTarget> target_from_votes(const Votes& votes, LabelMode mode) {
  auto full = process_votes(votes, mode);
  if (!full) return std::nullopt;
  // ferplus.py _load_folder: keep the image only if argmax (first on ties) is an emotion.
  const auto argmax = std::max_element(full->begin(), full->end()) - full->begin();
  if (argmax >= kNumEmotions) return std::nullopt;
  double sum = 0.0;
  for (int i = 0; i < kNumEmotions; ++i) sum += (*full)[i];
  EmotionTarget out{};
  for (int i = 0; i < kNumEmotions; ++i) out[i] = static_cast<float>((*full)[i] / sum);
  return out;
}

}  // namespace ferkit
