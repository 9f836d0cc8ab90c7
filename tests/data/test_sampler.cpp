// Samplers: a uniform epoch is a permutation; re-balancing samplers draw classes by their weight.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/sampler.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

torch::Tensor imbalanced_labels() {  // class 0: 900 images, class 1: 100
  std::vector<int64_t> l(1000, 0);
  for (int i = 900; i < 1000; ++i) l[i] = 1;
  return torch::tensor(l, torch::kInt64);
}

TEST(Sampler, UniformIsAPermutationThatChangesPerEpoch) {
  const auto labels = imbalanced_labels();
  auto s = make_sampler("uniform", labels);
  auto e0 = s->epoch_order(0, 1), e1 = s->epoch_order(1, 1);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, s->epoch_order(0, 1));
  std::sort(e0.begin(), e0.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(e0[i], i);
}

TEST(Sampler, ClassBalancedAndSqrtDrawClassesByWeight) {
  const auto labels = imbalanced_labels();
  auto share_of_class1 = [&](const std::string& name) {
    const auto order = make_sampler(name, labels)->epoch_order(0, 1);
    int64_t n1 = 0;
    for (int64_t i : order) n1 += i >= 900;
    return static_cast<double>(n1) / order.size();
  };
  EXPECT_NEAR(share_of_class1("class-balanced"), 0.5, 0.05);
  EXPECT_NEAR(share_of_class1("sqrt"), 10.0 / (30.0 + 10.0), 0.05);  // sqrt(100) / (sqrt(900) + sqrt(100))
  EXPECT_NEAR(share_of_class1("uniform"), 0.1, 1e-12);
  EXPECT_THROW(make_sampler("balanced", labels), Error);
}

}  // namespace
}  // namespace ferkit
