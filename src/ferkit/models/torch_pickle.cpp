#include "ferkit/models/torch_pickle.h"

#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include "ferkit/util/error.h"

namespace ferkit {

namespace {

// A storage named in the pickle; its bytes come from the zip record or the legacy stream.
struct StorageSlot {
  std::string key;
  at::ScalarType dtype = at::kFloat;
  int64_t numel = 0;
  at::Tensor data;  // (numel) once read
};

// A tensor view of a storage, made real once every storage is read.
struct TensorRef {
  std::shared_ptr<StorageSlot> storage;
  int64_t offset = 0;
  std::vector<int64_t> size, stride;
};

struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Value {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kStorage, kTensor, kMark } kind = kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;                                   // string; "module.name" of a global
  std::vector<ValuePtr> items;                     // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> dict; // dict (insertion order)
  std::shared_ptr<StorageSlot> storage;
  std::shared_ptr<TensorRef> tensor;
  // Releases nested values with a work list instead of recursion: a hostile pickle nests tuples
  // 200,000 deep, and the default destructor's recursion would overflow the stack.
  ~Value() {
    std::vector<ValuePtr> pending;
    auto take_children = [&pending](Value& v) {
      for (auto& x : v.items) pending.push_back(std::move(x));
      for (auto& [k, x] : v.dict) pending.push_back(std::move(k)), pending.push_back(std::move(x));
      v.items.clear();
      v.dict.clear();
    };
    take_children(*this);
    while (!pending.empty()) {
      ValuePtr v = std::move(pending.back());
      pending.pop_back();
      if (v && v.use_count() == 1) take_children(*v);  // its children go on the list; v dies childless
    }
  }
};
ValuePtr make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

at::ScalarType dtype_of_storage(const std::string& global, const std::string& file) {
  static const std::map<std::string, at::ScalarType> kTypes = {
      {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool}};
  auto it = kTypes.find(global);
  if (it == kTypes.end()) throw Error(file + ": unsupported storage type " + global);
  return it->second;
}

std::vector<int64_t> int_tuple(const ValuePtr& v, const std::string& file) {
  if (v->kind != Value::kTuple && v->kind != Value::kList) throw Error(file + ": expected a tuple of ints in a tensor");
  std::vector<int64_t> out;
  for (const auto& x : v->items) out.push_back(x->i);
  return out;
}

// The pickle machine: protocol 2 (what torch.save writes) and the protocol-4 opcodes.
class Unpickler {
 public:
  Unpickler(const char* data, size_t size, std::string file,
            std::function<std::shared_ptr<StorageSlot>(const ValuePtr&)> persistent)
      : begin_(data), p_(data), end_(data + size), file_(std::move(file)), persistent_(std::move(persistent)) {}

  size_t consumed() const { return static_cast<size_t>(p_ - begin_); }

  ValuePtr run() {
    while (true) {
      const uint8_t op = u8();
      if (op == '.') return pop();  // STOP
      if (!scalar_op(op) && !container_op(op) && !memo_op(op) && !object_op(op)) fail("unsupported pickle opcode 0x" + hex(op));
    }
  }

 private:
  // The opcodes by kind; each returns false for an opcode not its own.
  // Protocol and framing, None, booleans, integers, floats, strings.
  bool scalar_op(uint8_t op) {
    switch (op) {
      case 0x80: u8(); break;                                  // PROTO
      case 0x95: take(8); break;                               // FRAME
      case 'N': stack_.push_back(make(Value::kNone)); break;
      case 0x88: case 0x89: { auto v = make(Value::kBool); v->i = op == 0x88; stack_.push_back(v); break; }
      case 'J': { int32_t x; std::memcpy(&x, take(4), 4); push_int(x); break; }
      case 'K': push_int(u8()); break;
      case 'M': { uint16_t x; std::memcpy(&x, take(2), 2); push_int(x); break; }
      case 0x8a: {                                             // LONG1: little-endian two's complement
        const int n = u8();
        const uint8_t* b = reinterpret_cast<const uint8_t*>(take(n));
        int64_t x = 0;
        for (int k = 0; k < n && k < 8; ++k) x |= static_cast<int64_t>(b[k]) << (8 * k);
        if (n > 0 && n < 8 && (b[n - 1] & 0x80)) x -= int64_t(1) << (8 * n);
        push_int(x);
        break;
      }
      case 'G': {                                              // BINFLOAT, big-endian
        uint8_t b[8];
        std::memcpy(b, take(8), 8);
        std::reverse(b, b + 8);
        auto v = make(Value::kFloat);
        std::memcpy(&v->f, b, 8);
        stack_.push_back(v);
        break;
      }
      case 'X': case 'T': { uint32_t n; std::memcpy(&n, take(4), 4); push_str(take(n), n); break; }
      case 0x8c: case 'U': case 'C': { const uint8_t n = u8(); push_str(take(n), n); break; }
      case 'B': { uint32_t n; std::memcpy(&n, take(4), 4); push_str(take(n), n); break; }
      default: return false;
    }
    return true;
  }
  // Marks, tuples, lists, dicts and their setters.
  bool container_op(uint8_t op) {
    switch (op) {
      case '(': stack_.push_back(make(Value::kMark)); break;   // MARK
      case '}': stack_.push_back(make(Value::kDict)); break;
      case ']': stack_.push_back(make(Value::kList)); break;
      case ')': stack_.push_back(make(Value::kTuple)); break;
      case 't': { auto v = make(Value::kTuple); v->items = pop_to_mark(); stack_.push_back(v); break; }
      case 'l': { auto v = make(Value::kList); v->items = pop_to_mark(); stack_.push_back(v); break; }
      case 'd': {
        auto v = make(Value::kDict);
        auto items = pop_to_mark();
        for (size_t k = 0; k + 1 < items.size(); k += 2) v->dict.emplace_back(items[k], items[k + 1]);
        stack_.push_back(v);
        break;
      }
      case 0x85: case 0x86: case 0x87: {                       // TUPLE1..3
        auto v = make(Value::kTuple);
        v->items.resize(op - 0x84);
        for (auto it = v->items.rbegin(); it != v->items.rend(); ++it) *it = pop();
        stack_.push_back(v);
        break;
      }
      case 's': { auto v = pop(); auto k = pop(); dict_top()->dict.emplace_back(k, v); break; }
      case 'u': {
        auto items = pop_to_mark();
        auto d = dict_top();
        for (size_t k = 0; k + 1 < items.size(); k += 2) d->dict.emplace_back(items[k], items[k + 1]);
        break;
      }
      case 'a': { auto v = pop(); list_top()->items.push_back(v); break; }
      case 'e': { auto items = pop_to_mark(); auto l = list_top(); l->items.insert(l->items.end(), items.begin(), items.end()); break; }
      default: return false;
    }
    return true;
  }
  // The memo: values kept by index for later references.
  bool memo_op(uint8_t op) {
    switch (op) {
      case 'q': memo_[u8()] = top(); break;
      case 'r': { uint32_t k; std::memcpy(&k, take(4), 4); memo_[k] = top(); break; }
      case 0x94: memo_[memo_.size()] = top(); break;           // MEMOIZE
      case 'h': stack_.push_back(memo(u8())); break;
      case 'j': { uint32_t k; std::memcpy(&k, take(4), 4); stack_.push_back(memo(k)); break; }
      default: return false;
    }
    return true;
  }
  // Globals, BUILD, persistent ids (tensor storages) and reduce/NEWOBJ calls.
  bool object_op(uint8_t op) {
    switch (op) {
      case 'c': {                                              // GLOBAL module\nname\n
        auto v = make(Value::kGlobal);
        const std::string module = line();  // two statements: operands of + are unordered
        v->s = module + "." + line();
        stack_.push_back(v);
        break;
      }
      case 'b': pop(); break;  // BUILD: the only state torch.save writes is OrderedDict's _metadata
      case 'Q': {              // BINPERSID
        auto pid = pop();
        auto v = make(Value::kStorage);
        v->storage = persistent_(pid);
        stack_.push_back(v);
        break;
      }
      case 'R': { auto args = pop(); auto fn = pop(); stack_.push_back(reduce(fn, args)); break; }
      case 0x81: { auto args = pop(); auto cls = pop(); stack_.push_back(reduce(cls, args)); break; }  // NEWOBJ
      default: return false;
    }
    return true;
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error(file_ + ": cannot read as a PyTorch state dict: " + what); }
  static std::string hex(uint8_t b) {
    const char* d = "0123456789abcdef";
    return std::string{d[b >> 4], d[b & 15]};
  }
  const char* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("truncated pickle");
    const char* r = p_;
    p_ += n;
    return r;
  }
  uint8_t u8() { return static_cast<uint8_t>(*take(1)); }
  std::string line() {
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    if (!nl) fail("truncated GLOBAL");
    std::string s(p_, nl);
    p_ = nl + 1;
    return s;
  }
  void push_int(int64_t x) { auto v = make(Value::kInt); v->i = x; stack_.push_back(v); }
  void push_str(const char* s, size_t n) { auto v = make(Value::kString); v->s.assign(s, n); stack_.push_back(v); }
  ValuePtr pop() {
    if (stack_.empty()) fail("stack underflow");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr top() { if (stack_.empty()) fail("stack underflow"); return stack_.back(); }
  ValuePtr memo(size_t k) { auto it = memo_.find(k); if (it == memo_.end()) fail("bad memo reference"); return it->second; }
  ValuePtr dict_top() { auto v = top(); if (v->kind != Value::kDict) fail("SETITEM on a non-dict"); return v; }
  ValuePtr list_top() { auto v = top(); if (v->kind != Value::kList) fail("APPEND on a non-list"); return v; }
  std::vector<ValuePtr> pop_to_mark() {
    std::vector<ValuePtr> items;
    while (true) {
      auto v = pop();
      if (v->kind == Value::kMark) break;
      items.push_back(v);
    }
    std::reverse(items.begin(), items.end());
    return items;
  }
  ValuePtr reduce(const ValuePtr& fn, const ValuePtr& args) {
    if (fn->kind != Value::kGlobal) fail("call of a non-global");
    // The callables a plain state dict's pickle holds, by their global name; anything else is refused.
    using Callable = ValuePtr (Unpickler::*)(const std::vector<ValuePtr>&);
    static const std::map<std::string, Callable> callables = {
        {"collections.OrderedDict", &Unpickler::ordered_dict},
        {"torch._utils._rebuild_tensor_v2", &Unpickler::rebuild_tensor},
        {"torch._utils._rebuild_tensor", &Unpickler::rebuild_tensor},
        {"torch._utils._rebuild_parameter", &Unpickler::rebuild_parameter}};
    const auto it = callables.find(fn->s);
    if (it == callables.end()) fail("unsupported object " + fn->s + " (not a plain state dict of tensors)");
    return (this->*(it->second))(args->items);
  }
  ValuePtr ordered_dict(const std::vector<ValuePtr>&) { return make(Value::kDict); }
  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& a) {
    if (a.size() < 4 || a[0]->kind != Value::kStorage) fail("malformed _rebuild_tensor_v2");
    auto v = make(Value::kTensor);
    v->tensor = std::make_shared<TensorRef>();
    v->tensor->storage = a[0]->storage;
    v->tensor->offset = a[1]->i;
    v->tensor->size = int_tuple(a[2], file_);
    v->tensor->stride = int_tuple(a[3], file_);
    return v;
  }
  ValuePtr rebuild_parameter(const std::vector<ValuePtr>& a) {
    if (a.empty() || a[0]->kind != Value::kTensor) fail("malformed _rebuild_parameter");
    return a[0];
  }

  const char* begin_ = nullptr;
  const char* p_;
  const char* end_;
  std::string file_;
  std::function<std::shared_ptr<StorageSlot>(const ValuePtr&)> persistent_;
  std::vector<ValuePtr> stack_;
  std::map<size_t, ValuePtr> memo_;
};

// ('storage', storage_type, key, location, numel[, view_metadata])
std::shared_ptr<StorageSlot> storage_from_pid(const ValuePtr& pid, const std::string& file,
                                              std::map<std::string, std::shared_ptr<StorageSlot>>& slots) {
  if (pid->kind != Value::kTuple || pid->items.size() < 5 || pid->items[0]->s != "storage")
    throw Error(file + ": unsupported persistent id in pickle");
  const std::string key = pid->items[2]->s;
  auto& slot = slots[key];
  if (!slot) {
    slot = std::make_shared<StorageSlot>();
    slot->key = key;
    slot->dtype = dtype_of_storage(pid->items[1]->s, file);
    slot->numel = pid->items[4]->i;
  }
  if (pid->items.size() > 5 && pid->items[5]->kind != Value::kNone)
    throw Error(file + ": storage views (legacy files before PyTorch 0.4) are not supported");
  return slot;
}

std::vector<std::pair<std::string, at::Tensor>> to_state_dict(const ValuePtr& root, const std::string& file) {
  if (root->kind != Value::kDict) throw Error(file + ": the pickle holds no dict (is it a state dict?)");
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [k, v] : root->dict) {
    if (k->kind != Value::kString) throw Error(file + ": a state-dict key is not a string");
    if (v->kind != Value::kTensor) throw Error(file + ": entry '" + k->s + "' is not a tensor");
    const TensorRef& t = *v->tensor;
    if (!t.storage->data.defined()) throw Error(file + ": storage " + t.storage->key + " has no data");
    out.emplace_back(k->s, t.storage->data.as_strided(t.size, t.stride, t.offset).clone());
  }
  return out;
}

bool is_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

std::vector<std::pair<std::string, at::Tensor>> load_zip(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(path);
  if (!reader.hasRecord("data.pkl")) throw Error(path + ": a zip file without data.pkl (a TorchScript archive? use a state dict)");
  auto [pkl, pkl_size] = reader.getRecord("data.pkl");
  std::map<std::string, std::shared_ptr<StorageSlot>> slots;
  Unpickler u(static_cast<const char*>(pkl.get()), pkl_size, path,
              [&](const ValuePtr& pid) { return storage_from_pid(pid, path, slots); });
  const ValuePtr root = u.run();
  for (auto& [key, slot] : slots) {
    auto [data, size] = reader.getRecord("data/" + key);
    const size_t bytes = slot->numel * c10::elementSize(slot->dtype);
    if (size < bytes) throw Error(path + ": record data/" + key + " is shorter than its tensor");
    slot->data = torch::empty({slot->numel}, torch::TensorOptions().dtype(slot->dtype));
    std::memcpy(slot->data.data_ptr(), data.get(), bytes);
  }
  return to_state_dict(root, path);
}

// Legacy format: pickles of the magic number, protocol, sys info, the object, the storage keys;
// then each storage as an int64 element count and its raw little-endian bytes.
std::vector<std::pair<std::string, at::Tensor>> load_legacy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  std::map<std::string, std::shared_ptr<StorageSlot>> slots;
  auto read_pickle = [&](bool storages_allowed) {
    Unpickler u(bytes.data() + pos, bytes.size() - pos, path, [&](const ValuePtr& pid) {
      if (!storages_allowed) throw Error(path + ": unexpected tensor data in a header pickle");
      return storage_from_pid(pid, path, slots);
    });
    ValuePtr v = u.run();
    pos += u.consumed();
    return v;
  };
  // The magic number 0x1950a86a20f9469cfc6c is an 80-bit int: LONG1 keeps its low 64 bits.
  const ValuePtr magic = read_pickle(false);
  if (magic->kind != Value::kInt || static_cast<uint64_t>(magic->i) != 0xa86a20f9469cfc6cULL)
    throw Error(path + ": not a PyTorch weights file (neither a zip archive nor the legacy format)");
  const ValuePtr protocol = read_pickle(false);
  if (protocol->kind != Value::kInt || protocol->i != 1001)
    throw Error(path + ": not a PyTorch file (no legacy protocol 1001 header, nor a zip archive)");
  read_pickle(false);  // sys info
  const ValuePtr root = read_pickle(true);
  const ValuePtr keys = read_pickle(false);
  if (keys->kind != Value::kList) throw Error(path + ": malformed legacy file (storage key list)");
  for (const auto& key : keys->items) {
    auto it = slots.find(key->s);
    if (it == slots.end()) throw Error(path + ": storage " + key->s + " is listed but not used");
    StorageSlot& slot = *it->second;
    int64_t numel = 0;
    if (bytes.size() - pos < 8) throw Error(path + ": truncated tensor data");
    std::memcpy(&numel, bytes.data() + pos, 8);
    pos += 8;
    const size_t n = static_cast<size_t>(numel) * c10::elementSize(slot.dtype);
    if (numel != slot.numel || bytes.size() - pos < n) throw Error(path + ": truncated or inconsistent tensor data");
    slot.data = torch::empty({numel}, torch::TensorOptions().dtype(slot.dtype));
    std::memcpy(slot.data.data_ptr(), bytes.data() + pos, n);
    pos += n;
  }
  return to_state_dict(root, path);
}

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> load_torch_state_dict(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw Error(path + ": cannot open weights file");
  try {
    return is_zip(path) ? load_zip(path) : load_legacy(path);
  } catch (const c10::Error& e) {
    throw Error(path + ": damaged PyTorch zip file: " + std::string(e.what_without_backtrace()));
  }
}

}  // namespace ferkit
