// Knowledge distillation (--teacher RUN[,RUN...]): trained bundles give soft targets. The
// teachers' mean class probability at a temperature is mixed into each batch's targets (the vote
// distribution, after smoothing or mixup):  t' = (1 - w) t + w * mean_k softmax(z_k / T).
// A teacher must take the same input as the student (size, channels, normalisation): it sees the
// student's augmented batch.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ferkit/data/preprocess.h"
#include "ferkit/train/distill_config.h"

namespace ferkit {

class Teachers {
 public:
  // Loads every teacher (bundle_path_of rules); throws Error naming a teacher that cannot be
  // loaded, has other classes than `classes`, or another input than `student`.
  // `student_image_size`: the side of the stored images the student trains on (the data's).
  Teachers(const DistillConfig& config, const Preprocess& student, int student_image_size, const std::vector<std::string>& classes);
  ~Teachers();
  // The mixed targets for a batch of student inputs (B, C, S, S) and its targets (B, K).
  at::Tensor targets(const at::Tensor& images, const at::Tensor& targets) const;
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> sources_;
};

// The mixing rule alone: (1 - weight) targets + weight * mean over teachers of softmax(logits / T).
at::Tensor distilled_targets(const at::Tensor& targets, const std::vector<at::Tensor>& teacher_logits, double weight,
                             double temperature);

}  // namespace ferkit
