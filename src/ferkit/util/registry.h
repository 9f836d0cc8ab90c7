// Lookup in the name -> factory maps that back every registry (backbones, samplers,
// augmentations, ...), with one error message for an unknown name.
#pragma once
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ferkit/util/error.h"

namespace ferkit {

template <typename Value>
std::vector<std::string> registry_names(const std::map<std::string, Value>& registry) {
  std::vector<std::string> names;
  for (const auto& entry : registry) names.push_back(entry.first);
  return names;
}

// Throws Error "unknown KIND 'NAME' (known: a, b, c)".
template <typename Value>
const Value& registry_lookup(const std::map<std::string, Value>& registry, const std::string& name,
                             const std::string& kind) {
  auto it = registry.find(name);
  if (it != registry.end()) return it->second;
  std::string known;
  for (const auto& n : registry_names(registry)) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown " + kind + " '" + name + "' (known: " + known + ")");
}

// The names of a comma-separated list of registry entries ("flip,affine"), without empty items
// and without `nothing` (the word that means none: "none", "default").
inline std::vector<std::string> registry_list(const std::string& text, const std::string& nothing) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    if (!item.empty() && item != nothing) names.push_back(item);
    start = end + 1;
  }
  return names;
}

}  // namespace ferkit
