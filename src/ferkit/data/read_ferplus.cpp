// Reader for the FER+ folder layout: FER2013{Train,Valid,Test}/label.csv with the PNGs beside it.
// label.csv has no header; a row is: name,"(x, y, w, h)",10 vote counts.
#include <filesystem>

#include <torch/torch.h>

#include "ferkit/data/csv.h"
#include "ferkit/data/readers.h"
#include "ferkit/util/error.h"

namespace ferkit::detail {
namespace fs = std::filesystem;

namespace {

const std::vector<std::pair<std::string, std::string>> kFolders = {
    {"FER2013Train", "train"}, {"FER2013Valid", "valid"}, {"FER2013Test", "test"}};

cv::Rect parse_box(const std::string& text, const std::string& file, long line) {
  // "(0, 0, 48, 48)"
  std::string inner = text;
  const auto b = inner.find('('), e = inner.rfind(')');
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw InputError(file, line, "face box '" + text + "' is not of the form (x, y, w, h)");
  inner = inner.substr(b + 1, e - b - 1);
  std::vector<int> v;
  size_t start = 0;
  while (true) {
    const size_t comma = inner.find(',', start);
    v.push_back(parse_int_field(inner.substr(start, comma - start), "face box value", file, line));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (v.size() != 4) throw InputError(file, line, "face box '" + text + "' has " + std::to_string(v.size()) + " numbers, expected 4");
  return cv::Rect(v[0], v[1], v[2], v[3]);
}

Split read_one(const std::string& folder, const std::string& split_name, const LoadOptions& options, LoadReport& report) {
  const std::string csv_path = (fs::path(folder) / "label.csv").string();
  std::vector<ImageJob> jobs;
  std::vector<Votes> votes;
  std::vector<std::string> names;
  std::vector<std::pair<size_t, std::string>> errors;

  for_each_csv_record(csv_path, [&](const CsvRecord& rec) {
    const size_t row = names.size();
    names.push_back(rec.fields.empty() ? "" : rec.fields[0]);
    votes.push_back({});
    try {
      if (!rec.error.empty()) throw InputError(csv_path, rec.line, rec.error);
      if (rec.fields.size() != 2 + kNumVoteColumns)
        throw InputError(csv_path, rec.line,
                         "row has " + std::to_string(rec.fields.size()) + " fields, expected 12 (name, face box, " +
                             std::to_string(kNumVoteColumns) + " vote counts)" +
                             (rec.fields.size() < 12 ? "; truncated row?" : ""));
      if (rec.fields[0].empty()) throw InputError(csv_path, rec.line, "empty image name");
      for (int c = 0; c < kNumVoteColumns; ++c) {
        const int v = parse_int_field(rec.fields[2 + c], "vote count for " + kVoteColumnNames[c], csv_path, rec.line);
        if (v < 0) throw InputError(csv_path, rec.line, "vote count for " + kVoteColumnNames[c] + " is negative");
        votes.back()[c] = v;
      }
      ImageJob job;
      job.path = (fs::path(folder) / rec.fields[0]).string();
      job.origin_file = csv_path;
      job.origin_line = rec.line;
      job.box = parse_box(rec.fields[1], csv_path, rec.line);
      job.row = static_cast<int64_t>(row);
      jobs.push_back(std::move(job));
    } catch (const InputError& e) {
      errors.emplace_back(row, e.what());
    }
  });

  // Rows that failed before decoding have no job and stay zero (they are dropped below).
  const int s = options.image_size;
  Split split;
  split.name = split_name;
  split.source = folder;
  split.files = std::move(names);
  split.images = torch::zeros({static_cast<int64_t>(split.files.size()), s, s}, torch::kUInt8);
  decode_images(jobs, split.images, options, errors);
  std::sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  split.votes = torch::empty({static_cast<int64_t>(votes.size()), kNumVoteColumns}, torch::kInt32);
  auto va = split.votes.accessor<int32_t, 2>();
  for (size_t r = 0; r < votes.size(); ++r)
    for (int c = 0; c < kNumVoteColumns; ++c) va[r][c] = votes[r][c];

  keep_rows(split, apply_error_policy(split.files.size(), errors, options, report));
  if (split.size() == 0) throw InputError(csv_path, 0, "split '" + split_name + "' has no usable images");
  return split;
}

}  // namespace

std::vector<Split> read_ferplus_folders(const std::string& root, const LoadOptions& options, LoadReport& report) {
  std::vector<Split> splits;
  for (const auto& [folder, name] : kFolders) {
    if (!options.splits.empty() && std::find(options.splits.begin(), options.splits.end(), name) == options.splits.end())
      continue;
    const fs::path dir = fs::path(root) / folder;
    if (!fs::exists(dir / "label.csv")) continue;
    splits.push_back(read_one(dir.string(), name, options, report));
  }
  return splits;
}

}  // namespace ferkit::detail
