// Keeps a data audit with a run: RUN/audit.json and RUN/plots/duplicate_pairs.png, which the
// run's report shows (training keeps the cheap audit; `ferkit audit --run` the full one).
#pragma once
#include "ferkit/data/dataset.h"
#include "ferkit/run/records.h"
#include "ferkit/run/run_folder.h"

namespace ferkit {

// An audit with the near-duplicate search is not replaced by a cheaper one (a resumed run does
// not undo `ferkit audit --run`). `dataset` is the one the audit was run on (the pairs' pixels).
void keep_audit_with_run(const RunFolder& run, const Dataset& dataset, const AuditResult& audit);

// The audit kept with a run; nullopt when there is none, an Error naming the file when damaged.
std::optional<AuditResult> read_run_audit(const RunFolder& run);

}  // namespace ferkit
