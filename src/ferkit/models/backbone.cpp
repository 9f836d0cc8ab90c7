#include "ferkit/models/backbone.h"

#include <algorithm>
#include <map>

#include "ferkit/models/face_resnet.h"
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
struct BackboneEntry {
  BackboneFactory make;
  BackboneDefaults defaults;
};
const BackboneDefaults kTorchvision{1.0, "imagenet", {}};

const std::map<std::string, BackboneEntry>& backbone_registry() {
  static const std::map<std::string, BackboneEntry> r = {
      // small_cnn is a native-resolution network whose recipes run it at half width by default.
      {"small_cnn", {[](const BackboneSpec& s) { return std::make_shared<SmallCnn>(s); }, {0.5, "imagenet", {}, 2}}},
      {"resnet18", {[](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{false, {2, 2, 2, 2}, false}); }, kTorchvision}},
      {"resnet34", {[](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{false, {3, 4, 6, 3}, false}); }, kTorchvision}},
      {"resnet50", {[](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{true, {3, 4, 6, 3}, false}); }, kTorchvision}},
      {"resnet18_native", {[](const BackboneSpec& s) { return std::make_shared<ResNet>(s, ResNetSpec{false, {2, 2, 2, 2}, true}); }, kTorchvision}},
      {"mobilenet_v2", {[](const BackboneSpec& s) { return std::make_shared<MobileNetV2>(s); }, kTorchvision}},
      {"vgg13_ferplus", {[](const BackboneSpec& s) { return std::make_shared<Vgg13FerPlus>(s); }, kTorchvision}},
      {"keras_mobilenet_v2", {[](const BackboneSpec& s) { return std::make_shared<KerasMobileNetV2>(s); }, {1.0, "keras", {}}}},
      // face-api's face-identity ResNet: its 'valid' stride-2 convolutions need >= 103 px when whole.
      {"face_resnet", {[](const BackboneSpec& s) { return std::make_shared<FaceResNet>(s); }, {1.0, "face_api", face_resnet_min_input}}},
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

std::vector<std::string> backbone_names() { return registry_names(backbone_registry()); }

BackboneDefaults backbone_defaults(const std::string& name) { return registry_lookup(backbone_registry(), name, "backbone").defaults; }

int backbone_min_input(const std::string& name, const std::string& cut_after) {
  const BackboneDefaults d = backbone_defaults(name);
  return d.min_input ? d.min_input(cut_after) : 8;
}

std::shared_ptr<Backbone> make_backbone(const BackboneSpec& spec) {
  const BackboneEntry& entry = registry_lookup(backbone_registry(), spec.name, "backbone");
  FERKIT_CHECK(spec.in_channels == 1 || spec.in_channels == 3, "backbone input channels must be 1 or 3");
  FERKIT_CHECK(spec.width >= 0 && spec.width <= 4, "backbone width must be in [0, 4] (0: the architecture's default)");
  BackboneSpec resolved = spec;
  if (resolved.width == 0) resolved.width = entry.defaults.width;
  FERKIT_CHECK(spec.depth == 0 || entry.defaults.depth > 0, "backbone " + spec.name + " has no depth setting (small_cnn has)");
  FERKIT_CHECK(spec.depth >= 0 && spec.depth <= 8, "backbone depth must be in [0, 8] (0: the architecture's default)");
  if (resolved.depth == 0) resolved.depth = entry.defaults.depth;
  return entry.make(resolved);
}

}  // namespace ferkit
