// The data audit (`ferkit audit`'s JSON) as HTML: the section of a run's report, and a page of
// its own (`ferkit audit --html`).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace ferkit {

// `montage_png`: a picture of duplicate pairs (write_pair_montage); inlined when the file exists.
// The run report lists the warnings in its own section (with the loader's): with_warnings false.
std::string audit_section_html(const nlohmann::json& audit, const std::string& montage_png, bool with_warnings = true);

// A self-contained page with that section; written atomically. Returns out_path.
std::string write_audit_report(const nlohmann::json& audit, const std::string& montage_png, const std::string& out_path);

}  // namespace ferkit
