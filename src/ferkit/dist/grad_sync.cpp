#include "ferkit/dist/grad_sync.h"

#include <chrono>

#include <torch/torch.h>

#include "ferkit/dist/communicator.h"
#include "ferkit/util/error.h"

namespace ferkit {

struct GradientSync::Bucket {
  at::Tensor flat;              // the gradients of its parameters, back to back
  std::vector<size_t> params;
  std::vector<bool> ready;
  size_t pending = 0;
  std::unique_ptr<AsyncOp> op;  // set once launched
};

GradientSync::GradientSync(Communicator& comm, std::vector<at::Tensor> params, int64_t bucket_bytes)
    : comm_(comm), params_(std::move(params)) {
  where_.resize(params_.size());
  // Reverse order: the head's gradients come first in backward, so its bucket leaves first.
  std::unique_ptr<Bucket> current;
  int64_t size = 0;
  auto close = [&] {
    if (!current) return;
    current->flat = torch::zeros({size}, params_[current->params.front()].options().requires_grad(false));
    current->ready.assign(current->params.size(), false);
    buckets_.push_back(std::move(current));
    size = 0;
  };
  for (size_t k = params_.size(); k-- > 0;) {
    const auto& p = params_[k];
    FERKIT_CHECK(p.requires_grad(), "GradientSync: a parameter without requires_grad");
    if (current && (size + p.numel()) * static_cast<int64_t>(p.element_size()) > bucket_bytes) close();
    if (!current) current = std::make_unique<Bucket>();
    where_[k] = {buckets_.size(), size};
    current->params.push_back(k);
    size += p.numel();
  }
  close();
  for (size_t k = 0; k < params_.size(); ++k)
    hooks_.push_back(params_[k].register_hook([this, k](const at::Tensor& grad) { on_grad(k, grad); }));
}

GradientSync::~GradientSync() {
  for (size_t k = 0; k < params_.size(); ++k) {
    try {
      params_[k].remove_hook(hooks_[k]);
    } catch (...) {  // never throw from a destructor
    }
  }
}

int64_t GradientSync::bytes() const {
  int64_t n = 0;
  for (const auto& b : buckets_) n += b->flat.numel() * static_cast<int64_t>(b->flat.element_size());
  return n;
}

void GradientSync::arm() {
  for (auto& b : buckets_) {
    b->op.reset();
    b->ready.assign(b->params.size(), false);
    b->pending = b->params.size();
  }
  armed_ = true;
}

// Runs in backward, before the gradient is accumulated into .grad: the bucket gets what .grad
// will hold (earlier micro-batches' sum plus this one).
void GradientSync::on_grad(size_t k, const at::Tensor& grad) {
  if (!armed_) return;
  auto [bi, offset] = where_[k];
  Bucket& b = *buckets_[bi];
  const size_t slot = std::find(b.params.begin(), b.params.end(), k) - b.params.begin();
  if (b.ready[slot] || b.op) return;  // a parameter used twice gets one hook call per use: rare, handled in finish
  torch::NoGradGuard no_grad;
  at::Tensor dst = b.flat.narrow(0, offset, grad.numel());
  const at::Tensor& old = params_[k].grad();
  if (old.defined())
    torch::add_out(dst, old.reshape({-1}), grad.reshape({-1}));
  else
    dst.copy_(grad.reshape({-1}));
  b.ready[slot] = true;
  if (--b.pending == 0) launch(b);
}

void GradientSync::launch(Bucket& b) { b.op = comm_.allreduce_sum_async(b.flat); }

void GradientSync::finish() {
  FERKIT_CHECK(armed_, "GradientSync::finish without arm");
  armed_ = false;
  torch::NoGradGuard no_grad;
  // Buckets not launched from hooks (unused parameters, or parameters that got more than one
  // gradient): take .grad as backward left it. Every worker does this for the same buckets in
  // the same order, so the collectives still match.
  for (auto& bp : buckets_) {
    Bucket& b = *bp;
    if (b.op) continue;
    for (size_t s = 0; s < b.params.size(); ++s) {
      const size_t k = b.params[s];
      at::Tensor dst = b.flat.narrow(0, where_[k].second, params_[k].numel());
      if (params_[k].grad().defined())
        dst.copy_(params_[k].grad().reshape({-1}));
      else
        dst.zero_();
    }
    launch(b);
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& b : buckets_) b->op->wait();
  last_wait_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double scale = 1.0 / comm_.world_size();
  for (auto& b : buckets_) {
    b->flat.mul_(scale);
    for (size_t k : b->params) {
      at::Tensor avg = b->flat.narrow(0, where_[k].second, params_[k].numel()).view(params_[k].sizes());
      at::Tensor& g = params_[k].mutable_grad();
      if (g.defined())
        g.copy_(avg);
      else
        g = avg.clone();
    }
  }
}

}  // namespace ferkit
