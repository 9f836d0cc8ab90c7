#include "ferkit/models/backbone.h"

#include <map>

#include "ferkit/models/small_cnn.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

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

std::vector<std::string> backbone_names() { return registry_names(registry()); }

std::shared_ptr<Backbone> make_backbone(const BackboneSpec& spec) {
  const BackboneFactory& factory = registry_lookup(registry(), spec.name, "backbone");
  FERKIT_CHECK(spec.in_channels == 1 || spec.in_channels == 3, "backbone input channels must be 1 or 3");
  FERKIT_CHECK(spec.width > 0 && spec.width <= 4, "backbone width must be in (0, 4]");
  return factory(spec);
}

}  // namespace ferkit
