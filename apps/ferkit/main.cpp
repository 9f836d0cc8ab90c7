// ferkit: command-line entry point. Parses the command, runs it, and turns exceptions into
// messages and exit codes (1: bad input or option, 2: usage, 3: internal error).
#include <map>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "ferkit/train/trainer.h"
#include "ferkit/util/allocator.h"
#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit::cli {
namespace {
std::map<const CLI::App*, std::function<void()>>& actions() {
  static std::map<const CLI::App*, std::function<void()>> a;
  return a;
}
}  // namespace

std::map<int, AddCommand>& command_registry() {
  static std::map<int, AddCommand> commands;
  return commands;
}

CommandRegistration::CommandRegistration(int place, AddCommand add) {
  if (!command_registry().emplace(place, add).second) throw std::logic_error("two commands at one place in --help");
}

void set_action(CLI::App* cmd, std::function<void()> action) { actions()[cmd] = std::move(action); }

bool run_action(CLI::App& app) {
  const CLI::App* cmd = &app;
  while (!cmd->get_subcommands().empty()) cmd = cmd->get_subcommands().front();
  auto it = actions().find(cmd);
  if (it == actions().end()) return false;
  it->second();
  return true;
}
}  // namespace ferkit::cli

namespace {

// Leftover arguments anywhere on the command line are an error, found before any work starts.
void refuse_leftovers(CLI::App& app) {
  std::string extra, command = "ferkit";
  for (auto* sub = &app; sub;) {
    for (const auto& r : sub->remaining())
      if (r != "--") extra += " " + r;  // the separator before launch's worker command
    if (sub != &app) command += " " + sub->get_name();
    auto subs = sub->get_subcommands();
    sub = subs.empty() ? nullptr : subs.front();
  }
  if (!extra.empty()) throw ferkit::Error("unknown option, config key or argument:" + extra + " (see `" + command + " --help`)");
}

void add_commands(CLI::App& app, ferkit::cli::GlobalOptions& global) {
  for (const auto& [place, add] : ferkit::cli::command_registry()) add(app, global);
}

}  // namespace

int main(int argc, char** argv) {
  ferkit::tune_allocator();  // before the first tensor: see allocator.h
  CLI::App app{"ferkit: facial-expression recognition by transfer learning (FER+), on LibTorch"};
  app.require_subcommand(1);
  app.fallthrough();
  // Leftover arguments are collected and reported by main with ferkit's own message.
  app.allow_extras();
  ferkit::cli::GlobalOptions global;
  app.add_option("--threads", global.threads, "compute threads (default: all available cores)");
  app.add_flag("-v,--verbose", global.verbose, "more log output");
  app.add_flag("-q,--quiet", global.quiet, "warnings and errors only");
  app.set_version_flag("--version", "ferkit 0.1.0");

  add_commands(app, global);

  app.parse_complete_callback([&]() {
    // Messages go to stderr: stdout carries results (JSON, CSV, tables) that others parse.
    spdlog::set_default_logger(spdlog::stderr_color_mt("ferkit"));
    spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
    spdlog::set_level(global.quiet ? spdlog::level::warn : global.verbose ? spdlog::level::debug : spdlog::level::info);
    ferkit::set_threads(global.threads);
  });

  try {
    app.parse(argc, argv);
    refuse_leftovers(app);
    ferkit::cli::run_action(app);
  } catch (const ferkit::cli::ExitCode& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ferkit::Interrupted& e) {
    spdlog::warn("{}", e.what());
    return 130;
  } catch (const ferkit::Error& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return 3;
  }
  return 0;
}
