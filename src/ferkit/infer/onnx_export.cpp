#include "ferkit/infer/onnx_export.h"

#include <fstream>

#include <onnx/onnx_pb.h>  // ONNX_ML=1 (the onnx_proto target): the onnx-ml messages
#include <torch/torch.h>

#include "ferkit/util/error.h"
#include "ferkit/util/fs.h"
#include "ferkit/util/json_text.h"

namespace ferkit::infer {
namespace {

// Opset 10: the last one with Clip's bounds and Pad's pads as attributes, which OpenCV's ONNX
// importer (4.6) needs; everything else here means the same in later opsets.
constexpr int kOpset = 10;

void add_float(onnx::NodeProto& n, const std::string& name, float value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

std::string value_name(const Graph& g, int v) {
  if (v == g.input) return "image";
  if (v == g.output) return "logits";
  return "v" + std::to_string(v);
}

void add_initializer(onnx::GraphProto& graph, const std::string& name, const at::Tensor& t) {
  onnx::TensorProto* p = graph.add_initializer();
  p->set_name(name);
  const at::Tensor c = t.contiguous();
  for (int64_t d : c.sizes()) p->add_dims(d);
  if (c.scalar_type() == at::kLong) {
    p->set_data_type(onnx::TensorProto::INT64);
    p->set_raw_data(c.data_ptr(), c.numel() * sizeof(int64_t));
  } else {
    const at::Tensor f = c.to(torch::kFloat32).contiguous();
    p->set_data_type(onnx::TensorProto::FLOAT);
    p->set_raw_data(f.data_ptr(), f.numel() * sizeof(float));  // little-endian, as ONNX wants
  }
}

void add_ints(onnx::NodeProto& n, const std::string& name, std::initializer_list<int64_t> values) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void add_int(onnx::NodeProto& n, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_tensor_type(onnx::ValueInfoProto* v, const std::string& name, std::initializer_list<int64_t> dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = t->mutable_shape();
  bool first = true;
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (first) dim->set_dim_param("batch");  // the batch is free
    else dim->set_dim_value(d);
    first = false;
  }
}

// One node of the graph as ONNX nodes (and its weights as initializers); k numbers it.
void add_onnx_node(const Graph& g, size_t k, onnx::GraphProto* graph) {
  const Node& n = g.nodes[k];
  const std::string id = "n" + std::to_string(k);
  std::vector<std::string> inputs;
  for (int v : n.inputs) inputs.push_back(value_name(g, v));
  std::string out = value_name(g, n.output);
  auto node = [&](const std::string& op, const std::vector<std::string>& ins, const std::string& output) {
    onnx::NodeProto* p = graph->add_node();
    p->set_op_type(op);
    p->set_name((n.name.empty() ? id : n.name) + (op == "Flatten" ? ".flatten" : op == "Sum" ? ".sum" : ""));
    for (const auto& i : ins) p->add_input(i);
    p->add_output(output);
    return p;
  };
  switch (n.op) {
    case Op::Conv: {
      add_initializer(*graph, id + ".weight", n.weight);
      add_initializer(*graph, id + ".bias", n.bias);
      auto* p = node("Conv", {inputs[0], id + ".weight", id + ".bias"}, out);
      add_ints(*p, "kernel_shape", {n.kernel[0], n.kernel[1]});
      add_ints(*p, "strides", {n.stride[0], n.stride[1]});
      add_ints(*p, "pads", {n.pads[0], n.pads[1], n.pads[2], n.pads[3]});
      add_ints(*p, "dilations", {1, 1});
      add_int(*p, "group", n.groups);
      break;
    }
    case Op::Relu: node("Relu", inputs, out); break;
    case Op::Clip: {
      auto* p = node("Clip", inputs, out);
      add_float(*p, "min", n.low);
      add_float(*p, "max", n.high);
      break;
    }
    case Op::Add: node("Add", inputs, out); break;
    case Op::MaxPool: {
      auto* p = node("MaxPool", inputs, out);
      add_ints(*p, "kernel_shape", {n.kernel[0], n.kernel[1]});
      add_ints(*p, "strides", {n.stride[0], n.stride[1]});
      add_ints(*p, "pads", {n.pads[0], n.pads[1], n.pads[2], n.pads[3]});
      break;
    }
    case Op::Pad:  // pads: begins of all axes, then ends: (0, 0, top, left, 0, 0, bottom, right)
      add_ints(*node("Pad", inputs, out), "pads", {0, 0, n.pads[0], n.pads[1], 0, 0, n.pads[2], n.pads[3]});
      break;
    case Op::GlobalAveragePool:  // ONNX keeps the 1x1 spatial axes: flatten them away
      node("GlobalAveragePool", inputs, out + ".pooled");
      add_int(*node("Flatten", {out + ".pooled"}, out), "axis", 1);
      break;
    case Op::Gemm: {
      add_initializer(*graph, id + ".weight", n.weight);
      add_initializer(*graph, id + ".bias", n.bias);
      add_int(*node("Gemm", {inputs[0], id + ".weight", id + ".bias"}, out), "transB", 1);
      break;
    }
    case Op::Softmax: add_int(*node("Softmax", inputs, out), "axis", 1); break;
    case Op::Mean: {  // Sum, then times 1/n (per class with weights): OpenCV's importer (4.6) has no Mean
      const double inverse = 1.0 / static_cast<double>(inputs.size());
      add_initializer(*graph, id + ".scale", n.weight.defined() ? n.weight * inverse : torch::full({}, inverse, torch::kFloat32));
      node("Sum", inputs, out + ".sum");
      node("Mul", {out + ".sum", id + ".scale"}, out);
      break;
    }
    case Op::Log: node("Log", inputs, out); break;
  }
}

}  // namespace

void export_onnx(const Graph& g, const OnnxMetadata& meta, const std::string& path) {
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("ferkit");
  model.set_producer_version("1");
  model.set_doc_string(meta.description);
  model.add_opset_import()->set_version(kOpset);
  auto add_meta = [&](const std::string& key, const std::string& value) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  };
  add_meta("ferkit.preprocess", json_text(meta.preprocess));
  add_meta("ferkit.classes", json_text(nlohmann::json(meta.class_names)));
  add_meta("ferkit.model", json_text(meta.model));

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("ferkit");
  const auto& in = g.shapes[g.input];
  set_tensor_type(graph->add_input(), "image", {0, in[0], in[1], in[2]});

  for (size_t k = 0; k < g.nodes.size(); ++k) add_onnx_node(g, k, graph);
  {
    onnx::NodeProto* p = graph->add_node();
    p->set_op_type("Softmax");
    p->set_name("probabilities");
    p->add_input("logits");
    p->add_output("probabilities");
    add_int(*p, "axis", 1);
  }
  set_tensor_type(graph->add_output(), "logits", {0, g.num_classes});
  set_tensor_type(graph->add_output(), "probabilities", {0, g.num_classes});

  std::string bytes;
  FERKIT_CHECK(model.SerializeToString(&bytes), path + ": cannot serialise the ONNX model");
  atomic_write_text(path, bytes);
}

}  // namespace ferkit::infer
