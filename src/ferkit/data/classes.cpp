#include "ferkit/data/classes.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace ferkit {

const std::array<std::string, kNumVoteColumns> kVoteColumnNames = {
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"};

const std::string& emotion_name(int index) { return kVoteColumnNames.at(static_cast<size_t>(index)); }

std::vector<std::string> emotion_names() { return {kVoteColumnNames.begin(), kVoteColumnNames.begin() + kNumEmotions}; }

std::optional<int> emotion_index(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::map<std::string, int> kNames = {
      {"neutral", 0},   {"happiness", 1}, {"happy", 1},      {"surprise", 2}, {"surprised", 2},
      {"sadness", 3},   {"sad", 3},       {"anger", 4},      {"angry", 4},    {"disgust", 5},
      {"disgusted", 5}, {"fear", 6},      {"fearful", 6},    {"contempt", 7}, {"contemptuous", 7}};
  auto it = kNames.find(key);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

}  // namespace ferkit
