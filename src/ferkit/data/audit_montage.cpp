#include "ferkit/data/audit_montage.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"

namespace ferkit {
namespace {

cv::Mat face_of(const Split& split, int64_t row, int side) {
  const at::Tensor img = split.images[row].contiguous();
  cv::Mat gray(static_cast<int>(img.size(0)), static_cast<int>(img.size(1)), CV_8UC1, img.data_ptr<uint8_t>());
  cv::Mat big, colour;
  cv::resize(gray, big, {side, side}, 0, 0, cv::INTER_NEAREST);
  cv::cvtColor(big, colour, cv::COLOR_GRAY2BGR);
  return colour;
}

std::string short_label(const std::string& label) { return label.substr(0, 4); }

}  // namespace

int write_pair_montage(const Dataset& ds, const nlohmann::json& audit, const std::string& png_path, const MontageOptions& o) {
  // (split name, file) -> (split index, row)
  std::map<std::pair<std::string, std::string>, std::pair<int, int64_t>> where;
  for (size_t s = 0; s < ds.splits.size(); ++s)
    for (int64_t r = 0; r < ds.splits[s].size(); ++r) where[{ds.splits[s].name, ds.splits[s].files[r]}] = {static_cast<int>(s), r};

  std::vector<const nlohmann::json*> chosen;
  for (const auto& p : audit.at("duplicates").at("pairs")) {
    const double sim = p.at("similarity");
    if (sim < o.min_similarity || sim >= o.max_similarity) continue;
    if (o.near_only && p.at("kind") != "near") continue;
    chosen.push_back(&p);
  }
  if (o.seed != 0) {
    std::mt19937_64 rng(o.seed);
    std::shuffle(chosen.begin(), chosen.end(), rng);
  } else if (o.across_splits_first) {
    auto rank = [](const nlohmann::json* p) {  // as format_audit lists them
      return ((*p)["a"]["split"] == (*p)["b"]["split"] ? 4 : 0) + ((*p)["kind"] == "similar" ? 2 : 0) +
             ((*p)["conflict"].get<bool>() ? 0 : 1);
    };
    std::stable_sort(chosen.begin(), chosen.end(), [&](auto* x, auto* y) { return rank(x) < rank(y); });
  }
  if (static_cast<int>(chosen.size()) > o.max_pairs) chosen.resize(o.max_pairs);
  if (chosen.empty()) return 0;

  const int side = 96, gap = 12, caption = 30, columns = 4;
  const int cell_w = 2 * side + gap, cell_h = side + caption;
  const int rows = (static_cast<int>(chosen.size()) + columns - 1) / columns;
  cv::Mat canvas(rows * cell_h + gap, columns * cell_w + gap, CV_8UC3, cv::Scalar(255, 255, 255));
  int drawn = 0;
  for (const nlohmann::json* p : chosen) {
    const auto a = where.find({(*p)["a"]["split"], (*p)["a"]["file"]});
    const auto b = where.find({(*p)["b"]["split"], (*p)["b"]["file"]});
    if (a == where.end() || b == where.end())
      throw Error(fmt::format("audit pair {} / {} is not in the data set {}: was the audit run on another one?",
                              (*p)["a"]["file"].get<std::string>(), (*p)["b"]["file"].get<std::string>(), ds.root));
    const int x = gap + (drawn % columns) * cell_w, y = gap + (drawn / columns) * cell_h;
    face_of(ds.splits[a->second.first], a->second.second, side).copyTo(canvas(cv::Rect(x, y, side, side)));
    face_of(ds.splits[b->second.first], b->second.second, side).copyTo(canvas(cv::Rect(x + side, y, side, side)));
    const bool conflict = (*p)["conflict"];
    const cv::Scalar ink = conflict ? cv::Scalar(0, 0, 200) : cv::Scalar(40, 40, 40);
    const std::string line1 = fmt::format("{} {:.3f}{}", (*p)["kind"] == "exact-mirror" ? "exact" : (*p)["kind"].get<std::string>(),
                                          (*p)["similarity"].get<double>(),
                                          (*p)["mirrored"].get<bool>() ? " mirror" : "");
    const std::string line2 = fmt::format("{} {} | {} {}", (*p)["a"]["split"].get<std::string>().substr(0, 5),
                                          short_label((*p)["a"]["label"]), (*p)["b"]["split"].get<std::string>().substr(0, 5),
                                          short_label((*p)["b"]["label"]));
    cv::putText(canvas, line1, {x, y + side + 12}, cv::FONT_HERSHEY_SIMPLEX, 0.38, ink, 1, cv::LINE_AA);
    cv::putText(canvas, line2, {x, y + side + 25}, cv::FONT_HERSHEY_SIMPLEX, 0.38, ink, 1, cv::LINE_AA);
    ++drawn;
  }
  std::vector<uchar> png;
  if (!cv::imencode(".png", canvas, png)) throw Error("cannot encode " + png_path);
  atomic_write_text(png_path, std::string(png.begin(), png.end()));
  return drawn;
}

}  // namespace ferkit
