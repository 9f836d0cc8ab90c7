// Data-parallel training on loopback: shards, N workers against one, a failing worker.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ferkit/data/sampler.h"
#include "ferkit/dist/communicator.h"
#include "ferkit/dist/env.h"
#include "ferkit/dist/launch.h"
#include "ferkit/models/model.h"
#include "ferkit/train/checkpoint.h"
#include "ferkit/train/config.h"
#include "ferkit/util/error.h"
#include "test_util.h"

extern char** environ;

namespace ferkit {
namespace {
namespace fs = std::filesystem;

// The worker: this test program itself with --dist-worker (tests/main.cpp), then the arguments.
std::vector<std::string> worker_command(std::vector<std::string> args) {
  args.insert(args.begin(), {fs::read_symlink("/proc/self/exe").string(), "--dist-worker"});
  return args;
}

TEST(ShardOrder, ShardsPartitionAnEpochAndPadLikePyTorch) {
  std::vector<int64_t> order(10);
  for (int i = 0; i < 10; ++i) order[i] = 100 + (7 * i) % 10;  // a permutation of 100..109
  std::multiset<int64_t> seen;
  for (int r = 0; r < 3; ++r) {
    const auto s = shard_order(order, r, 3);
    ASSERT_EQ(s.size(), 4u) << "every worker gets ceil(10 / 3) indices";
    for (size_t k = 0; k < s.size(); ++k) EXPECT_EQ(s[k], order[(r + 3 * k) % 10]);
    seen.insert(s.begin(), s.end());
  }
  // Padding repeats the start of the order: 12 = 10 + order[0], order[1].
  EXPECT_EQ(seen.size(), 12u);
  for (int64_t v = 100; v < 110; ++v) EXPECT_EQ(seen.count(v), v == order[0] || v == order[1] ? 2u : 1u);

  // Divisible: a partition, no overlap.
  order.resize(9);
  std::set<int64_t> once;
  for (int r = 0; r < 3; ++r)
    for (int64_t v : shard_order(order, r, 3)) EXPECT_TRUE(once.insert(v).second);
  EXPECT_EQ(once.size(), 9u);
  EXPECT_EQ(shard_order(order, 0, 1), order);
  EXPECT_THROW(shard_order(order, 3, 3), Error);
}

TEST(DistEnv, ReadsTorchrunVariablesAndRejectsBadOnes) {
  ::unsetenv("WORLD_SIZE");
  EXPECT_FALSE(dist_env_from_environment().active());
  ::setenv("WORLD_SIZE", "2", 1);
  ::setenv("RANK", "1", 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", "29501", 1);
  ::unsetenv("LOCAL_RANK");
  const DistEnv e = dist_env_from_environment();
  EXPECT_TRUE(e.active());
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.master_port, 29501);
  ::setenv("RANK", "2", 1);
  try {
    dist_env_from_environment();
    ADD_FAILURE() << "RANK=2 of 2 accepted";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("RANK=2"), std::string::npos) << err.what();
  }
  ::unsetenv("MASTER_PORT");
  ::setenv("RANK", "0", 1);
  EXPECT_THROW(dist_env_from_environment(), Error);
  for (const char* v : {"WORLD_SIZE", "RANK", "MASTER_ADDR"}) ::unsetenv(v);
}

std::vector<at::Tensor> load_weights(const std::string& path) {
  std::vector<at::Tensor> w;
  torch::load(w, path);
  return w;
}

double max_difference(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
  return m;
}

TEST(DataParallel, TwoWorkersOnHalfBatchesMatchOneOnTheWholeBatch) {
  const test::TempDir tmp_dir;
  const fs::path& tmp = tmp_dir.path();
  LaunchOptions one, two;
  one.nproc = 1;
  two.nproc = 2;
  one.threads_per_worker = two.threads_per_worker = 1;
  ASSERT_EQ(launch_workers(worker_command({"train", (tmp / "one").string(), "16", "1"}), one), 0);
  ASSERT_EQ(launch_workers(worker_command({"train", (tmp / "two").string(), "16", "1"}), two), 0);
  // Two workers, each accumulating two micro-batches of 4: still the global batch of 16.
  ASSERT_EQ(launch_workers(worker_command({"train", (tmp / "accum").string(), "16", "2"}), two), 0);
  const auto w1 = load_weights((tmp / "one.rank0.pt").string());
  const auto w2a = load_weights((tmp / "two.rank0.pt").string());
  const auto w2b = load_weights((tmp / "two.rank1.pt").string());
  const auto wacc = load_weights((tmp / "accum.rank0.pt").string());
  std::cout << "max |one - two| " << max_difference(w1, w2a) << ", |one - two with accumulation| " << max_difference(w1, wacc)
            << "\n";
  // 8 SGD steps with momentum; the workers sum in another order than one process: float rounding only.
  EXPECT_LT(max_difference(w1, w2a), 1e-5);
  EXPECT_LT(max_difference(w1, wacc), 1e-5);
  EXPECT_EQ(max_difference(w2a, w2b), 0.0) << "the workers must hold identical weights";
}

// The same through the real trainer and CLI: `ferkit launch --nproc 2 -- train` against one
// process. BatchNorm statistics are per worker while it trains (as in DistributedDataParallel),
// so the backbone is frozen with its BatchNorm in inference mode: what is left to differ is the
// sharding, the global batch, the gradient averaging, the schedule and the decisions.
TEST(DataParallel, TrainerWithTwoWorkersMatchesOneProcessWithTheBackboneFrozen) {
  const test::TempDir tmp;
  const std::string ferkit = FERKIT_BINARY_PATH;
  ASSERT_EQ(std::system((ferkit + " -q synth --out " + tmp / "data" + " --scale 0.1 --seed 3").c_str()), 0);
  ModelSpec spec;
  spec.backbone.width = 0.25;
  const std::string stages = std::to_string(FerModel(spec)->backbone()->stage_names().size());
  auto train = [&](int workers, const std::string& out) {
    LaunchOptions o;
    o.nproc = workers;
    o.threads_per_worker = 1;
    return launch_workers({ferkit, "--threads", "1", "-q", "train", "--data", tmp / "data", "--out", tmp / out, "--epochs", "2",
                           "--width", "0.25", "--freeze-until", stages, "--augment", "none", "--mixup-alpha", "0",
                           "--cutmix-alpha", "0", "--batch-size", "32", "--lr", "0.01", "--label-mode", "majority"},
                          o);
  };
  ASSERT_EQ(train(1, "one"), 0);
  ASSERT_EQ(train(2, "two"), 0);
  FerModel one(spec), two(spec);
  const CheckpointState s1 = load_checkpoint(tmp / "one/checkpoints/last.pt", one, nullptr);
  const CheckpointState s2 = load_checkpoint(tmp / "two/checkpoints/last.pt", two, nullptr);
  EXPECT_EQ(s1.step, s2.step) << "the same number of optimizer steps";
  EXPECT_GT(s1.step, 10);
  const auto p1 = one->named_parameters(), p2 = two->named_parameters();
  double head_moved = 0, worst = 0;
  for (const auto& kv : p1) {
    worst = std::max(worst, (kv.value() - p2[kv.key()]).abs().max().item<double>());
    if (kv.key().rfind("head", 0) == 0) head_moved = std::max(head_moved, kv.value().abs().max().item<double>());
  }
  std::cout << "trainer: " << s1.step << " steps; max |one process - two workers| over all weights " << worst << "\n";
  EXPECT_LT(worst, 1e-4);
  EXPECT_GT(head_moved, 0.0);
}

// Starts `argv` with extra environment variables; stderr to `err_path`.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra, const std::string& err_path) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> a, en;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (const auto& s : env) en.push_back(const_cast<char*>(s.c_str()));
  en.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, a[0], &fa, nullptr, a.data(), en.data()), 0);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// The exit code of pid, or -1 (after killing it) when it runs longer than `limit`.
int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DataParallel, AWorkerThatDiesMakesTheOthersFailWithAMessageNotHang) {
  const test::TempDir tmp_dir;
  const fs::path& tmp = tmp_dir.path();
  const std::string port = std::to_string(free_port());
  std::vector<pid_t> pids;
  for (int r = 0; r < 2; ++r)
    pids.push_back(spawn(worker_command({"die", (tmp / "w").string()}),
                         {"WORLD_SIZE=2", "RANK=" + std::to_string(r), "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port,
                          "DIST_TIMEOUT_MS=20000"},
                         (tmp / ("err" + std::to_string(r))).string()));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for(pids[1], std::chrono::seconds(60)), 3);
  EXPECT_EQ(wait_for(pids[0], std::chrono::seconds(60)), 1) << read_text(tmp / "err0");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string err = read_text(tmp / "err0");
  EXPECT_NE(err.find("another worker stopped"), std::string::npos) << err;
  EXPECT_LT(seconds, 25.0) << "rank 0 must fail by the timeout at the latest";
  std::cout << "rank 0 failed " << seconds << " s after the start: " << err;
}

TEST(DataParallel, AWorkerThatNeverComesFailsTheRendezvousAfterTheTimeout) {
  const test::TempDir tmp_dir;
  const fs::path& tmp = tmp_dir.path();
  const pid_t pid = spawn(worker_command({"train", (tmp / "w").string()}),
                          {"WORLD_SIZE=2", "RANK=0", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(free_port()),
                           "DIST_TIMEOUT_MS=1500"},
                          (tmp / "err").string());
  EXPECT_EQ(wait_for(pid, std::chrono::seconds(30)), 1);
  const std::string err = read_text(tmp / "err");
  EXPECT_NE(err.find("rendezvous"), std::string::npos) << err;
}

TEST(Launch, StopsTheOtherWorkersWhenOneFailsAndReturnsItsCode) {
  const test::TempDir tmp_dir;
  const fs::path& tmp = tmp_dir.path();
  LaunchOptions o;
  o.nproc = 2;
  o.threads_per_worker = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const int code = launch_workers(worker_command({"die", (tmp / "w").string()}), o);
  EXPECT_EQ(code, 3);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 25.0);
  EXPECT_FALSE(fs::exists(tmp / "w.rank0.pt"));
}

}  // namespace
// dist_backend's names (train/config.h, where a config is checked before any worker starts) are
// the communicator's backends and auto; auto follows the device; an unknown name lists them.
TEST(DistBackend, ConfigNamesAreTheCommunicatorsBackends) {
  std::vector<std::string> names;
  for (const auto& [name, help] : dist_backend_choices())
    if (name != "auto") names.push_back(name);
  EXPECT_EQ(names, dist_backend_names());
  TrainConfig c;
  c.dist_backend = "auto";
  EXPECT_EQ(dist_backend_for(c), "gloo");
  c.device.cuda = true;
  EXPECT_EQ(dist_backend_for(c), "nccl");
  c.dist_backend = "gloo";
  EXPECT_EQ(dist_backend_for(c), "gloo");
  c.dist_backend = "mpi";
  try {
    dist_backend_for(c);
    ADD_FAILURE() << "an unknown backend was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown dist_backend 'mpi' (known: auto, gloo, nccl)"), std::string::npos) << e.what();
  }
}

}  // namespace ferkit
