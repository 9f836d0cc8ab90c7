#include "ferkit/train/loss.h"

#include <cmath>
#include <functional>
#include <map>

#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

namespace {

// The parts of the one formula in loss.h; undefined tensors are absent parts.
struct LossParts {
  at::Tensor bias, margin, weight;
  double gamma = 0.0, scale = 1.0;
};

at::Tensor normalise_mean_one(at::Tensor w, const std::vector<int64_t>& counts) {
  const auto present = torch::tensor(std::vector<int64_t>(counts.begin(), counts.end())).gt(0).to(torch::kFloat32);
  w = w * present;
  return w * (present.sum() / w.sum());
}

class ComposedLoss : public Loss {
 public:
  ComposedLoss(LossParts parts, LossConfig config, at::Tensor drw_weight)
      : parts_(std::move(parts)), config_(std::move(config)), drw_weight_(std::move(drw_weight)) {}

  at::Tensor operator()(const at::Tensor& logits, const at::Tensor& targets, int64_t epoch) const override {
    const int64_t k = logits.size(1);
    at::Tensor t = targets;
    if (config_.label_smoothing > 0) t = t * (1.0 - config_.label_smoothing) + config_.label_smoothing / k;
    at::Tensor z = logits;
    if (parts_.bias.defined()) z = z + parts_.bias;
    if (parts_.margin.defined()) z = z - parts_.margin * targets;  // the margin follows the true class only
    if (parts_.scale != 1.0) z = z * parts_.scale;
    const at::Tensor logp = torch::log_softmax(z, 1);
    at::Tensor per_class = -t * logp;
    if (parts_.gamma > 0) per_class = per_class * torch::pow(1.0 - logp.exp(), parts_.gamma);
    const at::Tensor per_sample = per_class.sum(1);
    const bool drw = config_.drw_epoch > 0 && epoch + 1 >= config_.drw_epoch;
    const at::Tensor& w = drw ? drw_weight_ : parts_.weight;
    if (!w.defined()) return per_sample.mean();
    const at::Tensor sample_w = (t * w).sum(1);
    return (sample_w * per_sample).sum() / sample_w.sum();
  }

 private:
  LossParts parts_;
  LossConfig config_;
  at::Tensor drw_weight_;
};

using PartsFactory = std::function<LossParts(const LossConfig&, const std::vector<int64_t>&)>;

const std::map<std::string, PartsFactory>& loss_registry() {
  static const std::map<std::string, PartsFactory> r = {
      {"ce", [](const LossConfig&, const std::vector<int64_t>&) { return LossParts{}; }},
      {"weighted_ce",
       [](const LossConfig&, const std::vector<int64_t>& n) {
         LossParts p;
         p.weight = inverse_frequency_weights(n);
         return p;
       }},
      {"focal",
       [](const LossConfig& c, const std::vector<int64_t>&) {
         LossParts p;
         p.gamma = c.focal_gamma;
         return p;
       }},
      {"cb",
       [](const LossConfig& c, const std::vector<int64_t>& n) {
         LossParts p;
         p.weight = class_balanced_weights(n, c.cb_beta);
         return p;
       }},
      {"balanced_softmax",
       [](const LossConfig&, const std::vector<int64_t>& n) {
         LossParts p;
         p.bias = log_prior(n);
         return p;
       }},
      {"logit_adjusted",
       [](const LossConfig& c, const std::vector<int64_t>& n) {
         LossParts p;
         p.bias = log_prior(n) * c.la_tau;
         return p;
       }},
      {"ldam",
       [](const LossConfig& c, const std::vector<int64_t>& n) {
         // m_c proportional to n_c^(-1/4), the largest (rarest class) = ldam_margin.
         std::vector<float> m(n.size());
         double largest = 0;
         for (size_t i = 0; i < n.size(); ++i) {
           m[i] = n[i] > 0 ? static_cast<float>(std::pow(static_cast<double>(n[i]), -0.25)) : 0.0f;
           largest = std::max<double>(largest, m[i]);
         }
         LossParts p;
         p.margin = torch::tensor(m) * static_cast<float>(c.ldam_margin / largest);
         p.scale = c.ldam_scale;
         return p;
       }},
  };
  return r;
}

}  // namespace

std::vector<std::string> loss_names() { return registry_names(loss_registry()); }

void validate_loss(const LossConfig& c) {
  registry_lookup(loss_registry(), c.name, "loss");
  FERKIT_CHECK(c.label_smoothing >= 0 && c.label_smoothing < 1, "label_smoothing must be in [0, 1)");
  FERKIT_CHECK(c.focal_gamma >= 0, "focal_gamma must be >= 0");
  FERKIT_CHECK(c.cb_beta >= 0 && c.cb_beta < 1, "cb_beta must be in [0, 1)");
  FERKIT_CHECK(c.ldam_margin > 0 && c.ldam_scale > 0, "ldam_margin and ldam_scale must be positive");
  FERKIT_CHECK(c.drw_epoch >= 0, "drw_epoch must be >= 0");
}

std::unique_ptr<Loss> make_loss(const LossConfig& config, const std::vector<int64_t>& class_counts) {
  validate_loss(config);
  int64_t total = 0;
  for (int64_t n : class_counts) total += n;
  FERKIT_CHECK(total > 0, "the loss needs class counts with at least one image");
  LossParts parts = registry_lookup(loss_registry(), config.name, "loss")(config, class_counts);
  at::Tensor drw = config.drw_epoch > 0 ? class_balanced_weights(class_counts, config.cb_beta) : at::Tensor();
  return std::make_unique<ComposedLoss>(std::move(parts), config, drw);
}

at::Tensor inverse_frequency_weights(const std::vector<int64_t>& n) {
  std::vector<float> w(n.size());
  for (size_t i = 0; i < n.size(); ++i) w[i] = n[i] > 0 ? 1.0f / static_cast<float>(n[i]) : 0.0f;
  return normalise_mean_one(torch::tensor(w), n);
}

at::Tensor class_balanced_weights(const std::vector<int64_t>& n, double beta) {
  std::vector<float> w(n.size());
  for (size_t i = 0; i < n.size(); ++i)
    w[i] = n[i] > 0 ? static_cast<float>((1.0 - beta) / (1.0 - std::pow(beta, static_cast<double>(n[i])))) : 0.0f;
  return normalise_mean_one(torch::tensor(w), n);
}

at::Tensor log_prior(const std::vector<int64_t>& n) {
  double total = 0;
  for (int64_t v : n) total += static_cast<double>(v);
  std::vector<float> lp(n.size());
  for (size_t i = 0; i < n.size(); ++i) lp[i] = static_cast<float>(std::log(std::max(0.5, static_cast<double>(n[i])) / total));
  return torch::tensor(lp);
}

}  // namespace ferkit
