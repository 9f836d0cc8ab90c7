// `ferkit launch --nproc N -- train ...`: N data-parallel workers on this machine (or this
// machine's share of several: --nnodes, --node-rank, --master-addr, --master-port), each a ferkit
// process with torchrun's environment. See src/ferkit/dist/launch.h.
#include "commands.h"
#include "ferkit/dist/launch.h"
#include "ferkit/util/error.h"
#include "ferkit/util/threads.h"

namespace ferkit::cli {

void add_launch_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("launch", "run a ferkit command (train) as N data-parallel workers, as torchrun does");
  auto o = std::make_shared<LaunchOptions>();
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--nproc", o->nproc, "workers on this machine")->default_val(2)->check(CLI::Range(1, 1024));
  cmd->add_option("--nnodes", o->nnodes, "machines taking part")->default_val(1)->check(CLI::Range(1, 65536));
  cmd->add_option("--node-rank", o->node_rank, "this machine's index in [0, nnodes)")->default_val(0);
  cmd->add_option("--master-addr", o->master_addr, "address of the machine with node rank 0")->default_val("127.0.0.1");
  cmd->add_option("--master-port", o->master_port, "rendezvous port there (0: a free one; one machine only)")->default_val(0);
  cmd->add_option("command", *args, "the ferkit command and its options, after --, e.g. -- train --data DIR --out RUN")
      ->required();
  set_action(cmd, [o, args, &global]() {
    FERKIT_CHECK(args->front() == "train",
                 "launch runs `train` (data-parallel training): got '" + args->front() + "'");
    LaunchOptions opts = *o;
    opts.threads_per_worker = global.threads;  // the global --threads is per worker here
    const int threads = opts.threads_per_worker > 0 ? opts.threads_per_worker
                                                    : std::max(1, available_cores() / opts.nproc);
    std::vector<std::string> argv{self_executable(), "--threads", std::to_string(threads)};
    if (global.quiet) argv.push_back("-q");
    if (global.verbose) argv.push_back("-v");
    argv.insert(argv.end(), args->begin(), args->end());
    argv.push_back("--distributed");
    opts.threads_per_worker = threads;
    const int code = launch_workers(argv, opts);
    if (code != 0) throw ExitCode{code};
  });
}

FERKIT_COMMAND(120, add_launch_command);

}  // namespace ferkit::cli
