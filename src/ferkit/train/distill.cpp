#include "ferkit/train/distill.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "ferkit/models/bundle.h"
#include "ferkit/run/run_folder.h"
#include "ferkit/util/error.h"
#include "ferkit/util/text.h"

namespace ferkit {

at::Tensor distilled_targets(const at::Tensor& targets, const std::vector<at::Tensor>& teacher_logits, double weight,
                             double temperature) {
  FERKIT_CHECK(!teacher_logits.empty(), "distillation without a teacher");
  torch::Tensor mean = torch::zeros_like(targets);
  for (const auto& z : teacher_logits) mean += torch::softmax(z.to(targets.dtype()) / temperature, 1);
  mean /= static_cast<double>(teacher_logits.size());
  return (1.0 - weight) * targets + weight * mean;
}

struct Teachers::Impl {
  std::vector<FerModel> models;
  DistillConfig config;
};


Teachers::Teachers(const DistillConfig& config, const Preprocess& student, int student_image_size,
                   const std::vector<std::string>& classes)
    : impl_(std::make_unique<Impl>()) {
  FERKIT_CHECK(config.weight >= 0 && config.weight <= 1, fmt::format("teacher_weight must be in [0, 1], not {}", config.weight));
  FERKIT_CHECK(config.temperature > 0, fmt::format("teacher_temperature must be > 0, not {}", config.temperature));
  impl_->config = config;
  for (const std::string& name : split_names(config.teachers)) {
    const std::string path = bundle_path_of(name);
    LoadedBundle b = load_bundle(path);
    const std::string theirs = describe_input(b.info.preprocess, stored_image_size(b.info));
    const std::string ours = describe_input(student, student_image_size);
    if (theirs != ours)
      throw Error(fmt::format("teacher {}: its input ({}) differs from this run's ({}); a teacher sees the student's batches, "
                              "so both must take the same input", path, theirs, ours));
    if (b.info.class_names != classes)
      throw Error(fmt::format("teacher {}: its classes differ from this run's", path));
    b.model->eval();
    impl_->models.push_back(b.model);
    sources_.push_back(path);
  }
  FERKIT_CHECK(!impl_->models.empty(), "--teacher names no bundle");
}

Teachers::~Teachers() = default;

at::Tensor Teachers::targets(const at::Tensor& images, const at::Tensor& targets) const {
  std::vector<at::Tensor> logits;
  {
    torch::NoGradGuard no_grad;
    for (auto m : impl_->models) {  // (module handles: copies share the module)
      m->to(images.device());
      logits.push_back(m->forward(images));
    }
  }
  return distilled_targets(targets, logits, impl_->config.weight, impl_->config.temperature);
}

}  // namespace ferkit
