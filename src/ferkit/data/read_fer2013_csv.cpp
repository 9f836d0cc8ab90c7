// Reader for the fer2013.csv (emotion,pixels,Usage) + fer2013new.csv (FER+ votes) pair.
// The two files are aligned row by row, as the FER+ reference code expects; a row whose
// FER+ image name is empty was dropped by FER+ and is skipped here too.
#include <algorithm>
#include <filesystem>

#include <torch/torch.h>

#include "ferkit/data/csv.h"
#include "ferkit/data/readers.h"
#include "ferkit/util/error.h"

namespace ferkit::detail {
namespace fs = std::filesystem;

namespace {

std::string split_of_usage(const std::string& usage) {
  if (usage == "Training") return "train";
  if (usage == "PublicTest") return "valid";
  if (usage == "PrivateTest") return "test";
  return "";
}

// FER2013's own 7 labels (0 Angry, 1 Disgust, 2 Fear, 3 Happy, 4 Sad, 5 Surprise, 6 Neutral) in
// FER+ column order, used only when fer2013new.csv is absent.
constexpr int kFer2013ToFerPlus[7] = {4, 5, 6, 1, 3, 2, 0};

struct Row {
  std::string split;
  std::string name;
  Votes votes{};
  long line = 0;
};

// Parses 'n' space-separated bytes; throws InputError on a bad value or count.
void parse_pixels(const std::string& text, uint8_t* dst, int n, const std::string& file, long line) {
  const char* p = text.c_str();
  int count = 0;
  while (*p) {
    while (*p == ' ') ++p;
    if (!*p) break;
    if (*p < '0' || *p > '9') throw InputError(file, line, std::string("pixel value '") + *p + "...' is not a number");
    // Digits past 255 stop counting (a long run of digits overflowed int: found by fuzz/).
    const char* start = p;
    int v = 0;
    while (*p >= '0' && *p <= '9') v = std::min(v * 10 + (*p++ - '0'), 256);
    if (*p && *p != ' ') throw InputError(file, line, std::string("pixel value followed by '") + *p + "'");
    if (v > 255)
      throw InputError(file, line, "pixel value " + std::string(start, std::min<size_t>(p - start, 20)) + (p - start > 20 ? "..." : "") + " is over 255");
    if (count < n) dst[count] = static_cast<uint8_t>(v);
    ++count;
  }
  if (count != n) {
    const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(count))));
    throw InputError(file, line,
                     "row has " + std::to_string(count) + " pixels" +
                         (side * side == count ? " (" + std::to_string(side) + "x" + std::to_string(side) + ")" : "") +
                         ", expected " + std::to_string(n) + " (the image size is wrong or the row is truncated)");
  }
}

// A row's ten votes from fer2013new.csv (record v, aligned with fer2013.csv's row). Returns false
// for an image FER+ dropped (no name).
bool read_ferplus_votes(const CsvRecord& v, const std::string& votes_path, Row& row) {
  if (!v.error.empty()) throw InputError(votes_path, v.line, v.error);
  if (v.fields.size() != 2 + kNumVoteColumns)
    throw InputError(votes_path, v.line, "row has " + std::to_string(v.fields.size()) + " fields, expected 12 " +
                                             "(Usage, Image name, 10 vote counts); truncated row?");
  row.name = v.fields[1];
  if (row.name.empty()) return false;  // not in FER+ (dropped by its authors)
  for (int c = 0; c < kNumVoteColumns; ++c) {
    row.votes[c] = parse_int_field(v.fields[2 + c], "vote count for " + kVoteColumnNames[c], votes_path, v.line);
    if (row.votes[c] < 0) throw InputError(votes_path, v.line, "vote count for " + kVoteColumnNames[c] + " is negative");
  }
  return true;
}

// Without fer2013new.csv: FER2013's own label as ten votes, and a FER+-style name by row.
void read_fer2013_label(const CsvRecord& r, size_t index, const std::string& pixels_path, Row& row) {
  const int e = parse_int_field(r.fields[0], "emotion", pixels_path, r.line);
  if (e < 0 || e > 6) throw InputError(pixels_path, r.line, "emotion " + std::to_string(e) + " is not in 0..6");
  row.votes[kFer2013ToFerPlus[e]] = 10;
  char name[32];
  std::snprintf(name, sizeof(name), "fer%07zu.png", index - 1);
  row.name = name;
}

// The kept rows of each wanted split, in file order.
std::vector<Split> gather_splits(const std::vector<Row>& rows, const std::vector<size_t>& kept, std::vector<uint8_t>& pixels,
                                 int s, const std::string& source, const LoadOptions& options) {
  torch::Tensor all = torch::from_blob(pixels.data(), {static_cast<int64_t>(rows.size()), s, s}, torch::kUInt8);
  std::vector<Split> splits;
  for (const std::string name : {"train", "valid", "test"}) {
    if (!options.splits.empty() && std::find(options.splits.begin(), options.splits.end(), name) == options.splits.end())
      continue;
    std::vector<int64_t> idx;
    for (size_t k : kept)
      if (rows[k].split == name) idx.push_back(static_cast<int64_t>(k));
    if (idx.empty()) continue;
    Split split;
    split.name = name;
    split.source = source;
    split.images = all.index_select(0, torch::tensor(idx, torch::kInt64)).contiguous();
    split.votes = torch::empty({static_cast<int64_t>(idx.size()), kNumVoteColumns}, torch::kInt32);
    auto va = split.votes.accessor<int32_t, 2>();
    for (size_t j = 0; j < idx.size(); ++j) {
      const Row& row = rows[idx[j]];
      split.files.push_back(row.name);
      for (int c = 0; c < kNumVoteColumns; ++c) va[j][c] = row.votes[c];
    }
    splits.push_back(std::move(split));
  }
  return splits;
}

}  // namespace

std::vector<Split> read_fer2013_csv(const std::string& root, const LoadOptions& options, LoadReport& report) {
  const std::string pixels_path = (fs::path(root) / "fer2013.csv").string();
  const std::string votes_path = (fs::path(root) / "fer2013new.csv").string();
  const bool have_votes = fs::exists(votes_path);
  std::vector<CsvRecord> fp;  // the FER+ votes file is small; fer2013.csv (~300 MB) is streamed
  if (have_votes) {
    fp = read_csv(votes_path);
  } else {
    report.warnings.push_back(votes_path + " not found: using FER2013's own single labels as 10 votes each");
  }

  const int s = options.image_size;
  const size_t image_bytes = static_cast<size_t>(s) * s;
  std::vector<Row> rows;
  std::vector<uint8_t> pixels;  // (rows, S, S), grown as rows arrive
  std::vector<std::pair<size_t, std::string>> errors;
  size_t record_index = 0;
  for_each_csv_record(pixels_path, [&](const CsvRecord& r) {
    const size_t i = record_index++;
    if (i == 0) {
      if (r.fields.size() < 3 || r.fields[0] != "emotion" || r.fields[1] != "pixels")
        throw InputError(pixels_path, r.line, "header is not 'emotion,pixels,Usage'");
      return;
    }
    Row row;
    row.line = r.line;
    try {
      if (!r.error.empty()) throw InputError(pixels_path, r.line, r.error);
      if (r.fields.size() != 3)
        throw InputError(pixels_path, r.line, "row has " + std::to_string(r.fields.size()) +
                                                  " fields, expected 3 (emotion, pixels, Usage); truncated row?");
      row.split = split_of_usage(r.fields[2]);
      if (row.split.empty()) throw InputError(pixels_path, r.line, "unknown Usage '" + r.fields[2] + "'");
      if (have_votes) {
        if (i >= fp.size())
          throw InputError(votes_path, 0, "has fewer rows than fer2013.csv; the two files must be aligned row by row");
        if (!read_ferplus_votes(fp[i], votes_path, row)) return;
      } else {
        read_fer2013_label(r, i, pixels_path, row);
      }
      pixels.resize(pixels.size() + image_bytes);
      parse_pixels(r.fields[1], pixels.data() + rows.size() * image_bytes, s * s, pixels_path, r.line);
    } catch (const InputError& e) {
      errors.emplace_back(rows.size(), e.what());
      pixels.resize((rows.size() + 1) * image_bytes);
    }
    rows.push_back(std::move(row));
  });
  if (record_index == 0) throw InputError(pixels_path, 0, "file is empty");
  if (have_votes && fp.size() != record_index)
    throw InputError(votes_path, 0, "has " + std::to_string(fp.size()) + " lines but fer2013.csv has " +
                                        std::to_string(record_index) + "; the two files must be aligned row by row");
  const auto kept = apply_error_policy(rows.size(), errors, options, report);
  std::vector<Split> splits = gather_splits(rows, kept, pixels, s, pixels_path, options);
  if (splits.empty()) throw InputError(pixels_path, 0, "no usable rows in any split");
  return splits;
}

}  // namespace ferkit::detail
