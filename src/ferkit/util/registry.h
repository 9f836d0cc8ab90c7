// Lookup in the name -> factory maps that back every registry (backbones, samplers,
// augmentations, ...), with one error message for an unknown name.
#pragma once
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ferkit/util/error.h"
#include "ferkit/util/text.h"  // split_names: lists of registry entries

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

}  // namespace ferkit
