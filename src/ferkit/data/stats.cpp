#include "ferkit/data/stats.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferkit {

nlohmann::json data_stats(const Dataset& dataset, LabelMode mode) {
  nlohmann::json out;
  out["root"] = dataset.root;
  out["layout"] = layout_name(dataset.layout);
  out["label_mode"] = label_mode_name(mode);
  out["image_size"] = dataset.image_size;
  out["skipped_bad"] = dataset.report.skipped;
  out["splits"] = nlohmann::json::array();
  for (const Split& split : dataset.splits) {
    const LabelledSplit labelled = label_split(split, mode);
    nlohmann::json s;
    s["name"] = split.name;
    s["source"] = split.source;
    s["images"] = split.size();
    s["kept"] = labelled.size();
    s["excluded"] = labelled.excluded;
    const auto counts = labelled.class_counts();
    nlohmann::json classes = nlohmann::json::object();
    for (int c = 0; c < kNumEmotions; ++c) classes[emotion_name(c)] = counts[c];
    s["classes"] = classes;
    // Agreement: how many of the 10 annotators chose the most-voted emotion.
    std::vector<int64_t> agreement(kNumVoteColumns + 1, 0);
    auto va = split.votes.accessor<int32_t, 2>();
    for (int64_t i = 0; i < split.size(); ++i) {
      int top = 0;
      for (int c = 0; c < kNumEmotions; ++c) top = std::max<int>(top, va[i][c]);
      ++agreement[std::min(top, kNumVoteColumns)];
    }
    s["agreement"] = agreement;
    out["splits"].push_back(s);
  }
  return out;
}

std::string format_data_stats(const nlohmann::json& stats) {
  std::string text = fmt::format("{} (layout {}, label mode {}, {}x{} images)\n", stats["root"].get<std::string>(),
                                 stats["layout"].get<std::string>(), stats["label_mode"].get<std::string>(),
                                 stats["image_size"].get<int>(), stats["image_size"].get<int>());
  text += fmt::format("{:<10}", "class");
  for (const auto& s : stats["splits"]) text += fmt::format("{:>10}", s["name"].get<std::string>());
  text += "\n";
  for (int c = 0; c < kNumEmotions; ++c) {
    text += fmt::format("{:<10}", emotion_name(c));
    for (const auto& s : stats["splits"]) text += fmt::format("{:>10}", s["classes"][emotion_name(c)].get<int64_t>());
    text += "\n";
  }
  for (const char* row : {"kept", "excluded", "images"}) {
    text += fmt::format("{:<10}", row);
    for (const auto& s : stats["splits"]) text += fmt::format("{:>10}", s[row].get<int64_t>());
    text += "\n";
  }
  text += "\nagreement: images whose most-voted emotion got k of 10 votes\n";
  text += fmt::format("{:<10}", "k");
  for (const auto& s : stats["splits"]) text += fmt::format("{:>10}", s["name"].get<std::string>());
  text += "\n";
  for (int k = 0; k <= kNumVoteColumns; ++k) {
    text += fmt::format("{:<10}", k);
    for (const auto& s : stats["splits"]) text += fmt::format("{:>10}", s["agreement"][k].get<int64_t>());
    text += "\n";
  }
  if (stats["skipped_bad"].get<int64_t>() > 0)
    text += fmt::format("\nskipped bad rows or images: {}\n", stats["skipped_bad"].get<int64_t>());
  return text;
}

}  // namespace ferkit
