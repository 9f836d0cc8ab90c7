#include "ferkit/models/ensemble.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit {
namespace {

// What a member's images must look like to be the same as the first member's.
std::string input_of(const BundleInfo& info) { return describe_input(info.preprocess, stored_image_size(info)); }

void copy_weights(FerModelImpl& from, FerModelImpl& to) {
  torch::NoGradGuard no_grad;
  auto source = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(source[p.key()]);
  auto buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(buffers[b.key()]);
}

}  // namespace

LoadedBundle make_ensemble(const std::vector<EnsembleMember>& members, bool drop_member_adjustment) {
  FERKIT_CHECK(members.size() >= 2, fmt::format("an ensemble needs at least two models, not {}", members.size()));
  std::vector<LoadedBundle> loaded;
  for (const auto& m : members) loaded.push_back(load_bundle(m.path));
  const BundleInfo& first = loaded.front().info;
  LoadedBundle out;
  out.info.preprocess = first.preprocess;
  out.info.class_names = first.class_names;
  out.info.spec.backbone.name = kEnsembleBackbone;
  out.info.spec.backbone.in_channels = first.spec.backbone.in_channels;
  out.info.spec.num_classes = first.spec.num_classes;
  for (size_t i = 0; i < loaded.size(); ++i) {
    const BundleInfo& info = loaded[i].info;
    if (input_of(info) != input_of(first))
      throw Error(fmt::format("{}: it prepares images as {} but {} as {}; an ensemble's members must see the same input "
                              "(train them with the same --input-size, channels, normalisation and image size)",
                              members[i].name, input_of(info), members[0].name, input_of(first)));
    if (info.class_names != first.class_names)
      throw Error(fmt::format("{}: its classes differ from those of {}", members[i].name, members[0].name));
    out.info.spec.members.push_back(info.spec);
    const BundleProvenance& from = info.provenance;
    out.info.provenance.ensemble_of.push_back({members[i].name, info.spec.backbone.name, drop_member_adjustment ? "dropped" : "kept",
                                               from.val_accuracy, from.val_balanced_accuracy, from.posthoc_tau});
  }
  // The members' data and label mode (the same for all: the first's); no figures of their own yet.
  out.info.provenance.data = first.provenance.data;
  out.info.provenance.label_mode = first.provenance.label_mode;
  out.info.provenance.val_split = first.provenance.val_split;
  out.info.provenance.image_size = first.provenance.image_size;
  out.model = FerModel(out.info.spec);
  const auto parts = out.model->members();
  for (size_t i = 0; i < parts.size(); ++i) {
    copy_weights(*loaded[i].model, *parts[i]);
    if (drop_member_adjustment) parts[i]->set_logit_adjustment(torch::zeros({out.info.spec.num_classes}));
  }
  out.model->eval();
  return out;
}

}  // namespace ferkit
