// Layout detection, load_dataset dispatch and label modes applied to whole splits.
#include "ferkit/data/dataset.h"

#include <map>
#include <filesystem>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "ferkit/data/readers.h"
#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {
namespace fs = std::filesystem;

std::string layout_name(Layout layout) {
  switch (layout) {
    case Layout::kFerPlusFolders: return "ferplus";
    case Layout::kFer2013Csv: return "fer2013-csv";
    case Layout::kClassFolders: return "class-folders";
  }
  return "?";
}

Layout parse_layout(const std::string& name) {
  // auto is detect_layout's; csv and folders are short names
  static const std::map<std::string, Layout> layouts = {{"ferplus", Layout::kFerPlusFolders},
                                                        {"fer2013-csv", Layout::kFer2013Csv},
                                                        {"csv", Layout::kFer2013Csv},
                                                        {"class-folders", Layout::kClassFolders},
                                                        {"folders", Layout::kClassFolders}};
  return registry_lookup(layouts, name, "layout");
}

Layout detect_layout(const std::string& root) {
  if (!fs::is_directory(root)) throw Error(root + ": not a folder (the data folder must exist)");
  for (const char* f : {"FER2013Train", "FER2013Valid", "FER2013Test"})
    if (fs::exists(fs::path(root) / f / "label.csv")) return Layout::kFerPlusFolders;
  if (fs::exists(fs::path(root) / "fer2013.csv")) return Layout::kFer2013Csv;
  for (const char* f : {"train", "val", "valid", "validation", "test"})
    if (fs::is_directory(fs::path(root) / f)) return Layout::kClassFolders;
  throw Error(root +
              ": matches no known data layout; expected one of\n"
              "  FER2013Train/label.csv (and FER2013Valid, FER2013Test) with the PNGs beside each label.csv,\n"
              "  fer2013.csv with fer2013new.csv beside it,\n"
              "  train/<class>/*.png (and val/, test/)");
}

std::vector<std::string> available_splits(const std::string& root, Layout layout) {
  std::vector<std::string> names;
  const fs::path r(root);
  switch (layout) {
    case Layout::kFerPlusFolders:
      for (const auto& [folder, name] : {std::pair{"FER2013Train", "train"}, {"FER2013Valid", "valid"}, {"FER2013Test", "test"}})
        if (fs::exists(r / folder / "label.csv")) names.push_back(name);
      break;
    case Layout::kClassFolders:
      if (fs::is_directory(r / "train")) names.push_back("train");
      if (fs::is_directory(r / "val") || fs::is_directory(r / "valid") || fs::is_directory(r / "validation"))
        names.push_back("valid");
      if (fs::is_directory(r / "test")) names.push_back("test");
      break;
    case Layout::kFer2013Csv:
      names = {"train", "valid", "test"};  // by the Usage column; which are present is known only after reading
      break;
  }
  return names;
}

Dataset load_dataset(const std::string& root, const LoadOptions& options) {
  FERKIT_CHECK(options.image_size >= 8 && options.image_size <= 1024, "--image-size must be in 8..1024");
  Dataset ds;
  ds.root = root;
  ds.layout = options.layout == "auto" ? detect_layout(root) : parse_layout(options.layout);
  ds.image_size = options.image_size;
  switch (ds.layout) {
    case Layout::kFerPlusFolders: ds.splits = detail::read_ferplus_folders(root, options, ds.report); break;
    case Layout::kFer2013Csv: ds.splits = detail::read_fer2013_csv(root, options, ds.report); break;
    case Layout::kClassFolders: ds.splits = detail::read_class_folders(root, options, ds.report); break;
  }
  for (const auto& wanted : options.splits) {
    if (ds.has_split(wanted)) continue;
    std::string have;
    for (const auto& name : available_splits(root, ds.layout)) have += (have.empty() ? "" : ", ") + name;
    throw Error(root + ": has no '" + wanted + "' split (it has: " + (have.empty() ? "none" : have) + ")");
  }
  if (ds.splits.empty()) throw Error(root + ": no split found for layout " + layout_name(ds.layout));
  if (ds.report.skipped > 0)
    spdlog::warn("{}: skipped {} bad rows or images (--skip-bad); first: {}", root, ds.report.skipped,
                 ds.report.warnings.front());
  return ds;
}

bool Dataset::has_split(const std::string& name) const {
  return std::any_of(splits.begin(), splits.end(), [&](const Split& s) { return s.name == name; });
}

const Split& Dataset::split(const std::string& name) const {
  for (const Split& s : splits)
    if (s.name == name) return s;
  std::string have;
  for (const Split& s : splits) have += (have.empty() ? "" : ", ") + s.name;
  throw Error(root + ": has no '" + name + "' split (it has: " + have + ")");
}

LabelledSplit label_split(const Split& split, LabelMode mode) {
  LabelledSplit out;
  out.name = split.name;
  out.mode = mode;
  const int64_t n = split.size();
  auto va = split.votes.accessor<int32_t, 2>();
  std::vector<int64_t> index;
  std::vector<float> targets;
  std::vector<int64_t> labels;
  index.reserve(n);
  targets.reserve(n * kNumEmotions);
  for (int64_t i = 0; i < n; ++i) {
    Votes v;
    for (int c = 0; c < kNumVoteColumns; ++c) v[c] = va[i][c];
    auto t = target_from_votes(v, mode);
    if (!t) continue;
    index.push_back(i);
    targets.insert(targets.end(), t->begin(), t->end());
    labels.push_back(std::max_element(t->begin(), t->end()) - t->begin());
  }
  const int64_t m = static_cast<int64_t>(index.size());
  out.index = torch::tensor(index, torch::kInt64);
  out.targets = torch::from_blob(targets.data(), {m, kNumEmotions}, torch::kFloat32).clone();
  out.labels = torch::tensor(labels, torch::kInt64);
  out.excluded = n - m;
  return out;
}

std::array<int64_t, kNumEmotions> LabelledSplit::class_counts() const {
  std::array<int64_t, kNumEmotions> counts{};
  auto l = labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < l.size(0); ++i) ++counts[l[i]];
  return counts;
}

}  // namespace ferkit
