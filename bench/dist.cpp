// Data-parallel training on this machine: images/s of one worker against N workers (each with
// cores / N threads), and the cost of the gradient allreduce per step for each backbone.
//   ferkit_bench dist [BACKBONES] [SIZE] [GLOBAL_BATCH] [SECONDS] [MAX_WORKERS]
// starts itself as workers through ferkit's launcher (dist/launch.h) for 1..MAX_WORKERS and
// prints one JSON line per (backbone, workers) from rank 0:
//   train_img_s   global images/s of the whole step (forward, backward, allreduce, SGD step)
//   wait_ms       per step, time the step waited for allreduces after backward (not overlapped)
//   allreduce_ms  per step, one allreduce of all gradients alone (no backward to hide behind)
//   grad_mb       bytes each worker sends and receives per step (ring allreduce: 2 (N-1)/N of it)
#include <cstdio>
#include <sstream>

#include <torch/torch.h>

#include "bench_util.h"
#include "ferkit/dist/communicator.h"
#include "ferkit/dist/env.h"
#include "ferkit/dist/grad_sync.h"
#include "ferkit/dist/launch.h"
#include "ferkit/util/allocator.h"
#include "ferkit/util/threads.h"

namespace {
using namespace ferkit;
using Clock = std::chrono::steady_clock;

int worker(const std::string& backbone, int size, int64_t global_batch, double seconds) {
  const DistEnv env = dist_env_from_environment();
  const int world = std::max(1, env.world_size);
  std::unique_ptr<Communicator> comm;
  if (env.active()) comm = std::make_unique<Communicator>(env, std::chrono::minutes(5));
  torch::manual_seed(0);
  FerModel model = bench::make_model(backbone);
  if (comm) comm->broadcast(model->parameters());
  const int64_t local = global_batch / world;
  const auto x = torch::randn({local, bench::input_channels(backbone), size, size});
  const auto y = torch::randint(0, 8, {local}, torch::kLong);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  std::unique_ptr<GradientSync> sync = comm ? std::make_unique<GradientSync>(*comm, model->parameters()) : nullptr;
  model->train();
  double wait = 0;
  auto step = [&] {
    opt.zero_grad();
    if (sync) sync->arm();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    if (sync) {
      sync->finish();
      wait += sync->last_wait_seconds();
    }
    opt.step();
  };
  // Every worker must run the same number of steps (each is a collective): the count comes from
  // the warm-up steps' mean time, agreed through an allreduce.
  step();
  auto t0 = Clock::now();
  step();
  double warm = std::chrono::duration<double>(Clock::now() - t0).count();
  if (comm) warm = comm->allreduce_sum({warm})[0] / world;
  const int64_t steps = std::max<int64_t>(3, static_cast<int64_t>(seconds / warm));
  wait = 0;
  t0 = Clock::now();
  for (int64_t i = 0; i < steps; ++i) step();
  const double img_s = steps * local * world / std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  double allreduce_ms = 0;
  if (comm) {  // the same bytes, alone: what a step would pay with no backward to overlap
    at::Tensor flat = torch::zeros({params});
    comm->allreduce_sum(flat);
    const auto t0 = Clock::now();
    const int reps = 20;
    for (int i = 0; i < reps; ++i) comm->allreduce_sum(flat);
    allreduce_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / reps;
  }
  if (env.rank == 0)
    std::printf("{\"tool\": \"ferkit\", \"bench\": \"dist\", \"backbone\": \"%s\", \"input\": %d, \"global_batch\": %lld, "
                "\"workers\": %d, \"threads_per_worker\": %d, \"train_img_s\": %.2f, \"wait_ms\": %.3f, \"allreduce_ms\": %.3f, "
                "\"grad_mb\": %.3f, \"buckets\": %lld}\n",
                backbone.c_str(), size, static_cast<long long>(global_batch), world, at::get_num_threads(), img_s,
                1e3 * wait / steps, allreduce_ms, params * 4 / 1e6,
                static_cast<long long>(sync ? sync->buckets() : 0));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int bench_dist_main(int argc, char** argv) {
  ferkit::tune_allocator();
  if (argc >= 2 && std::string(argv[1]) == "worker") {
    const int threads = std::atoi(std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "1");
    ferkit::set_threads(threads);
    try {
      return worker(argv[2], std::atoi(argv[3]), std::atoll(argv[4]), std::atof(argv[5]));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ferkit_bench dist worker: %s\n", e.what());
      return 1;
    }
  }
  const std::string backbones = argc > 1 ? argv[1] : "small_cnn,resnet18,mobilenet_v2,resnet50";
  const std::string size = argc > 2 ? argv[2] : "48", batch = argc > 3 ? argv[3] : "64", seconds = argc > 4 ? argv[4] : "4";
  const int max_workers = argc > 5 ? std::atoi(argv[5]) : 2;
  const std::string exe = ferkit::self_executable();
  std::stringstream list(backbones);
  for (std::string b; std::getline(list, b, ',');)
    for (int w = 1; w <= max_workers; ++w) {
      ferkit::LaunchOptions o;
      o.nproc = w;
      if (ferkit::launch_workers({exe, "dist", "worker", b, size, batch, seconds}, o) != 0) return 1;
    }
  return 0;
}
