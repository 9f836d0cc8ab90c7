#include "ferkit/models/backbone.h"

#include <algorithm>
#include <map>

#include "ferkit/models/keras_mobilenet_v2.h"
#include "ferkit/models/mobilenet_v2.h"
#include "ferkit/models/resnet.h"
#include "ferkit/models/small_cnn.h"
#include "ferkit/models/vgg13_ferplus.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {
// Filled in a function, not by static registrar objects: a static library would drop those.
const std::map<std::string, BackboneFactory>& registry() {
  static const std::map<std::string, BackboneFactory> r = {
      {"small_cnn", [](const BackboneSpec& s) { return std::make_shared<SmallCnn>(s); }},
      {"resnet18", [](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{false, {2, 2, 2, 2}, false}); }},
      {"resnet34", [](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{false, {3, 4, 6, 3}, false}); }},
      {"resnet50", [](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{true, {3, 4, 6, 3}, false}); }},
      {"resnet18_native", [](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{false, {2, 2, 2, 2}, true}); }},
      {"mobilenet_v2", [](const BackboneSpec& s) { return std::make_shared<MobileNetV2>(s); }},
      {"vgg13_ferplus", [](const BackboneSpec& s) { return std::make_shared<Vgg13FerPlus>(s); }},
      {"keras_mobilenet_v2", [](const BackboneSpec& s) { return std::make_shared<KerasMobileNetV2>(s); }},
  };
  return r;
}
}  // namespace

size_t Backbone::stage_index(const std::string& stage) const {
  const auto names = stage_names();
  const auto it = std::find(names.begin(), names.end(), stage);
  if (it != names.end()) return static_cast<size_t>(it - names.begin());
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw Error("this backbone has no stage '" + stage + "' (stages: " + known + ")");
}

std::vector<std::string> backbone_names() { return registry_names(registry()); }

std::shared_ptr<Backbone> make_backbone(const BackboneSpec& spec) {
  const BackboneFactory& factory = registry_lookup(registry(), spec.name, "backbone");
  FERKIT_CHECK(spec.in_channels == 1 || spec.in_channels == 3, "backbone input channels must be 1 or 3");
  FERKIT_CHECK(spec.width >= 0 && spec.width <= 4, "backbone width must be in [0, 4] (0: the architecture's default)");
  BackboneSpec resolved = spec;
  if (resolved.width == 0) resolved.width = spec.name == "small_cnn" ? 0.5 : 1.0;
  return factory(resolved);
}

}  // namespace ferkit
