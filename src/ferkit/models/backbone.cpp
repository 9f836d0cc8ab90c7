#include "ferkit/models/backbone.h"

#include <map>

#include "ferkit/models/small_cnn.h"
#include "ferkit/util/error.h"

namespace ferkit {

namespace {
// Filled in a function, not by static registrar objects: a static library would drop those.
const std::map<std::string, BackboneFactory>& registry() {
  static const std::map<std::string, BackboneFactory> r = {
      {"small_cnn", [](const BackboneSpec& s) { return std::make_shared<SmallCnn>(s); }},
  };
  return r;
}
}  // namespace

std::vector<std::string> backbone_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : registry()) names.push_back(n);
  return names;
}

std::shared_ptr<Backbone> make_backbone(const BackboneSpec& spec) {
  auto it = registry().find(spec.name);
  if (it == registry().end()) {
    std::string known;
    for (const auto& n : backbone_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown backbone '" + spec.name + "' (known: " + known + ")");
  }
  FERKIT_CHECK(spec.in_channels == 1 || spec.in_channels == 3, "backbone input channels must be 1 or 3");
  FERKIT_CHECK(spec.width > 0 && spec.width <= 4, "backbone width must be in (0, 4]");
  return it->second(spec);
}

}  // namespace ferkit
