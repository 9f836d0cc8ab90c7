#include "ferkit/data/audit.h"

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <torch/torch.h>

namespace ferkit {
namespace {

// Majority label of every row of a split (-1: excluded by the FER+ majority rule).
std::vector<int> majority_labels(const Split& split) {
  std::vector<int> labels(split.size(), -1);
  const LabelledSplit l = label_split(split, LabelMode::kMajority);
  auto idx = l.index.accessor<int64_t, 1>();
  auto lab = l.labels.accessor<int64_t, 1>();
  for (int64_t k = 0; k < idx.size(0); ++k) labels[idx[k]] = static_cast<int>(lab[k]);
  return labels;
}

std::string label_text(int label) { return label < 0 ? "none" : emotion_name(label); }

nlohmann::json duplicates_json(const Dataset& ds, const DuplicateReport& r, const std::vector<std::vector<int>>& labels) {
  nlohmann::json pairs = nlohmann::json::array();
  std::map<std::string, int64_t> kinds, where;
  int64_t conflicting = 0;
  // images of each split with a duplicate in another split (leakage), and within their own
  // (and, apart, those whose only match in another split is a "similar" one)
  std::vector<std::vector<char>> leaked(ds.splits.size()), repeated(ds.splits.size()), resembling(ds.splits.size());
  for (size_t s = 0; s < ds.splits.size(); ++s) {
    leaked[s].assign(ds.splits[s].size(), 0);
    repeated[s].assign(ds.splits[s].size(), 0);
    resembling[s].assign(ds.splits[s].size(), 0);
  }
  for (const auto& p : r.pairs) {
    const int la = labels[p.a.split][p.a.row], lb = labels[p.b.split][p.b.row];
    const bool conflict = la >= 0 && lb >= 0 && la != lb;
    const bool similar_only = p.kind == "similar";
    conflicting += conflict && !similar_only;
    ++kinds[p.kind];
    const std::string& sa = ds.splits[p.a.split].name;
    const std::string& sb = ds.splits[p.b.split].name;
    ++where[sa == sb ? sa : sa + "-" + sb];
    if (similar_only) {
      if (p.a.split != p.b.split) resembling[p.a.split][p.a.row] = resembling[p.b.split][p.b.row] = 1;
    } else if (p.a.split != p.b.split) {
      leaked[p.a.split][p.a.row] = leaked[p.b.split][p.b.row] = 1;
    } else {
      repeated[p.a.split][p.b.row] = 1;  // the later copy is the extra one
    }
    pairs.push_back({{"kind", p.kind},
                     {"similarity", p.similarity},
                     {"distance", 1.0 - p.similarity},
                     {"mirrored", p.mirrored},
                     {"shift", {p.dx, p.dy}},
                     {"conflict", conflict},
                     {"a", {{"split", sa}, {"file", ds.splits[p.a.split].files[p.a.row]}, {"label", label_text(la)}}},
                     {"b", {{"split", sb}, {"file", ds.splits[p.b.split].files[p.b.row]}, {"label", label_text(lb)}}}});
  }
  nlohmann::json per_split = nlohmann::json::object();
  for (size_t s = 0; s < ds.splits.size(); ++s) {
    int64_t l = 0, rep = 0, res = 0;
    for (char c : leaked[s]) l += c;
    for (char c : repeated[s]) rep += c;
    for (size_t i = 0; i < resembling[s].size(); ++i) res += resembling[s][i] && !leaked[s][i];
    per_split[ds.splits[s].name] = {{"images", ds.splits[s].size()},
                                    {"with_a_copy_in_another_split", l},
                                    {"with_only_a_similar_image_in_another_split", res},
                                    {"extra_copies_within", rep}};
  }
  return {{"pairs", pairs},
          {"count", r.pairs.size()},
          {"by_kind", kinds},
          {"by_splits", where},
          {"conflicting_labels", conflicting},  // among exact and near pairs
          {"per_split", per_split},
          {"candidates_checked", r.candidates},
          {"seconds", r.seconds}};
}

nlohmann::json label_noise_json(const Dataset& ds) {
  nlohmann::json out = nlohmann::json::object();
  for (const Split& split : ds.splits) {
    std::array<double, kNumEmotions> entropy{}, weak{};
    std::array<int64_t, kNumEmotions> images{};
    std::map<std::pair<int, int>, int64_t> split_votes;
    int64_t no_majority = 0;
    const std::vector<int> majority = majority_labels(split);
    const torch::Tensor votes = split.votes.to(torch::kInt32).contiguous();
    auto v = votes.accessor<int32_t, 2>();
    for (int64_t i = 0; i < split.size(); ++i) {
      double total = 0;
      int top = 0;
      for (int k = 0; k < kNumVoteColumns; ++k) {
        total += v[i][k];
        if (v[i][k] > v[i][top]) top = k;
      }
      if (majority[i] < 0) ++no_majority;
      if (total <= 0 || top >= kNumEmotions) continue;  // unknown / not a face on top
      double h = 0;
      for (int k = 0; k < kNumVoteColumns; ++k)
        if (v[i][k] > 0) h -= v[i][k] / total * std::log2(v[i][k] / total);
      ++images[top];
      entropy[top] += h;
      weak[top] += v[i][top] / total <= 0.5 ? 1 : 0;
      for (int a = 0; a < kNumEmotions; ++a)
        for (int b = a + 1; b < kNumEmotions; ++b)
          if (v[i][a] >= 2 && v[i][b] >= 2) ++split_votes[{a, b}];
    }
    nlohmann::json classes = nlohmann::json::object();
    for (int c = 0; c < kNumEmotions; ++c)
      classes[emotion_name(c)] = {{"images", images[c]},
                                  {"mean_vote_entropy_bits", images[c] ? entropy[c] / images[c] : 0.0},
                                  {"weak_majority_share", images[c] ? weak[c] / images[c] : 0.0}};
    std::vector<std::pair<int64_t, std::pair<int, int>>> ranked;
    for (const auto& [pair, n] : split_votes) ranked.push_back({n, pair});
    std::sort(ranked.rbegin(), ranked.rend());
    nlohmann::json confused = nlohmann::json::array();
    for (size_t k = 0; k < ranked.size() && k < 8; ++k)
      confused.push_back({{"a", emotion_name(ranked[k].second.first)}, {"b", emotion_name(ranked[k].second.second)},
                          {"images", ranked[k].first}});
    out[split.name] = {{"classes", classes},
                       {"no_majority_share", split.size() ? static_cast<double>(no_majority) / split.size() : 0.0},
                       {"confused_pairs", confused}};
  }
  return out;
}

nlohmann::json noise_floor_json(const Dataset& ds, double p) {
  nlohmann::json out = nlohmann::json::object();
  for (const Split& split : ds.splits) {
    const LabelledSplit l = label_split(split, LabelMode::kMajority);
    const auto counts = l.class_counts();
    const double n = static_cast<double>(l.size());
    const double se = n > 0 ? std::sqrt(p * (1 - p) / n) : 0.0;
    nlohmann::json one = nlohmann::json::object();
    for (int c = 0; c < kNumEmotions; ++c)
      one[emotion_name(c)] = counts[c] ? nlohmann::json(100.0 / counts[c]) : nlohmann::json(nullptr);
    out[split.name] = {{"scored_images", l.size()},
                       {"at_accuracy", p},
                       {"standard_error_points", 100 * se},
                       {"ci95_halfwidth_points", 100 * 1.96 * se},
                       // two independent runs: the difference has sqrt(2) times the standard error
                       {"min_resolvable_difference_points", 100 * 1.96 * std::sqrt(2.0) * se},
                       {"one_image_points_of_recall", one},
                       {"class_counts", counts}};
  }
  return out;
}

}  // namespace

nlohmann::json audit_dataset(const Dataset& ds, const AuditOptions& o) {
  std::vector<std::vector<int>> labels;
  for (const Split& s : ds.splits) labels.push_back(majority_labels(s));
  DuplicateOptions dup = o.duplicates;
  if (!o.near_duplicates) dup.candidate_similarity = 2.0;  // no thumbnail pair reaches it: exact only
  const DuplicateReport r = find_duplicates(ds, dup);
  int64_t images = 0;
  for (const Split& s : ds.splits) images += s.size();
  nlohmann::json a = {{"root", ds.root},
                      {"layout", layout_name(ds.layout)},
                      {"images", images},
                      {"near_duplicates_searched", o.near_duplicates},
                      {"thresholds", {{"candidate", dup.candidate_similarity},
                                      {"near", dup.near_similarity},
                                      {"similar", dup.similar_similarity < dup.near_similarity ? nlohmann::json(dup.similar_similarity)
                                                                                                : nlohmann::json(nullptr)}}},
                      {"duplicates", duplicates_json(ds, r, labels)},
                      {"label_noise", label_noise_json(ds)},
                      {"noise_floor", noise_floor_json(ds, o.typical_accuracy)}};
  a["warnings"] = audit_warnings(a);
  return a;
}

std::vector<std::string> audit_warnings(const nlohmann::json& a) {
  std::vector<std::string> w;
  const auto& d = a["duplicates"];
  for (const auto& [split, s] : d["per_split"].items()) {
    const int64_t leaked = s["with_a_copy_in_another_split"], n = s["images"];
    if (leaked > 0 && split != "train")
      w.push_back(fmt::format("{} of {} {} images ({:.1f}%) have {} copy in another split: a model trained there has seen "
                              "them, and a figure measured on {} counts them",
                              leaked, n, split, 100.0 * leaked / n,
                              a.value("near_duplicates_searched", true) ? "an exact or near" : "an exact", split));
    const int64_t resembling = s.value("with_only_a_similar_image_in_another_split", int64_t{0});
    if (resembling > 0 && split != "train")
      w.push_back(fmt::format("{} more {} images ({:.1f}%) have a similar image in another split (the same photograph more "
                              "heavily edited, or the same shoot: see the montage)",
                              resembling, split, 100.0 * resembling / n));
    const int64_t extra = s["extra_copies_within"];
    if (extra > 0) w.push_back(fmt::format("{} {} images are extra copies of other {} images", extra, split, split));
  }
  if (d["conflicting_labels"].get<int64_t>() > 0)
    w.push_back(fmt::format("{} duplicate pairs carry different majority labels", d["conflicting_labels"].get<int64_t>()));
  for (const auto& [split, f] : a["noise_floor"].items()) {
    if (split == "train") continue;
    w.push_back(fmt::format("{}: {} scored images; at {:.0f}% accuracy two runs must differ by about {:.1f} points to be told "
                            "apart (95%)",
                            split, f["scored_images"].get<int64_t>(), 100 * f["at_accuracy"].get<double>(),
                            f["min_resolvable_difference_points"].get<double>()));
    for (const auto& [cls, pts] : f["one_image_points_of_recall"].items())
      if (!pts.is_null() && pts.get<double>() >= 2.0)
        w.push_back(fmt::format("{}: one {} image is {:.1f} points of {} recall", split, cls, pts.get<double>(), cls));
  }
  return w;
}

std::string format_audit(const nlohmann::json& a, int max_pairs) {
  const auto& d = a["duplicates"];
  std::string s = fmt::format("{} ({}): {} images\n\nduplicates ({}; {} candidate pairs checked, {:.1f} s): {} pairs, {} with "
                              "conflicting labels\n",
                              a["root"].get<std::string>(), a["layout"].get<std::string>(), a["images"].get<int64_t>(),
                              !a["near_duplicates_searched"].get<bool>()           ? "exact only"
                              : a["thresholds"]["similar"].is_null() ? "exact and near"
                                                                     : "exact, near and similar",
                              d["candidates_checked"].get<int64_t>(), d["seconds"].get<double>(), d["count"].get<int64_t>(),
                              d["conflicting_labels"].get<int64_t>());
  for (const auto& [k, n] : d["by_kind"].items()) s += fmt::format("  {:<14} {}\n", k, n.get<int64_t>());
  for (const auto& [k, n] : d["by_splits"].items()) s += fmt::format("  {:<14} {}\n", k, n.get<int64_t>());
  // Pairs between splits (leakage) first, conflicting labels first among them; exact and near
  // before similar.
  std::vector<const nlohmann::json*> order;
  for (const auto& p : d["pairs"]) order.push_back(&p);
  auto rank = [](const nlohmann::json* p) {
    return ((*p)["a"]["split"] == (*p)["b"]["split"] ? 4 : 0) + ((*p)["kind"] == "similar" ? 2 : 0) +
           ((*p)["conflict"].get<bool>() ? 0 : 1);
  };
  std::stable_sort(order.begin(), order.end(), [&](auto* x, auto* y) { return rank(x) < rank(y); });
  int listed = 0;
  for (const nlohmann::json* pp : order) {
    const auto& p = *pp;
    if (listed++ >= max_pairs) {
      s += fmt::format("  ... ({} more; --json lists all)\n", d["count"].get<int64_t>() - max_pairs);
      break;
    }
    s += fmt::format("  {:<12} {:.3f}  {}/{} ({})  {}/{} ({}){}{}\n", p["kind"].get<std::string>(), p["similarity"].get<double>(),
                     p["a"]["split"].get<std::string>(), p["a"]["file"].get<std::string>(), p["a"]["label"].get<std::string>(),
                     p["b"]["split"].get<std::string>(), p["b"]["file"].get<std::string>(), p["b"]["label"].get<std::string>(),
                     p["mirrored"].get<bool>() ? "  mirrored" : "", p["conflict"].get<bool>() ? "  CONFLICT" : "");
  }
  s += "\nlabel noise (by the top-voted emotion)\n";
  for (const auto& [split, ln] : a["label_noise"].items()) {
    s += fmt::format("  {}: {:.1f}% of images have no majority label\n", split, 100 * ln["no_majority_share"].get<double>());
    s += fmt::format("    {:<10} {:>7} {:>14} {:>14}\n", "class", "images", "entropy (bits)", "weak majority");
    for (const auto& [cls, c] : ln["classes"].items())
      s += fmt::format("    {:<10} {:>7} {:>14.2f} {:>13.1f}%\n", cls, c["images"].get<int64_t>(),
                       c["mean_vote_entropy_bits"].get<double>(), 100 * c["weak_majority_share"].get<double>());
    s += "    most split votes:";
    for (const auto& p : ln["confused_pairs"])
      s += fmt::format(" {}/{} {};", p["a"].get<std::string>(), p["b"].get<std::string>(), p["images"].get<int64_t>());
    s += "\n";
  }
  s += "\nnoise floor\n";
  for (const auto& [split, f] : a["noise_floor"].items())
    s += fmt::format("  {}: {} scored images; at {:.0f}% accuracy SE {:.2f} points, 95% CI +-{:.2f}, resolves {:.2f} points "
                     "between two runs\n",
                     split, f["scored_images"].get<int64_t>(), 100 * f["at_accuracy"].get<double>(),
                     f["standard_error_points"].get<double>(), f["ci95_halfwidth_points"].get<double>(),
                     f["min_resolvable_difference_points"].get<double>());
  s += "\nwarnings\n";
  for (const auto& w : a["warnings"]) s += "  - " + w.get<std::string>() + "\n";
  return s;
}

}  // namespace ferkit
