// `ferkit report` and `ferkit compare`: the HTML pages of one run and of several side by side.
#include <iostream>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/report/html.h"

namespace ferkit::cli {

void add_report_command(CLI::App& app, GlobalOptions& global) {
  struct Args {
    std::string run, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("report", "draw a run's HTML report (curves, confusion matrix, classes, stability)");
  cmd->add_option("--run", args->run, "run folder (made by ferkit train)")->required();
  cmd->add_option("--out", args->out, "HTML file to write (default: RUN/report.html)");
  set_action(cmd, [args]() {
    const std::string path = write_run_report(args->run, args->out);
    spdlog::info("report written to {}", path);
  });

  auto cargs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto* cmp = app.add_subcommand("compare", "compare runs side by side in one HTML page");
  cmp->add_option("runs", *cargs, "run folders")->required();
  cmp->add_option("--out", *out, "HTML file to write")->required();
  set_action(cmp, [cargs, out]() {
    const std::string path = write_compare_report(*cargs, *out);
    spdlog::info("comparison of {} runs written to {}", cargs->size(), path);
  });
}

FERKIT_COMMAND(70, add_report_command);

}  // namespace ferkit::cli
