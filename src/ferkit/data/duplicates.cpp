#include "ferkit/data/duplicates.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <atomic>
#include <functional>
#include <thread>

#include <ATen/Parallel.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit {
namespace {

struct Catalogue {
  std::vector<ImageRef> refs;
  std::vector<const uint8_t*> pixels;
  int side = 0;
};

Catalogue catalogue(const Dataset& ds) {
  Catalogue c;
  for (size_t s = 0; s < ds.splits.size(); ++s) {
    const Split& split = ds.splits[s];
    FERKIT_CHECK(split.images.is_contiguous() && split.images.scalar_type() == torch::kUInt8, "duplicates: images must be uint8");
    if (split.size() == 0) continue;
    const int side = static_cast<int>(split.images.size(1));
    FERKIT_CHECK(c.side == 0 || c.side == side, "duplicates: the splits have images of different sizes");
    c.side = side;
    const uint8_t* base = split.images.data_ptr<uint8_t>();
    for (int64_t r = 0; r < split.size(); ++r) {
      c.refs.push_back({static_cast<int>(s), r});
      c.pixels.push_back(base + r * side * side);
    }
  }
  return c;
}

uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

std::vector<uint8_t> mirror(const uint8_t* p, int side) {
  std::vector<uint8_t> m(static_cast<size_t>(side) * side);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) m[y * side + x] = p[y * side + side - 1 - x];
  return m;
}

// Unit-length centred thumbnails (N, 256) of the images and of their mirror images. The blur is
// separable (two 1-D passes: 2k instead of k^2 products per pixel), and the mirror thumbnails are
// the direct ones flipped: blur and 3x3-cell averaging commute with the flip.
std::pair<torch::Tensor, torch::Tensor> thumbnails(const Catalogue& c, double blur) {
  const int64_t n = static_cast<int64_t>(c.refs.size());
  torch::Tensor x = torch::empty({n, 1, c.side, c.side}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) std::memcpy(x[i].data_ptr<uint8_t>(), c.pixels[i], c.side * c.side);
  torch::Tensor f = x.to(torch::kFloat32);
  if (blur > 0) {
    const int64_t r = static_cast<int64_t>(std::ceil(3 * blur));
    const torch::Tensor t = torch::arange(-r, r + 1, torch::kFloat32);
    torch::Tensor g = torch::exp(-t * t / (2 * blur * blur));
    g = g / g.sum();
    f = torch::conv2d(torch::replication_pad2d(f, {r, r, 0, 0}), g.view({1, 1, 1, 2 * r + 1}));
    f = torch::conv2d(torch::replication_pad2d(f, {0, 0, r, r}), g.view({1, 1, 2 * r + 1, 1}));
  }
  const torch::Tensor pooled = torch::adaptive_avg_pool2d(f, {16, 16});
  auto unit = [](const torch::Tensor& t) {
    torch::Tensor d = t.flatten(1);
    d = d - d.mean(1, true);
    return d / (d.norm(2, 1, true) + 1e-6);
  };
  return {unit(pooled), unit(pooled.flip({3}))};
}

// Difference of Gaussians (fine minus coarse sigma), float.
cv::Mat band_pass(const uint8_t* p, int side, bool flip, double fine_sigma, double coarse_sigma) {
  cv::Mat img(side, side, CV_8U, const_cast<uint8_t*>(p)), f;
  img.convertTo(f, CV_32F);
  if (flip) cv::flip(f, f, 1);
  cv::Mat fine, coarse;
  cv::GaussianBlur(f, fine, cv::Size(0, 0), fine_sigma, 0, cv::BORDER_REPLICATE);
  cv::GaussianBlur(f, coarse, cv::Size(0, 0), coarse_sigma, 0, cv::BORDER_REPLICATE);
  return fine - coarse;
}

// Pairs in split order, then row: a stable report whatever the threads did.
void sort_pairs(std::vector<DuplicatePair>& pairs) {
  std::sort(pairs.begin(), pairs.end(), [](const DuplicatePair& x, const DuplicatePair& y) {
    return std::tie(x.a.split, x.a.row, x.b.split, x.b.row) < std::tie(y.a.split, y.a.row, y.b.split, y.b.row);
  });
}

// A candidate is confirmed in the orientation(s) whose thumbnails matched: bit 1 direct, bit 2
// mirrored (half the full-image work of checking both every time).
struct Candidate {
  int64_t i, j;
  int orientations;
};

// Exact copies and exact mirror copies, by hash (confirmed byte by byte). exact_of[i] lists the
// images image i is an exact copy of (the near stage skips those pairs).
void find_exact(const Catalogue& c, std::vector<DuplicatePair>& pairs, std::vector<std::vector<int64_t>>& exact_of) {
  const int64_t n = static_cast<int64_t>(c.refs.size());
  const size_t bytes = static_cast<size_t>(c.side) * c.side;
  std::unordered_map<uint64_t, std::vector<int64_t>> by_hash;
  for (int64_t i = 0; i < n; ++i) by_hash[fnv1a(c.pixels[i], bytes)].push_back(i);
  exact_of.assign(n, {});
  auto add_exact = [&](int64_t i, int64_t j, bool mirrored) {
    if (i > j) std::swap(i, j);
    for (int64_t k : exact_of[i])
      if (k == j) return;
    exact_of[i].push_back(j);
    exact_of[j].push_back(i);
    pairs.push_back({c.refs[i], c.refs[j], mirrored ? "exact-mirror" : "exact", 1.0, mirrored, 0, 0});
  };
  for (const auto& [h, group] : by_hash)
    for (size_t a = 0; a < group.size(); ++a)
      for (size_t b = a + 1; b < group.size(); ++b)
        if (std::memcmp(c.pixels[group[a]], c.pixels[group[b]], bytes) == 0) add_exact(group[a], group[b], false);
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> m = mirror(c.pixels[i], c.side);
    if (std::memcmp(m.data(), c.pixels[i], bytes) == 0) continue;  // symmetric image: its own mirror
    auto it = by_hash.find(fnv1a(m.data(), bytes));
    if (it == by_hash.end()) continue;
    for (int64_t j : it->second)
      if (j > i && std::memcmp(m.data(), c.pixels[j], bytes) == 0) add_exact(i, j, true);
  }
}

// Candidates: thumbnail correlation with the image or its mirror, upper triangle only, in blocks
// of rows (a matrix product each).
std::vector<Candidate> find_candidates(const Catalogue& c, const DuplicateOptions& o) {
  const int64_t n = static_cast<int64_t>(c.refs.size());
  const auto [direct, mirrored] = thumbnails(c, o.thumbnail_blur);
  std::vector<Candidate> candidates;
  torch::NoGradGuard no_grad;
  for (int64_t i0 = 0; i0 < n; i0 += o.block) {
    const int64_t rows = std::min(o.block, n - i0);
    const torch::Tensor q = direct.narrow(0, i0, rows);
    const torch::Tensor rest_d = direct.narrow(0, i0, n - i0), rest_m = mirrored.narrow(0, i0, n - i0);
    const torch::Tensor hit = q.matmul(rest_d.t()).ge_(o.candidate_similarity).to(torch::kUInt8).add_(
        q.matmul(rest_m.t()).ge_(o.candidate_similarity).to(torch::kUInt8).mul_(2));
    const torch::Tensor where = hit.nonzero();
    auto h = where.accessor<int64_t, 2>();
    auto bits = hit.accessor<uint8_t, 2>();
    for (int64_t k = 0; k < h.size(0); ++k)
      if (h[k][1] > h[k][0])  // j > i only
        candidates.push_back({i0 + h[k][0], i0 + h[k][1], bits[h[k][0]][h[k][1]]});
  }
  return candidates;
}

// The best band-pass correlation of a candidate pair over shifts (and the flip, where its
// thumbnails matched mirrored): OpenCV's normalised cross-correlation (TM_CCOEFF_NORMED, the
// Pearson correlation) of a's centre window against every shift of b, in one call per orientation.
DuplicatePair best_alignment(const Catalogue& c, const Candidate& cand, const cv::Mat& a, const cv::Mat& b, int margin) {
  const cv::Mat window = a(cv::Rect(margin, margin, c.side - 2 * margin, c.side - 2 * margin));
  cv::Mat b_mirror, scores;
  DuplicatePair best{c.refs[cand.i], c.refs[cand.j], "near", -1.0, false, 0, 0};
  for (bool flip : {false, true}) {
    if (!(cand.orientations & (flip ? 2 : 1))) continue;
    if (flip) cv::flip(b, b_mirror, 1);
    cv::matchTemplate(flip ? b_mirror : b, window, scores, cv::TM_CCOEFF_NORMED);
    double top = 0;
    cv::Point at;
    cv::minMaxLoc(scores, nullptr, &top, nullptr, &at);
    if (top > best.similarity) best.similarity = top, best.mirrored = flip, best.dx = at.x - margin, best.dy = at.y - margin;
  }
  return best;
}

// Confirms candidates on the full images; the band-pass images are made once per image that has
// a candidate. Pairs that are exact copies already are skipped.
void confirm_candidates(const Catalogue& c, const std::vector<Candidate>& candidates, const DuplicateOptions& o,
                        const std::vector<std::vector<int64_t>>& exact_of, std::vector<DuplicatePair>& pairs) {
  const int threads = std::max(1, at::get_num_threads());
  std::vector<int64_t> slot(c.refs.size(), -1);
  std::vector<int64_t> used;
  for (const auto& cand : candidates)
    for (int64_t k : {cand.i, cand.j})
      if (slot[k] < 0) slot[k] = static_cast<int64_t>(used.size()), used.push_back(k);
  std::vector<cv::Mat> band(used.size());
  parallel_for_each(static_cast<int64_t>(used.size()), threads, [&](int64_t u) {
    band[u] = band_pass(c.pixels[used[u]], c.side, false, o.band_fine, o.band_coarse);
  });
  spdlog::debug("duplicates: {} band-pass images", used.size());
  std::vector<DuplicatePair> near(candidates.size());
  std::vector<char> keep(candidates.size(), 0);
  parallel_for_each(static_cast<int64_t>(candidates.size()), threads, [&](int64_t k) {
    const Candidate& cand = candidates[k];
    for (int64_t e : exact_of[cand.i])
      if (e == cand.j) return;
    DuplicatePair best = best_alignment(c, cand, band[slot[cand.i]], band[slot[cand.j]], o.max_shift);
    if (best.similarity >= std::min(o.near_similarity, o.similar_similarity)) {
      if (best.similarity < o.near_similarity) best.kind = "similar";
      near[k] = best;
      keep[k] = 1;
    }
  });
  for (size_t k = 0; k < candidates.size(); ++k)
    if (keep[k]) pairs.push_back(near[k]);
}

}  // namespace

DuplicateReport find_duplicates(const Dataset& ds, const DuplicateOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto stage = [t = t0](const char* what) mutable {
    const auto now = std::chrono::steady_clock::now();
    spdlog::debug("duplicates: {} in {:.2f} s", what, std::chrono::duration<double>(now - t).count());
    t = now;
  };
  DuplicateReport report;
  const Catalogue c = catalogue(ds);
  if (c.refs.size() < 2) return report;
  FERKIT_CHECK(o.max_shift >= 0 && 2 * o.max_shift < c.side / 2, "duplicates: max_shift too large for the image size");
  std::vector<std::vector<int64_t>> exact_of;
  find_exact(c, report.pairs, exact_of);
  stage("exact copies");
  if (o.candidate_similarity <= 1.0) {  // above 1 (exact only) no correlation reaches it
    const std::vector<Candidate> candidates = find_candidates(c, o);
    report.candidates = static_cast<int64_t>(candidates.size());
    stage("thumbnail candidates");
    confirm_candidates(c, candidates, o, exact_of, report.pairs);
    stage("confirmation");
  }
  sort_pairs(report.pairs);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

std::vector<int64_t> rows_with_copies_in(const Dataset& ds, const std::string& split, const std::string& other,
                                         const DuplicateOptions& o) {
  int a = -1, b = -1;
  for (size_t k = 0; k < ds.splits.size(); ++k) {
    if (ds.splits[k].name == split) a = static_cast<int>(k);
    if (ds.splits[k].name == other) b = static_cast<int>(k);
  }
  ds.split(split), ds.split(other);  // throw, listing the splits, when one is missing
  FERKIT_CHECK(a != b, "copies of a split in itself: name another split");
  std::vector<int64_t> rows;
  for (const auto& p : find_duplicates(ds, o).pairs) {
    if (p.kind == "similar") continue;  // exact, exact-mirror, near
    if (p.a.split == a && p.b.split == b) rows.push_back(p.a.row);
    if (p.b.split == a && p.a.split == b) rows.push_back(p.b.row);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

Split without_rows(const Split& split, const std::vector<int64_t>& rows) {
  std::vector<int64_t> keep;
  size_t r = 0;
  for (int64_t i = 0; i < split.size(); ++i) {
    while (r < rows.size() && rows[r] < i) ++r;
    if (r < rows.size() && rows[r] == i) continue;
    keep.push_back(i);
  }
  Split out;
  out.name = split.name;
  out.source = split.source;
  const torch::Tensor index = torch::tensor(keep, torch::kInt64);
  out.images = split.images.index_select(0, index).contiguous();
  out.votes = split.votes.index_select(0, index).contiguous();
  for (int64_t i : keep) out.files.push_back(split.files[i]);
  return out;
}

}  // namespace ferkit
