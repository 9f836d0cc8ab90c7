#include "ferkit/report/audit_section.h"

#include <filesystem>

#include <fmt/format.h>

#include "ferkit/report/html_page.h"
#include "ferkit/util/fs.h"

namespace ferkit {
namespace {

int64_t int_of(const nlohmann::json& j, const char* key) { return j.contains(key) ? j[key].get<int64_t>() : 0; }

std::string count_share(int64_t n, int64_t of) {
  return of > 0 ? fmt::format("{} ({:.1f}%)", n, 100.0 * n / of) : std::to_string(n);
}

}  // namespace

std::string audit_section_html(const nlohmann::json& a, const std::string& montage_png, bool with_warnings) {
  const auto& d = a.at("duplicates");
  const bool near = a.value("near_duplicates_searched", false);
  const bool similar = near && a.contains("thresholds") && !a["thresholds"]["similar"].is_null();
  std::string s = "<h2 id=\"audit\">Data audit</h2>\n";
  s += fmt::format("<p>{} images of <code>{}</code> ({}). Duplicates searched: {}{}.</p>\n", int_of(a, "images"),
                   html::escape(a.value("root", std::string("?"))), html::escape(a.value("layout", std::string("?"))),
                   !near ? "exact copies (and mirror images) only" : similar ? "exact, near and similar" : "exact and near",
                   near ? "" : " &mdash; <code>ferkit audit --data DIR --run RUN</code> adds the near-duplicate search");

  // Leakage and repeats per split.
  std::vector<std::vector<std::string>> rows;
  for (const auto& [split, p] : d.at("per_split").items()) {
    const int64_t n = int_of(p, "images");
    std::vector<std::string> row{html::escape(split), std::to_string(n), count_share(int_of(p, "with_a_copy_in_another_split"), n)};
    if (similar) row.push_back(count_share(int_of(p, "with_only_a_similar_image_in_another_split"), n));
    row.push_back(count_share(int_of(p, "extra_copies_within"), n));
    rows.push_back(row);
  }
  std::vector<std::string> header{"split", "images", "with a copy in another split"};
  if (similar) header.push_back("only a similar image there");
  header.push_back("extra copies within the split");
  s += html::table(header, rows);
  std::string kinds;
  for (const auto& [k, n] : d.at("by_kind").items()) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n.get<int64_t>(), k);
  s += fmt::format("<p>{} pairs ({}); {} exact or near pairs carry different majority labels.</p>\n", int_of(d, "count"),
                   kinds.empty() ? "none" : kinds, int_of(d, "conflicting_labels"));
  std::error_code ec;
  if (!montage_png.empty() && std::filesystem::exists(montage_png, ec))
    s += html::inline_png(montage_png, "duplicate pairs") +
         "\n<p class=\"note\">Pairs between splits first, conflicting labels (red) first among them: the "
         "similarity (1 for exact copies), the splits and majority labels of both images.</p>\n";

  // Label noise.
  if (a.contains("label_noise")) {
    s += "<h3>Label noise (crowd votes)</h3>\n";
    for (const auto& [split, ln] : a["label_noise"].items()) {
      std::vector<std::vector<std::string>> r;
      for (const auto& [cls, c] : ln.at("classes").items())
        r.push_back({html::escape(cls), std::to_string(int_of(c, "images")), fmt::format("{:.2f}", c.value("mean_vote_entropy_bits", 0.0)),
                     html::percent(c.value("weak_majority_share", 0.0), 1)});
      s += fmt::format("<p><b>{}</b>: {} of the images have no majority label (left out of majority-mode training and "
                       "scoring). Most split votes:",
                       html::escape(split), html::percent(ln.value("no_majority_share", 0.0), 1));
      for (const auto& p : ln.at("confused_pairs"))
        s += fmt::format(" {}/{} {};", html::escape(p["a"].get<std::string>()), html::escape(p["b"].get<std::string>()),
                         p["images"].get<int64_t>());
      s += "</p>\n" + html::table({"top-voted class", "images", "mean vote entropy (bits)", "weak majority (&le; half the votes)"}, r);
    }
  }

  // Noise floor.
  if (a.contains("noise_floor")) {
    s += "<h3>Noise floor</h3>\n";
    std::vector<std::vector<std::string>> r;
    for (const auto& [split, f] : a["noise_floor"].items()) {
      std::string one;
      for (const auto& [cls, pts] : f.at("one_image_points_of_recall").items())
        if (!pts.is_null() && pts.get<double>() >= 1.0) one += fmt::format("{}{} {:.1f}", one.empty() ? "" : ", ", cls, pts.get<double>());
      r.push_back({html::escape(split), std::to_string(int_of(f, "scored_images")), fmt::format("{:.2f}", f.value("standard_error_points", 0.0)),
                   fmt::format("&plusmn;{:.2f}", f.value("ci95_halfwidth_points", 0.0)),
                   fmt::format("{:.2f}", f.value("min_resolvable_difference_points", 0.0)), one.empty() ? "&ndash;" : one});
    }
    s += html::table({"split", "scored images", "SE (points)", "95% interval", "smallest resolvable difference",
                      "one image = points of recall"},
                     r);
    const double p = a["noise_floor"].begin().value().value("at_accuracy", 0.85);
    s += fmt::format("<p class=\"note\">At {:.0f}% accuracy. Two independent runs differ by less than the "
                     "\"smallest resolvable difference\" (1.96 &middot; &radic;2 &middot; SE) about one time in twenty "
                     "by chance alone: smaller gaps do not rank them.</p>\n",
                     100 * p);
  }
  if (with_warnings && a.contains("warnings") && !a["warnings"].empty()) {
    s += "<h3>Warnings</h3>\n<ul>";
    for (const auto& w : a["warnings"]) s += "<li>" + html::escape(w.get<std::string>()) + "</li>";
    s += "</ul>\n";
  }
  return s;
}

std::string write_audit_report(const nlohmann::json& audit, const std::string& montage_png, const std::string& out_path) {
  atomic_write_text(out_path, html::page("ferkit audit", "<h1>ferkit audit</h1>\n" + audit_section_html(audit, montage_png)));
  return out_path;
}

}  // namespace ferkit
