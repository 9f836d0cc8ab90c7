// The synthetic data set: deterministic, in the FER+ layout, imbalanced like FER+, with votes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/dataset.h"
#include "ferkit/data/synth.h"
#include "ferkit/util/error.h"
#include "test_util.h"

namespace ferkit {
namespace {

TEST(Synth, SameSeedSameFacesOtherSeedOtherFaces) {
  const SynthFace a = draw_synthetic_face(5, 0, 17), b = draw_synthetic_face(5, 0, 17), c = draw_synthetic_face(6, 0, 17);
  ASSERT_EQ(a.image.size(), cv::Size(48, 48));
  EXPECT_EQ(cv::norm(a.image, b.image, cv::NORM_INF), 0.0);
  EXPECT_EQ(a.votes, b.votes);
  EXPECT_GT(cv::norm(a.image, c.image, cv::NORM_L1), 0.0);
  int total = 0;
  for (int v : a.votes) total += v;
  EXPECT_EQ(total, 10);  // ten annotators
}

TEST(Synth, WritesAFerPlusFolderWithFerPlusLikeImbalance) {
  test::TempDir tmp;
  SynthConfig cfg;
  cfg.out = tmp / "data";
  cfg.scale = 0.5;
  cfg.seed = 3;
  const SynthSummary s = write_synthetic_dataset(cfg);
  EXPECT_EQ(s.images[0], 2000);
  EXPECT_EQ(s.images[1], 400);
  const Dataset ds = load_dataset(cfg.out);
  EXPECT_EQ(ds.layout, Layout::kFerPlusFolders);
  ASSERT_EQ(ds.splits.size(), 3u);
  const auto counts = label_split(ds.split("train"), LabelMode::kMajority).class_counts();
  // neutral and happiness most common; disgust and contempt rare but present
  EXPECT_GT(counts[0], counts[2]);
  EXPECT_GT(counts[1], counts[2]);
  for (int c : {5, 7}) {
    EXPECT_GT(counts[c], 0) << emotion_name(c);
    EXPECT_LT(counts[c], counts[0] / 20) << emotion_name(c);
  }
  // annotators disagree on some faces: not every image is unanimous
  const auto top = std::get<0>(ds.split("train").votes.narrow(1, 0, 8).max(1));
  EXPECT_GT((top < 10).sum().item<int64_t>(), 200);
  // writing again into a non-empty folder needs --force
  EXPECT_THROW(write_synthetic_dataset(cfg), Error);
}

}  // namespace
}  // namespace ferkit
