// Reader for class folders: {train,val,test}/<class>/*.{png,jpg,jpeg,bmp}. Each image counts as
// 10 votes for its folder's class, so every label mode gives its one-hot target.
#include <filesystem>

#include <torch/torch.h>

#include "ferkit/data/readers.h"
#include "ferkit/util/error.h"

namespace ferkit::detail {
namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

std::string known_names() {
  std::string s;
  for (int i = 0; i < kNumEmotions; ++i) s += (i ? ", " : "") + emotion_name(i);
  return s + " (or happy, sad, angry, surprised, fearful, disgusted)";
}

}  // namespace

std::vector<Split> read_class_folders(const std::string& root, const LoadOptions& options, LoadReport& report) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> kSplitFolders = {
      {{"train"}, "train"}, {{"val", "valid", "validation"}, "valid"}, {{"test"}, "test"}};
  std::vector<Split> splits;
  for (const auto& [folders, name] : kSplitFolders) {
    if (!options.splits.empty() && std::find(options.splits.begin(), options.splits.end(), name) == options.splits.end())
      continue;
    fs::path dir;
    for (const auto& f : folders)
      if (fs::is_directory(fs::path(root) / f)) { dir = fs::path(root) / f; break; }
    if (dir.empty()) continue;

    std::vector<fs::path> class_dirs;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_directory() && entry.path().filename().string()[0] != '.') class_dirs.push_back(entry.path());
    std::sort(class_dirs.begin(), class_dirs.end());

    std::vector<ImageJob> jobs;
    std::vector<int> classes;
    std::vector<std::string> names;
    for (const auto& cdir : class_dirs) {
      const auto cls = emotion_index(cdir.filename().string());
      if (!cls)
        throw InputError(cdir.string(), 0, "unknown class folder '" + cdir.filename().string() + "'; expected one of " + known_names());
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(cdir))
        if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        ImageJob job;
        job.path = f.string();
        job.origin_file = f.string();
        job.row = static_cast<int64_t>(jobs.size());
        jobs.push_back(std::move(job));
        classes.push_back(*cls);
        names.push_back((cdir.filename() / f.filename()).string());
      }
    }
    if (jobs.empty()) throw InputError(dir.string(), 0, "split '" + name + "' has no images (expected " + dir.string() + "/<class>/*.png)");

    std::vector<std::pair<size_t, std::string>> errors;
    Split split;
    split.name = name;
    split.source = dir.string();
    split.images = torch::zeros({static_cast<int64_t>(jobs.size()), options.image_size, options.image_size}, torch::kUInt8);
    decode_images(jobs, split.images, options, errors);
    split.files = std::move(names);
    split.votes = torch::zeros({static_cast<int64_t>(jobs.size()), kNumVoteColumns}, torch::kInt32);
    auto va = split.votes.accessor<int32_t, 2>();
    for (size_t i = 0; i < classes.size(); ++i) va[i][classes[i]] = 10;
    keep_rows(split, apply_error_policy(jobs.size(), errors, options, report));
    if (split.size() == 0) throw InputError(dir.string(), 0, "split '" + name + "' has no usable images");
    splits.push_back(std::move(split));
  }
  return splits;
}

}  // namespace ferkit::detail
