// Training losses, chosen by name from a registry. All work on soft targets (rows summing to 1),
// so the probability/crossentropy label modes, label smoothing and mixup need no special case;
// on one-hot targets each equals its published hard-label form.
//
// Every loss here is one formula with different parts:
//   z   = scale * (logits + bias - margin * target)          (bias, margin: per class)
//   l_i = -sum_k t_ik (1 - p_ik)^gamma log p_ik,  p = softmax(z)
//   L   = sum_i w_i l_i / sum_i w_i,  w_i = sum_k t_ik weight_k   (PyTorch's weighted mean)
//   ce                plain cross-entropy
//   weighted_ce       weight = inverse class frequency, the naive remedy users try first
//   focal             gamma = focal_gamma (Lin et al. 2017)
//   cb                weight = class-balanced by effective number, (1-beta)/(1-beta^n) (Cui et al. 2019)
//   balanced_softmax  bias = log prior (Ren et al. 2020)
//   logit_adjusted    bias = tau * log prior (Menon et al. 2021)
//   ldam              margin = C / n^(1/4), largest = ldam_margin (Cao et al. 2019)
// and deferred re-weighting (Cao et al. 2019): from epoch drw_epoch on, the class-balanced weights
// replace the loss's own, with any loss.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ferkit {

struct LossConfig {
  std::string name = "ce";
  double label_smoothing = 0.0;  // targets become (1 - e) t + e / K
  double focal_gamma = 2.0;      // focal
  double cb_beta = 0.9999;       // cb and deferred re-weighting
  double la_tau = 1.0;           // logit_adjusted
  double ldam_margin = 0.5;      // ldam: the margin of the rarest class
  double ldam_scale = 1.0;       // ldam: logit scale s (the paper's 30 assumes normalised features)
  int drw_epoch = 0;             // deferred re-weighting from this epoch (1-based); 0 = never
};

class Loss {
 public:
  virtual ~Loss() = default;
  // logits (B, K); targets (B, K) soft, rows summing to 1; epoch 0-based. Returns a scalar.
  virtual at::Tensor operator()(const at::Tensor& logits, const at::Tensor& targets, int64_t epoch) const = 0;
};

std::vector<std::string> loss_names();
// class_counts: training images per class (the prior that the imbalance remedies use).
std::unique_ptr<Loss> make_loss(const LossConfig& config, const std::vector<int64_t>& class_counts);
void validate_loss(const LossConfig& config);

// Per-class weights, normalised to mean 1 over the classes that have images (0 for empty ones).
at::Tensor inverse_frequency_weights(const std::vector<int64_t>& class_counts);
at::Tensor class_balanced_weights(const std::vector<int64_t>& class_counts, double beta);
// log of the class prior n_c / N (a class with no images gets log(0.5 / N), not -inf).
at::Tensor log_prior(const std::vector<int64_t>& class_counts);

}  // namespace ferkit
