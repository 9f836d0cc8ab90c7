// The HTML reports: one run (`ferkit report`, and at the end of training) and several runs side by
// side (`ferkit compare`). Self-contained pages: charts are PNG files inlined as data URIs, so a
// report can be mailed or archived alone. Written atomically.
#pragma once
#include <string>
#include <vector>

namespace ferkit {

// Writes the report of a run folder to out_path (default RUN/report.html) and its charts to
// RUN/plots/. Returns the path written. Missing or damaged files are shown as such, not fatal;
// a folder that is not a run folder is an Error.
std::string write_run_report(const std::string& run_dir, const std::string& out_path = "");

// Writes a page comparing runs: overlaid validation curves and a table of figures.
std::string write_compare_report(const std::vector<std::string>& run_dirs, const std::string& out_path);

}  // namespace ferkit
