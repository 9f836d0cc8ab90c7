#include "ferkit/run/run_audit.h"

#include <filesystem>

#include "ferkit/data/audit_montage.h"
#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"

namespace ferkit {
namespace fs = std::filesystem;

std::optional<AuditResult> read_run_audit(const RunFolder& run) {
  if (!fs::exists(run.audit())) return std::nullopt;
  try {
    return audit_result_from_json(nlohmann::json::parse(read_text_file(run.audit())));
  } catch (const nlohmann::json::exception& e) {
    throw Error(run.audit() + ": not valid JSON (" + e.what() + ")");
  }
}

void keep_audit_with_run(const RunFolder& run, const Dataset& dataset, const AuditResult& audit) {
  if (!audit.near_duplicates_searched) {
    try {
      const auto kept = read_run_audit(run);
      if (kept && kept->near_duplicates_searched) return;
    } catch (const Error&) {  // damaged: replace it
    }
  }
  fs::create_directories(run.plots());
  const std::string png = run.plot("duplicate_pairs.png");
  if (write_pair_montage(dataset, audit.detail, png) == 0) fs::remove(png);
  atomic_write_text(run.audit(), json_text(audit.detail, 1) + "\n");
}

}  // namespace ferkit
