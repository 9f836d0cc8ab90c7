#include "ferkit/data/holdout.h"

#include <cstdlib>
#include <stdexcept>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "ferkit/util/error.h"

namespace ferkit {

SelectOn parse_select_on(const std::string& text) {
  if (text == "valid" || text.empty()) return {};
  if (text == "last") return SelectOn{0.0, true};
  const std::string prefix = "holdout:";
  if (text.rfind(prefix, 0) == 0) {
    const std::string number = text.substr(prefix.size());
    char* end = nullptr;
    const double f = std::strtod(number.c_str(), &end);
    if (!number.empty() && end == number.c_str() + number.size() && f > 0.0 && f <= 0.5) return SelectOn{f};
  }
  throw std::invalid_argument("select_on must be valid, last, or holdout:FRACTION with 0 < FRACTION <= 0.5 (e.g. holdout:0.1)");
}

std::string select_on_text(const SelectOn& s) {
  if (s.last) return "last";
  return s.uses_holdout() ? fmt::format("holdout:{}", s.holdout) : "valid";
}

bool in_holdout(const at::Tensor& image, double fraction) {
  const at::Tensor bytes = image.contiguous();
  FERKIT_CHECK(bytes.scalar_type() == at::kByte, "in_holdout: uint8 images only");
  // FNV-1a over the pixels, then splitmix64's finaliser: neighbouring images spread evenly.
  uint64_t h = 1469598103934665603ULL;
  const uint8_t* p = bytes.data_ptr<uint8_t>();
  for (int64_t i = 0; i < bytes.numel(); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0) < fraction;  // uniform in [0, 1)
}

std::pair<Split, Split> hold_out(const Split& split, double fraction, const std::string& name) {
  std::vector<int64_t> kept, held;
  for (int64_t i = 0; i < split.size(); ++i) (in_holdout(split.images[i], fraction) ? held : kept).push_back(i);
  FERKIT_CHECK(!kept.empty() && !held.empty(),
               fmt::format("{}: holding back {} of its {} images leaves {} to train on and {} to select on; "
                           "the split is too small for --select-on holdout",
                           split.source, fraction, split.size(), kept.size(), held.size()));
  const auto part = [&](const std::vector<int64_t>& rows, const std::string& part_name) {
    Split s;
    s.name = part_name;
    s.source = split.source;
    const at::Tensor index = at::tensor(rows, at::kLong);
    s.images = split.images.index_select(0, index);
    s.votes = split.votes.index_select(0, index);
    for (int64_t r : rows) s.files.push_back(split.files[r]);
    return s;
  };
  return {part(kept, split.name), part(held, name)};
}

}  // namespace ferkit
