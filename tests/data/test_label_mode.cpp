// Label modes against targets worked out by hand from the FER+ reference code (ferplus.py).
#include <gtest/gtest.h>

#include "ferkit/data/label_mode.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

void expect_target(const Votes& v, LabelMode mode, const std::array<float, 8>& expected) {
  auto t = target_from_votes(v, mode);
  ASSERT_TRUE(t.has_value()) << label_mode_name(mode);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR((*t)[i], expected[i], 1e-6) << label_mode_name(mode) << " class " << i;
}
void expect_excluded(const Votes& v, LabelMode mode) {
  EXPECT_FALSE(target_from_votes(v, mode).has_value()) << label_mode_name(mode);
}

TEST(LabelMode, MajorityDropsSingleVotesThenNeedsMoreThanHalf) {
  // 6 neutral, the single votes removed, 2 unknown: 6 of the remaining 8 > half.
  expect_target({6, 0, 1, 1, 0, 0, 0, 0, 2, 0}, LabelMode::kMajority, {1, 0, 0, 0, 0, 0, 0, 0});
  // 4 vs 4 (+2 unknown): 4 is not more than half of 10.
  expect_excluded({4, 4, 0, 0, 0, 0, 0, 0, 2, 0}, LabelMode::kMajority);
  // 5 of 9 after removing a single vote: kept.
  expect_target({0, 0, 0, 0, 5, 4, 1, 0, 0, 0}, LabelMode::kMajority, {0, 0, 0, 0, 1, 0, 0, 0});
  // NF wins: excluded. Every vote single: excluded.
  expect_excluded({0, 0, 0, 0, 0, 0, 0, 0, 3, 7}, LabelMode::kMajority);
  expect_excluded({1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, LabelMode::kMajority);
}

TEST(LabelMode, ProbabilityTakesTopClassesUpToThreeQuarters) {
  for (LabelMode m : {LabelMode::kProbability, LabelMode::kCrossEntropy}) {
    expect_target({6, 0, 1, 1, 0, 0, 0, 0, 2, 0}, m, {1, 0, 0, 0, 0, 0, 0, 0});
    // 5 (sum 5 < 7.5), then 3 (sum 8): stop.
    expect_target({5, 3, 2, 0, 0, 0, 0, 0, 0, 0}, m, {5.f / 8, 3.f / 8, 0, 0, 0, 0, 0, 0});
    // ties at the maximum are taken together
    expect_target({4, 3, 3, 0, 0, 0, 0, 0, 0, 0}, m, {0.4f, 0.3f, 0.3f, 0, 0, 0, 0, 0});
    // unknown ties with neutral: dropped again, and 4 of 10 is not more than half: excluded
    expect_excluded({4, 0, 0, 0, 0, 0, 0, 0, 4, 2}, m);
    // unknown reached after 6 of 10 neutral: dropped, 6 > 5 kept
    expect_target({6, 0, 0, 0, 0, 0, 0, 0, 2, 2}, m, {1, 0, 0, 0, 0, 0, 0, 0});
    // 5 of 10 exactly half: excluded
    expect_excluded({5, 0, 0, 0, 0, 0, 0, 0, 3, 2}, m);
  }
}

TEST(LabelMode, MultiTargetKeepsClassesAboveThirtyPercentOfThePeak) {
  expect_target({5, 3, 2, 0, 0, 0, 0, 0, 0, 0}, LabelMode::kMultiTarget, {0.5f, 0.3f, 0.2f, 0, 0, 0, 0, 0});
  // 1 < 0.3 * 5 is below threshold; (single votes are removed first anyway)
  expect_target({5, 0, 0, 0, 0, 0, 0, 0, 4, 0}, LabelMode::kMultiTarget, {1, 0, 0, 0, 0, 0, 0, 0});
  expect_target({6, 0, 0, 2, 0, 0, 0, 0, 0, 0}, LabelMode::kMultiTarget, {0.75f, 0, 0, 0.25f, 0, 0, 0, 0});
  expect_excluded({2, 0, 0, 0, 0, 0, 0, 0, 8, 0}, LabelMode::kMultiTarget);
  expect_excluded({1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, LabelMode::kMultiTarget);
}

TEST(LabelMode, NamesParseAndUnknownNameIsAnError) {
  EXPECT_EQ(parse_label_mode("majority"), LabelMode::kMajority);
  EXPECT_EQ(parse_label_mode("multi_target"), LabelMode::kMultiTarget);
  EXPECT_EQ(label_mode_name(parse_label_mode("crossentropy")), "crossentropy");
  EXPECT_THROW(parse_label_mode("mode"), Error);
}

}  // namespace
}  // namespace ferkit
