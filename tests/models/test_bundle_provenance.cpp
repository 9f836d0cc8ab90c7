// The bundle's provenance (models/bundle.h): one typed record, read and written in one place.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ferkit/models/bundle.h"

namespace ferkit {

TEST(BundleProvenance, RoundTripsEveryField) {
  BundleProvenance p;
  p.data = "/data/ferplus";
  p.label_mode = "probability";
  p.recipe = "cpu-fast";
  p.epoch = 19;
  p.weights = "ema";
  p.posthoc_tau = 0.3;
  p.val_split = "valid";
  p.select_on = "holdout:0.1";
  p.val_accuracy = 0.85;
  p.val_balanced_accuracy = 0.66;
  p.image_size = 40;
  p.ensemble_of.push_back({"a", "small_cnn", "dropped", 0.8, std::nullopt, 0.5});
  const BundleProvenance back = bundle_provenance_from_json(to_json(p));
  EXPECT_EQ(to_json(back), to_json(p));
  EXPECT_EQ(back.epoch, 19);
  EXPECT_EQ(back.image_size, 40);
  ASSERT_EQ(back.ensemble_of.size(), 1u);
  EXPECT_EQ(back.ensemble_of[0].adjustment, "dropped");
  EXPECT_FALSE(back.ensemble_of[0].val_balanced_accuracy);
  EXPECT_EQ(back.ensemble_of[0].posthoc_tau, 0.5);
}

// A bundle from before a field existed, or with a field of the wrong type, reads the one default.
TEST(BundleProvenance, MissingOrMistypedFieldsReadTheirDefault) {
  const BundleProvenance empty = bundle_provenance_from_json(nlohmann::json::object());
  EXPECT_EQ(empty.image_size, kDefaultStoredImageSize);
  EXPECT_EQ(empty.label_mode, "majority");
  EXPECT_FALSE(empty.val_accuracy);
  EXPECT_FALSE(empty.epoch);
  const BundleProvenance odd =
      bundle_provenance_from_json({{"image_size", -3}, {"val_accuracy", "high"}, {"label_mode", 7}, {"ensemble_of", "x"}});
  EXPECT_EQ(odd.image_size, kDefaultStoredImageSize);
  EXPECT_FALSE(odd.val_accuracy);
  EXPECT_EQ(odd.label_mode, "majority");
  EXPECT_TRUE(odd.ensemble_of.empty());
  // A key of a newer ferkit is kept and written back.
  const BundleProvenance newer = bundle_provenance_from_json({{"image_size", 40}, {"teacher_of", "x"}});
  EXPECT_EQ(to_json(newer).at("teacher_of"), "x");
  EXPECT_EQ(to_json(newer).at("image_size"), 40);
  // What is absent is not written: an ensemble's record holds no training epoch or recipe.
  const nlohmann::json j = to_json(BundleProvenance{});
  EXPECT_FALSE(j.contains("epoch"));
  EXPECT_FALSE(j.contains("recipe"));
  EXPECT_EQ(j.at("image_size"), kDefaultStoredImageSize);
}

}  // namespace ferkit
