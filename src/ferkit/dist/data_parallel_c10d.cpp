#include "ferkit/dist/data_parallel_c10d.h"

#include <chrono>

#include <fmt/format.h>

#include "ferkit/dist/communicator.h"
#include "ferkit/dist/grad_sync.h"
#include "ferkit/util/error.h"

namespace ferkit {
namespace {

class C10dDataParallel final : public DataParallel {
 public:
  C10dDataParallel(const DistEnv& env, std::chrono::milliseconds timeout, const std::string& backend)
      : env_(env), comm_(env, timeout, backend) {}
  int rank() const override { return comm_.rank(); }
  int world_size() const override { return comm_.world_size(); }
  int local_rank() const override { return env_.local_rank; }
  std::string describe() const override {
    return fmt::format("{} backend, rendezvous {}:{}", comm_.backend(), env_.master_addr, env_.master_port);
  }
  void broadcast(const std::vector<at::Tensor>& tensors) override { comm_.broadcast(tensors); }
  std::vector<double> allreduce_sum(std::vector<double> values) override { return comm_.allreduce_sum(std::move(values)); }
  at::Tensor gather_interleaved(const at::Tensor& local, int64_t total) override { return comm_.gather_interleaved(local, total); }
  void track_gradients(std::vector<at::Tensor> params) override {
    sync_.reset();  // its hooks go before the new ones are set
    sync_ = std::make_unique<GradientSync>(comm_, std::move(params));
  }
  void arm() override { sync_->arm(); }
  void finish() override { sync_->finish(); }
  double last_wait_seconds() const override { return sync_ ? sync_->last_wait_seconds() : 0.0; }
  int64_t gradient_buckets() const override { return sync_ ? sync_->buckets() : 0; }
  int64_t gradient_bytes() const override { return sync_ ? sync_->bytes() : 0; }
  void stop_tracking() override { sync_.reset(); }

 private:
  DistEnv env_;
  Communicator comm_;
  std::unique_ptr<GradientSync> sync_;
};

}  // namespace

std::unique_ptr<DataParallel> connect_workers(const DistEnv& env, const TrainConfig& c) {
  if (!env.active()) return nullptr;
  FERKIT_CHECK(c.batch_size % env.world_size == 0,
               fmt::format("batch_size {} does not split evenly among {} workers (it is the global batch)", c.batch_size,
                           env.world_size));
  const std::string backend = dist_backend_for(c);
  return std::make_unique<C10dDataParallel>(env, std::chrono::milliseconds(static_cast<int64_t>(c.dist_timeout * 1000)), backend);
}

}  // namespace ferkit
