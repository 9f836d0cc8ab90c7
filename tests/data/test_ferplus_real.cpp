// The real FER+ train and validation splits in ../shared: exact counts of the FER+ protocol.
// Skipped with a message when the data is not there.
#include <gtest/gtest.h>

#include "ferkit/data/dataset.h"
#include "test_util.h"

namespace ferkit {
namespace {

const Dataset& ferplus() {
  static const Dataset ds = load_dataset(test::ferplus_dir());
  return ds;
}

TEST(FerPlusReal, MajorityCountsMatchTheProtocol) {
  FERKIT_REQUIRE_FERPLUS(dir);
  const Dataset& ds = ferplus();
  EXPECT_EQ(ds.split("train").size(), 28558);
  EXPECT_EQ(ds.split("valid").size(), 3579);
  const LabelledSplit train = label_split(ds.split("train"), LabelMode::kMajority);
  const LabelledSplit valid = label_split(ds.split("valid"), LabelMode::kMajority);
  EXPECT_EQ(train.size(), 25045);
  EXPECT_EQ(valid.size(), 3191);
  // neutral, happiness, surprise, sadness, anger, disgust, fear, contempt
  const std::array<int64_t, 8> train_expected = {8733, 7284, 3136, 3022, 2098, 116, 536, 120};
  const std::array<int64_t, 8> valid_expected = {1180, 862, 411, 348, 289, 25, 60, 16};
  EXPECT_EQ(train.class_counts(), train_expected);
  EXPECT_EQ(valid.class_counts(), valid_expected);
}

TEST(FerPlusReal, SoftAndMultiTargetModesKeepTheDocumentedCounts) {
  FERKIT_REQUIRE_FERPLUS(dir);
  const Dataset& ds = ferplus();
  for (LabelMode m : {LabelMode::kProbability, LabelMode::kCrossEntropy}) {
    EXPECT_EQ(label_split(ds.split("train"), m).size(), 27947);
    EXPECT_EQ(label_split(ds.split("valid"), m).size(), 3508);
  }
  const LabelledSplit multi = label_split(ds.split("train"), LabelMode::kMultiTarget);
  EXPECT_EQ(multi.size(), 28385);
  EXPECT_EQ(label_split(ds.split("valid"), LabelMode::kMultiTarget).size(), 3555);
  // soft targets are distributions
  EXPECT_TRUE(torch::allclose(multi.targets.sum(1), torch::ones({multi.size()}), 1e-5, 1e-5));
}

}  // namespace
}  // namespace ferkit
