// --select-on holdout: the held-back share is chosen by the pixels alone (copies stay together,
// every run on the same data holds back the same images) and is about the fraction asked for.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/holdout.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

Split random_split(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  Split s;
  s.name = "train";
  s.source = "memory";
  s.images = torch::randint(0, 256, {n, 8, 8}, torch::kUInt8);
  s.votes = torch::randint(0, 10, {n, 10}, torch::kInt32);
  for (int64_t i = 0; i < n; ++i) s.files.push_back("img" + std::to_string(i) + ".png");
  return s;
}

TEST(Holdout, HoldsBackAboutTheFractionAskedFor) {
  const Split s = random_split(4000, 1);
  const auto [kept, held] = hold_out(s, 0.1);
  EXPECT_EQ(kept.size() + held.size(), 4000);
  EXPECT_NEAR(held.size(), 400, 60);  // binomial sd ~19
  EXPECT_EQ(kept.name, "train");
  EXPECT_EQ(held.name, "holdout");
  EXPECT_EQ(held.images.size(0), held.size());
  EXPECT_EQ(held.votes.size(0), held.size());
}

TEST(Holdout, RowsKeepTheirImageVotesAndFileTogether) {
  const Split s = random_split(300, 2);
  const auto [kept, held] = hold_out(s, 0.3);
  for (const Split* part : {&kept, &held})
    for (int64_t i = 0; i < part->size(); ++i) {
      const int64_t row = std::stoll(part->files[i].substr(3));
      EXPECT_TRUE(torch::equal(part->images[i], s.images[row]));
      EXPECT_TRUE(torch::equal(part->votes[i], s.votes[row]));
    }
}

TEST(Holdout, ChoiceDependsOnPixelsNotOnOrderOrNames) {
  Split s = random_split(500, 3);
  s.images[7].copy_(s.images[3]);  // an exact copy
  s.images[11].copy_(s.images[3]);
  const bool side = in_holdout(s.images[3], 0.4);
  EXPECT_EQ(in_holdout(s.images[7], 0.4), side);
  EXPECT_EQ(in_holdout(s.images[11], 0.4), side);
  // Reversed order, other names: the same images held back.
  Split reversed = s;
  reversed.images = s.images.flip(0).contiguous();
  reversed.votes = s.votes.flip(0).contiguous();
  std::reverse(reversed.files.begin(), reversed.files.end());
  const auto a = hold_out(s, 0.4).second;
  const auto b = hold_out(reversed, 0.4).second;
  std::vector<std::string> fa = a.files, fb = b.files;
  std::sort(fa.begin(), fa.end());
  std::sort(fb.begin(), fb.end());
  EXPECT_EQ(fa, fb);
  // A larger fraction holds back a superset.
  for (int64_t i = 0; i < s.size(); ++i)
    if (in_holdout(s.images[i], 0.2)) EXPECT_TRUE(in_holdout(s.images[i], 0.4)) << i;
}

TEST(Holdout, ParsesAndRefusesBadFractions) {
  EXPECT_FALSE(parse_select_on("valid").uses_holdout());
  EXPECT_DOUBLE_EQ(parse_select_on("holdout:0.1").holdout, 0.1);
  EXPECT_EQ(select_on_text(parse_select_on("holdout:0.15")), "holdout:0.15");
  EXPECT_TRUE(parse_select_on("last").last);
  EXPECT_FALSE(parse_select_on("last").uses_holdout());
  EXPECT_EQ(select_on_text(parse_select_on("last")), "last");
  for (const char* bad : {"holdout:0", "holdout:0.6", "holdout:-1", "holdout:", "holdout:x", "test", "holdout:0.1x"})
    EXPECT_THROW(parse_select_on(bad), std::invalid_argument) << bad;
}

TEST(Holdout, ASplitTooSmallToCutIsAnErrorNamingIt) {
  const Split s = random_split(1, 4);
  try {
    hold_out(s, 0.5);
    hold_out(s, 0.01);
    FAIL() << "a one-image split cannot be cut in two";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferkit
