// Reads state dicts written by PyTorch's `torch.save(model.state_dict())`, in the zip format
// (PyTorch >= 1.6) and the legacy non-zip format, without Python. LibTorch 1.13's
// torch::pickle_load aborts on the OrderedDict that state_dict() returns, so ferkit carries a small
// unpickler for exactly what torch.save writes: dicts, lists, tuples, scalars, strings and tensors
// (torch._utils._rebuild_tensor_v2 / _rebuild_parameter over typed storages).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ferkit {

// The tensors of a state dict, in file order. Throws Error naming the file on anything else.
std::vector<std::pair<std::string, at::Tensor>> load_torch_state_dict(const std::string& path);

}  // namespace ferkit
