// Temperature scaling: the fitted T minimises the held-out NLL (checked against a fine grid) and
// recovers the temperature that over-confident logits were made with.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/train/calibration.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

TEST(Calibration, RecoversTheTemperatureOfOverconfidentLogits) {
  torch::manual_seed(5);
  const torch::Tensor z = torch::randn({20000, 8}) * 1.5;                 // the true logits
  const torch::Tensor y = torch::multinomial(torch::softmax(z, 1), 1).squeeze(1);  // labels drawn from them
  EXPECT_NEAR(fit_temperature(z * 3.0, y), 3.0, 0.15);                   // three times too confident
  EXPECT_NEAR(fit_temperature(z / 2.0, y), 0.5, 0.03);                   // too timid
  // Against a grid of the NLL: the search finds its minimum.
  const torch::Tensor logits = z * 2.0;
  double best_t = 0, best_nll = 1e9;
  for (double t = 1.5; t <= 2.5; t += 0.001) {
    const double nll = torch::nll_loss(torch::log_softmax(logits.to(torch::kDouble) / t, 1), y).item<double>();
    if (nll < best_nll) best_nll = nll, best_t = t;
  }
  EXPECT_NEAR(fit_temperature(logits, y), best_t, 0.002);
}

TEST(Calibration, NamesAndBadInput) {
  EXPECT_EQ(parse_calibration("temperature"), Calibration::kTemperature);
  EXPECT_EQ(calibration_name(Calibration::kNone), "none");
  try {
    parse_calibration("platt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: none, temperature"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fit_temperature(torch::zeros({0, 8}), torch::zeros({0}, torch::kLong)), Error);
}

}  // namespace
}  // namespace ferkit
