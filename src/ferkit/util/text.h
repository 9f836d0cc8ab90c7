// The one parser of comma-separated lists (augmentations, teachers, perturbation kinds,
// progressive stages, head layers, ...).
#pragma once
#include <string>
#include <vector>

namespace ferkit {

// Every item of a comma-separated list, as written: "a,,b" is {"a", "", "b"}, "a," is {"a", ""},
// and the empty text is no item. Callers that allow empty items skip them; those that do not
// name them in their error.
inline std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  if (text.empty()) return items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    items.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

// The non-empty items of a comma-separated list, without `nothing` (a word meaning none, such as
// "none" or "default").
inline std::vector<std::string> split_names(const std::string& text, const std::string& nothing = "") {
  std::vector<std::string> names;
  for (auto& item : split_list(text))
    if (!item.empty() && item != nothing) names.push_back(std::move(item));
  return names;
}

}  // namespace ferkit
