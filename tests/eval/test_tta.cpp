// Test-time augmentation: views that cannot change the prediction leave it unchanged, and the
// result is a probability distribution.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/eval/tta.h"
#include "ferkit/util/error.h"
#include "infer/model_fixtures.h"

namespace ferkit {
namespace {

FerModel tiny() { return test::tiny_model(3, 0.25, /*random_norms=*/false); }

TEST(Tta, FlipOfAMirrorSymmetricImageChangesNothing) {
  FerModel model = tiny();
  torch::NoGradGuard g;
  torch::Tensor x = torch::rand({2, 1, 48, 48});
  x = (x + x.flip({3})) / 2;  // mirror-symmetric
  const torch::Tensor plain = torch::softmax(tta_logits(model, x, "none"), 1);
  const torch::Tensor flipped = torch::softmax(tta_logits(model, x, "flip"), 1);
  EXPECT_TRUE(torch::allclose(plain, flipped, 1e-5, 1e-6));
}

TEST(Tta, TenCropOfAConstantImageChangesNothingAndIsADistribution) {
  FerModel model = tiny();
  torch::NoGradGuard g;
  const torch::Tensor flat = torch::full({1, 1, 48, 48}, 0.3f);
  EXPECT_TRUE(torch::allclose(torch::softmax(tta_logits(model, flat, "ten-crop"), 1),
                              torch::softmax(tta_logits(model, flat, "none"), 1), 1e-5, 1e-6));
  const torch::Tensor x = torch::rand({3, 1, 48, 48});
  const torch::Tensor p = torch::softmax(tta_logits(model, x, "ten-crop"), 1);
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({3}), 1e-5, 1e-6));
  // the mean of the views' probabilities, computed here from the views themselves
  const torch::Tensor q = torch::softmax(tta_logits(model, x, "flip"), 1);
  const torch::Tensor expected = (torch::softmax(model->forward(x), 1) + torch::softmax(model->forward(x.flip({3})), 1)) / 2;
  EXPECT_TRUE(torch::allclose(q, expected, 1e-5, 1e-6));
}

TEST(Tta, FlipShiftIsTheMeanOverSixViews) {
  FerModel model = tiny();
  torch::NoGradGuard g;
  const torch::Tensor x = torch::rand({2, 1, 48, 48});
  const torch::Tensor padded = torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  const torch::Tensor up_left = padded.narrow(2, 2, 48).narrow(3, 2, 48).contiguous();  // content moved up-left
  const torch::Tensor down_right = padded.narrow(2, 0, 48).narrow(3, 0, 48).contiguous();
  EXPECT_TRUE(torch::equal(up_left.select(2, 10).select(2, 10), x.select(2, 11).select(2, 11)));
  torch::Tensor expected = torch::zeros({2, 8});
  for (const auto& v : {x, up_left, down_right}) expected += torch::softmax(model->forward(v), 1) + torch::softmax(model->forward(v.flip({3})), 1);
  expected /= 6;
  EXPECT_TRUE(torch::allclose(torch::softmax(tta_logits(model, x, "flip-shift"), 1), expected, 1e-5, 1e-6));
}

TEST(Tta, UnknownNameIsAnError) {
  FerModel model = tiny();
  EXPECT_THROW(tta_logits(model, torch::zeros({1, 1, 48, 48}), "five-crop"), Error);
  EXPECT_THROW(check_tta_name("rotate"), Error);
  check_tta_name("ten-crop");
}

}  // namespace
}  // namespace ferkit
