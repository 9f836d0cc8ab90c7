#include "ferkit/report/html_page.h"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "ferkit/util/fs.h"

namespace ferkit::html {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += table[v >> 18], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63], out += table[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += table[v >> 18], out += table[(v >> 12) & 63], out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += table[v >> 18], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63], out += '=';
  }
  return out;
}

std::string inline_png(const std::string& png_path, const std::string& alt) {
  std::error_code ec;
  if (!std::filesystem::exists(png_path, ec))
    return "<p class=\"missing\">chart not drawn: " + escape(alt) + "</p>";
  return "<img alt=\"" + escape(alt) + "\" src=\"data:image/png;base64," + base64(read_text_file(png_path)) + "\">";
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  bool numeric) {
  std::string s = std::string("<table") + (numeric ? " class=\"num\"" : "") + "><thead><tr>";
  for (const auto& h : header) s += "<th>" + h + "</th>";
  s += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    s += "<tr>";
    for (const auto& c : r) s += "<td>" + c + "</td>";
    s += "</tr>";
  }
  return s + "</tbody></table>\n";
}

std::string page(const std::string& title, const std::string& body) {
  return R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ferkit">
<title>)" + escape(title) + R"(</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1560px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
.meta { color: #666; } .missing, .warn { background: #fff4e5; border-left: 4px solid #f0a030; padding: 0.4em 0.8em; }
.note { color: #555; font-size: 0.92em; max-width: 60em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; } th { background: #f4f6f8; }
table.num td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: 0.4em 0; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
</style></head>
<body>
)" + body + R"(
<script>
// For the browser test: how many images the page has and how many failed to decode.
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-images-broken', broken.length);
});
</script>
</body></html>
)";
}

std::string percent(double fraction, int decimals) {
  if (!std::isfinite(fraction)) return "&ndash;";
  return fmt::format("{:.{}f}%", 100 * fraction, decimals);
}

std::string interval(double low, double high, int decimals) {
  if (!std::isfinite(low) || !std::isfinite(high)) return "";
  return fmt::format("[{:.{}f}, {:.{}f}]", 100 * low, decimals, 100 * high, decimals);
}

}  // namespace ferkit::html
