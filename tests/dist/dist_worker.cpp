// A data-parallel worker for the distributed tests (tests/dist/test_dist.cpp), started by them
// with torchrun's environment as the test program itself: `ferkit_tests --dist-worker ...`
// (tests/main.cpp), so that no second program is built. It trains a small BatchNorm-free network on fixed random data with
// ferkit's pieces (Communicator, GradientSync, the uniform sampler, shard_order) and saves its
// final weights, so that the test can compare N workers with one.
//   --dist-worker train OUT GLOBAL_BATCH ACCUM   -> OUT.rank<R>.pt
//   --dist-worker die OUT                          -> rank 1 exits (code 3) after one step
// DIST_TIMEOUT_MS sets the collective timeout (default 20000). Exit 1 with the error on stderr.
#include <cstdlib>
#include <iostream>

#include <torch/torch.h>

#include "ferkit/data/sampler.h"
#include "ferkit/dist/communicator.h"
#include "ferkit/dist/env.h"
#include "ferkit/dist/grad_sync.h"
#include "ferkit/util/error.h"
#include "dist/dist_worker.h"

namespace ferkit::test {

int dist_worker_main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: ferkit_tests --dist-worker train|die OUT [GLOBAL_BATCH ACCUM]\n";
    return 2;
  }
  const std::string mode = argv[1], out = argv[2];
  const int64_t global_batch = argc > 3 ? std::atoll(argv[3]) : 16;
  const int accum = argc > 4 ? std::atoi(argv[4]) : 1;
  const DistEnv env = dist_env_from_environment();
  try {
    torch::set_num_threads(1);
    const char* t = std::getenv("DIST_TIMEOUT_MS");
    std::unique_ptr<Communicator> comm;
    if (env.active()) comm = std::make_unique<Communicator>(env, std::chrono::milliseconds(t ? std::atoi(t) : 20000));

    // Different initial weights on every rank: the broadcast must make them rank 0's.
    torch::manual_seed(100 + env.rank);
    torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)), torch::nn::ReLU(), torch::nn::Flatten(),
                              torch::nn::Linear(4 * 6 * 6, 16), torch::nn::Tanh(), torch::nn::Linear(16, 8));
    std::vector<at::Tensor> params = net->parameters();
    if (comm) comm->broadcast(params);

    torch::manual_seed(7);  // the same data everywhere
    const int64_t n = 64;
    const at::Tensor x = torch::randn({n, 1, 8, 8});
    const at::Tensor y = torch::randint(0, 8, {n}, torch::kInt64);
    torch::optim::SGD opt(params, torch::optim::SGDOptions(0.1).momentum(0.9));
    // Small buckets, so that several allreduces are in flight during one backward pass.
    std::unique_ptr<GradientSync> sync = comm ? std::make_unique<GradientSync>(*comm, params, 1024) : nullptr;
    const int world = std::max(1, env.world_size);
    const int64_t local_batch = global_batch / world, micro = local_batch / accum;
    const auto sampler = make_sampler("uniform", y);
    int64_t steps = 0;
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      const std::vector<int64_t> order = shard_order(sampler->epoch_order(epoch, 5), env.rank, world);
      for (int64_t begin = 0; begin + local_batch <= static_cast<int64_t>(order.size()); begin += local_batch) {
        opt.zero_grad();
        for (int a = 0; a < accum; ++a) {
          const at::Tensor idx = torch::tensor(std::vector<int64_t>(order.begin() + begin + a * micro,
                                                                    order.begin() + begin + (a + 1) * micro));
          const at::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x.index_select(0, idx)), y.index_select(0, idx));
          const bool last = a == accum - 1;
          if (sync && last) sync->arm();
          (loss / static_cast<double>(accum)).backward();
          if (sync && last) sync->finish();
        }
        opt.step();
        ++steps;
        if (mode == "die" && env.rank == 1 && steps == 1) std::_Exit(3);
      }
    }
    // Sharded evaluation as the trainer does it: each rank its rows, gathered back in order.
    if (comm) {
      torch::NoGradGuard no_grad;
      const at::Tensor all = net->forward(x);
      const at::Tensor mine = net->forward(x.index_select(0, shard_rows(n - 3, env.rank, world)));
      const at::Tensor gathered = comm->gather_interleaved(mine, n - 3);
      FERKIT_CHECK(gathered.sizes() == all.narrow(0, 0, n - 3).sizes(), "gather_interleaved: wrong shape");
      const double err = (gathered - all.narrow(0, 0, n - 3)).abs().max().item<double>();
      FERKIT_CHECK(err < 1e-5, "gather_interleaved returned rows out of order (max difference " + std::to_string(err) + ")");
    }
    std::vector<at::Tensor> final_weights;
    for (const auto& p : params) final_weights.push_back(p.detach().clone());
    torch::save(final_weights, out + ".rank" + std::to_string(env.rank) + ".pt");
    std::cout << "steps " << steps << " buckets " << (sync ? sync->buckets() : 0) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "worker " << env.rank << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ferkit::test
