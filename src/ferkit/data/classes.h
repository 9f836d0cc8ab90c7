// The FER+ classes: 8 emotions, then the two non-emotion vote columns of label.csv.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

namespace ferkit {

constexpr int kNumEmotions = 8;   // neutral .. contempt: the classes a model predicts
constexpr int kNumVoteColumns = 10;  // the 8 emotions, unknown, NF (not a face)
constexpr int kUnknownColumn = 8;
constexpr int kNotFaceColumn = 9;

// Column order of FER+ label.csv and fer2013new.csv.
extern const std::array<std::string, kNumVoteColumns> kVoteColumnNames;

// The emotion name of class index 0..7.
const std::string& emotion_name(int index);

// The 8 emotion names in class order (a model's class_names).
std::vector<std::string> emotion_names();

// Class index of a folder or column name: the FER+ names and the usual aliases of
// FER2013 class folders ("happy", "sad", "angry", "surprised", "fearful", "disgusted").
std::optional<int> emotion_index(const std::string& name);

}  // namespace ferkit
