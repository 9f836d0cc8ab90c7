// Small helpers to build the report pages: escaping, inlined images, tables, the page frame.
#pragma once
#include <string>
#include <vector>

namespace ferkit::html {

std::string escape(const std::string& text);

// Standard base64 (RFC 4648) of bytes; hand-written: 20 lines, and none of the stack's
// libraries exposes one in its public API.
std::string base64(const std::string& bytes);

// <img> with the PNG file inlined as a data URI; a missing file becomes a visible note.
std::string inline_png(const std::string& png_path, const std::string& alt);

// A table; cells are HTML (escape text yourself). `numeric` right-aligns all but the first column.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  bool numeric = true);

// A whole page: title, style, body, and a script that marks on <body> how many images loaded
// (data-images, data-images-broken), which the browser test reads.
std::string page(const std::string& title, const std::string& body);

std::string percent(double fraction, int decimals = 2);             // "82.67%"; "–" for NaN
std::string interval(double low, double high, int decimals = 1);    // "[81.3, 84.0]"

}  // namespace ferkit::html
