// The FER+ label modes: how the 10 crowd votes of an image become a training target.
// A faithful port of the FER+ reference code (microsoft/FERPlus, ferplus.py, _process_data and
// _load_folder); see ../shared/data/ferplus/README.md for the protocol in words.
#pragma once
#include <array>
#include <optional>
#include <string>

#include "ferkit/data/classes.h"

namespace ferkit {

enum class LabelMode { kMajority, kProbability, kCrossEntropy, kMultiTarget };

// "majority", "probability", "crossentropy", "multi-target" (also "multi_target").
LabelMode parse_label_mode(const std::string& name);
std::string label_mode_name(LabelMode mode);

using Votes = std::array<int, kNumVoteColumns>;
using EmotionTarget = std::array<float, kNumEmotions>;

// The target of one image over the 8 emotions (sums to 1), or nullopt when the image is
// excluded (its target's argmax is unknown or NF, or the votes are too spread out).
std::optional<EmotionTarget> target_from_votes(const Votes& votes, LabelMode mode);

}  // namespace ferkit
