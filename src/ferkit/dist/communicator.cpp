#include "ferkit/dist/communicator.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/registry.h"

namespace ferkit {

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::chrono::milliseconds timeout;
};

namespace {

// c10d's messages end in a C++ stack trace ("Exception raised from ..."): the first part says it.
std::string short_message(const std::exception& e) {
  std::string msg = e.what();
  if (auto nl = msg.find("\nException raised from"); nl != std::string::npos) msg.resize(nl);
  return msg;
}

// c10d reports a failed peer as c10::Error (or std::runtime_error from Gloo); ferkit's callers
// expect Error with a message that says what to look at.
template <typename F>
auto checked(const char* what, const Communicator& c, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("distributed {} failed on rank {} of {}: {} (another worker stopped or timed out; "
                            "see its messages)", what, c.rank(), c.world_size(), short_message(e)));
  }
}

class C10dOp : public AsyncOp {
 public:
  C10dOp(c10::intrusive_ptr<c10d::Work> work, const Communicator& c) : work_(std::move(work)), comm_(c) {}
  void wait() override {
    checked("allreduce", comm_, [&] { return work_->wait(); });
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  const Communicator& comm_;
};

bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0; }

// The process groups by backend name (--dist-backend; "auto" is resolved by connect_workers).
using GroupFactory = std::function<c10::intrusive_ptr<c10d::ProcessGroup>(const c10::intrusive_ptr<c10d::Store>&, const DistEnv&,
                                                                          std::chrono::milliseconds, const Communicator&)>;

c10::intrusive_ptr<c10d::ProcessGroup> gloo_group(const c10::intrusive_ptr<c10d::Store>& store, const DistEnv& env,
                                                  std::chrono::milliseconds timeout, const Communicator& c) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  // GLOO_SOCKET_IFNAME as PyTorch reads it; on one machine the loopback device.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else if (is_loopback(env.master_addr))
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  opts->threads = 2;
  return checked("rendezvous (process group set-up)", c, [&] {
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts);
  });
}

c10::intrusive_ptr<c10d::ProcessGroup> nccl_group(const c10::intrusive_ptr<c10d::Store>& store, const DistEnv& env,
                                                  std::chrono::milliseconds timeout, const Communicator&) {
#if defined(USE_C10D_NCCL)
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, opts);
#else
  (void)store, (void)env, (void)timeout;
  return {};  // never called: unavailable (below)
#endif
}

struct Backend {
  GroupFactory make;
  std::string unavailable;  // why this build cannot use it ("": it can), said before any rendezvous
};

const std::map<std::string, Backend>& backend_registry() {
  static const std::map<std::string, Backend> backends = {
      {"gloo", {gloo_group, ""}},
#if defined(USE_C10D_NCCL)
      {"nccl", {nccl_group, ""}},
#else
      {"nccl", {nccl_group, "this ferkit was built with a LibTorch without NCCL (CPU only): use --device cpu, "
                            "or rebuild with a CUDA LibTorch (docs/scale-out.md: GPUs)"}},
#endif
  };
  return backends;
}

}  // namespace

Communicator::Communicator(const DistEnv& env, std::chrono::milliseconds timeout, const std::string& backend)
    : env_(env), backend_(backend), impl_(std::make_unique<Impl>()) {
  const Backend& chosen = registry_lookup(backend_registry(), backend, "distributed backend");
  FERKIT_CHECK(chosen.unavailable.empty(), chosen.unavailable);
  impl_->timeout = timeout;
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(env.master_port);
  so.isServer = env.rank == 0;
  so.numWorkers = env.world_size;
  so.waitWorkers = true;
  so.timeout = timeout;
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw Error(fmt::format("distributed rendezvous at {}:{} failed on rank {} of {} after at most {} s: {}",
                            env.master_addr, env.master_port, env.rank, env.world_size, timeout.count() / 1000.0,
                            short_message(e)));
  }
  impl_->group = chosen.make(impl_->store, env, timeout, *this);
}

Communicator::~Communicator() = default;

std::vector<std::string> dist_backend_names() { return registry_names(backend_registry()); }

void Communicator::broadcast(const std::vector<at::Tensor>& tensors, int root) {
  // One message per dtype: flatten, send, copy back.
  std::vector<at::ScalarType> dtypes;
  for (const auto& t : tensors)
    if (std::find(dtypes.begin(), dtypes.end(), t.scalar_type()) == dtypes.end()) dtypes.push_back(t.scalar_type());
  for (auto dt : dtypes) {
    std::vector<at::Tensor> parts;
    for (const auto& t : tensors)
      if (t.scalar_type() == dt) parts.push_back(t.detach().reshape({-1}));
    if (parts.empty()) continue;
    std::vector<at::Tensor> flat{torch::cat(parts)};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    checked("broadcast", *this, [&] { return impl_->group->broadcast(flat, o)->wait(); });
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (const auto& t : tensors)
      if (t.scalar_type() == dt) {
        const int64_t n = t.numel();
        t.detach().copy_(flat[0].narrow(0, offset, n).view(t.sizes()));
        offset += n;
      }
  }
}

void Communicator::allreduce_sum(const at::Tensor& t) { allreduce_sum_async(t)->wait(); }

std::unique_ptr<AsyncOp> Communicator::allreduce_sum_async(const at::Tensor& t) {
  std::vector<at::Tensor> v{t};
  auto work = checked("allreduce", *this, [&] { return impl_->group->allreduce(v); });
  return std::make_unique<C10dOp>(std::move(work), *this);
}

std::vector<double> Communicator::allreduce_sum(std::vector<double> values) {
  at::Tensor t = torch::tensor(values, torch::kFloat64);
  allreduce_sum(t);
  std::memcpy(values.data(), t.data_ptr<double>(), values.size() * sizeof(double));
  return values;
}

void Communicator::barrier() {
  checked("barrier", *this, [&] { return impl_->group->barrier()->wait(); });
}

at::Tensor Communicator::gather_interleaved(const at::Tensor& local, int64_t total) {
  const int w = world_size();
  const int64_t per = (total + w - 1) / w;
  FERKIT_CHECK(local.size(0) == shard_rows(total, rank(), w).size(0), "gather_interleaved: wrong shard size");
  at::Tensor padded = torch::zeros({per, local.size(1)}, local.options());
  padded.narrow(0, 0, local.size(0)).copy_(local);
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < w; ++r) out[0].push_back(torch::empty_like(padded));
  std::vector<at::Tensor> in{padded};
  checked("allgather", *this, [&] { return impl_->group->allgather(out, in)->wait(); });
  // Row r + w*k came from rank r's k-th row.
  at::Tensor all = torch::stack(out[0], 1).reshape({per * w, local.size(1)});
  return all.narrow(0, 0, total).contiguous();
}

at::Tensor shard_rows(int64_t n, int rank, int world) {
  return torch::arange(rank, std::max<int64_t>(n, rank), world, torch::kInt64);
}

}  // namespace ferkit
