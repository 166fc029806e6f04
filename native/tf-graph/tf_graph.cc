// A minimal N-API binding over TensorFlow's graph C API (TF_Graph / TF_Session), beside tfjs-node's
// eager binding and linked against the same libtensorflow. The engine traces one training step
// through tfjs-node's kernels into a graph (src/engine/graph/), then runs the whole step as one
// TF_SessionRun per batch: one call into TensorFlow instead of one per kernel.
//
// Ops are described the way tfjs-node describes eager ops ({name, type, value} attributes with
// TF_ATTR_* codes), so a traced kernel call maps one to one onto a graph node.
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct GraphState {
  TF_Graph *graph = TF_NewGraph();
  TF_Session *session = nullptr;
  std::vector<TF_Output> outputs;       // symbolic tensor ids index this
  std::vector<TF_Operation *> ops;      // op ids (run targets) index this
  int next_name = 0;
  ~GraphState() {
    if (session) {
      TF_Status *s = TF_NewStatus();
      TF_CloseSession(session, s);
      TF_DeleteSession(session, s);
      TF_DeleteStatus(s);
    }
    TF_DeleteGraph(graph);
  }
};

struct ArgDef {
  std::string number_attr;
  std::string type_list_attr;
};

std::map<std::string, std::vector<ArgDef>> op_input_args;

class JsError {
 public:
  explicit JsError(std::string m) : message(std::move(m)) {}
  std::string message;
};

void check(napi_status s, const char *what) {
  if (s != napi_ok) throw JsError(std::string("napi call failed: ") + what);
}

void check_tf(TF_Status *s, const std::string &what) {
  if (TF_GetCode(s) != TF_OK) {
    std::string msg = what + ": " + TF_Message(s);
    TF_DeleteStatus(s);
    throw JsError(msg);
  }
}

// --- a protobuf reader just big enough for OpDef.input_arg (which inputs are lists) ---
uint64_t read_varint(const uint8_t *&p, const uint8_t *end) {
  uint64_t v = 0;
  int shift = 0;
  while (p < end) {
    uint8_t b = *p++;
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  return v;
}

template <typename F>
void for_each_field(const uint8_t *p, const uint8_t *end, F f) {
  while (p < end) {
    uint64_t key = read_varint(p, end);
    int field = int(key >> 3), wire = int(key & 7);
    if (wire == 0) {
      read_varint(p, end);
    } else if (wire == 1) {
      p += 8;
    } else if (wire == 5) {
      p += 4;
    } else if (wire == 2) {
      uint64_t len = read_varint(p, end);
      f(field, p, p + len);
      p += len;
    } else {
      throw JsError("unexpected protobuf wire type in OpDef");
    }
  }
}

const std::vector<ArgDef> &input_args(TF_Graph *graph, const std::string &op_type) {
  auto it = op_input_args.find(op_type);
  if (it != op_input_args.end()) return it->second;
  TF_Status *s = TF_NewStatus();
  TF_Buffer *buf = TF_NewBuffer();
  TF_GraphGetOpDef(graph, op_type.c_str(), buf, s);
  check_tf(s, "op " + op_type);
  TF_DeleteStatus(s);
  std::vector<ArgDef> args;
  const uint8_t *data = static_cast<const uint8_t *>(buf->data);
  for_each_field(data, data + buf->length, [&](int field, const uint8_t *b, const uint8_t *e) {
    if (field != 2) return;  // OpDef.input_arg
    ArgDef arg;
    for_each_field(b, e, [&](int f, const uint8_t *sb, const uint8_t *se) {
      if (f == 5) arg.number_attr.assign(reinterpret_cast<const char *>(sb), se - sb);
      if (f == 6) arg.type_list_attr.assign(reinterpret_cast<const char *>(sb), se - sb);
    });
    args.push_back(arg);
  });
  TF_DeleteBuffer(buf);
  return op_input_args.emplace(op_type, std::move(args)).first->second;
}

// --- N-API helpers ---
napi_value get(napi_env env, napi_value obj, const char *key) {
  napi_value v;
  check(napi_get_named_property(env, obj, key, &v), key);
  return v;
}

std::string to_string(napi_env env, napi_value v) {
  size_t len;
  check(napi_get_value_string_utf8(env, v, nullptr, 0, &len), "string length");
  std::string out(len, '\0');
  check(napi_get_value_string_utf8(env, v, &out[0], len + 1, &len), "string");
  return out;
}

int64_t to_int(napi_env env, napi_value v) {
  int64_t i;
  check(napi_get_value_int64(env, v, &i), "int");
  return i;
}

double to_double(napi_env env, napi_value v) {
  double d;
  check(napi_get_value_double(env, v, &d), "number");
  return d;
}

bool to_bool(napi_env env, napi_value v) {
  bool b;
  check(napi_get_value_bool(env, v, &b), "bool");
  return b;
}

bool is_array(napi_env env, napi_value v) {
  bool a;
  check(napi_is_array(env, v, &a), "is_array");
  return a;
}

uint32_t length(napi_env env, napi_value arr) {
  uint32_t n;
  check(napi_get_array_length(env, arr, &n), "array length");
  return n;
}

napi_value element(napi_env env, napi_value arr, uint32_t i) {
  napi_value v;
  check(napi_get_element(env, arr, i, &v), "element");
  return v;
}

std::vector<int64_t> to_ints(napi_env env, napi_value arr) {
  std::vector<int64_t> out(length(env, arr));
  for (uint32_t i = 0; i < out.size(); i++) out[i] = to_int(env, element(env, arr, i));
  return out;
}

napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  check(napi_create_int64(env, v, &out), "create int");
  return out;
}

GraphState *unwrap(napi_env env, napi_value v) {
  void *p;
  check(napi_get_value_external(env, v, &p), "graph handle");
  return static_cast<GraphState *>(p);
}

std::vector<napi_value> args_of(napi_env env, napi_callback_info info, size_t want) {
  std::vector<napi_value> argv(want);
  size_t argc = want;
  check(napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "arguments");
  if (argc < want) throw JsError("expected " + std::to_string(want) + " arguments");
  return argv;
}

template <typename F>
napi_value guarded(napi_env env, F f) {
  try {
    return f();
  } catch (const JsError &e) {
    napi_throw_error(env, nullptr, e.message.c_str());
    return nullptr;
  }
}

size_t dtype_size(TF_DataType t) {
  size_t s = TF_DataTypeSize(t);
  if (s == 0) throw JsError("unsupported dtype " + std::to_string(int(t)));
  return s;
}

// A typed array's bytes and element count.
void typed_array(napi_env env, napi_value v, void **data, size_t *bytes) {
  napi_typedarray_type type;
  size_t len;
  napi_value buffer;
  size_t offset;
  check(napi_get_typedarray_info(env, v, &type, &len, data, &buffer, &offset), "typed array");
  size_t width = (type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array) ? 8
                 : (type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array) ? 4
                 : (type == napi_int16_array || type == napi_uint16_array) ? 2 : 1;
  *bytes = len * width;
}

TF_Tensor *tensor_from(napi_env env, TF_DataType dtype, const std::vector<int64_t> &shape, napi_value values) {
  void *data;
  size_t bytes;
  typed_array(env, values, &data, &bytes);
  size_t count = 1;
  for (int64_t d : shape) count *= size_t(d);
  size_t want = count * dtype_size(dtype);
  if (bytes != want) throw JsError("tensor data has " + std::to_string(bytes) + " bytes, its shape needs " + std::to_string(want));
  TF_Tensor *t = TF_AllocateTensor(dtype, shape.data(), int(shape.size()), want);
  std::memcpy(TF_TensorData(t), data, want);
  return t;
}

void set_attr(napi_env env, TF_OperationDescription *desc, napi_value attr) {
  std::string name = to_string(env, get(env, attr, "name"));
  int type = int(to_int(env, get(env, attr, "type")));
  napi_value value = get(env, attr, "value");
  const char *n = name.c_str();
  bool list = is_array(env, value);
  switch (type) {
    case TF_ATTR_STRING: {
      std::string s = to_string(env, value);
      TF_SetAttrString(desc, n, s.data(), s.size());
      break;
    }
    case TF_ATTR_INT:
      if (list) {
        std::vector<int64_t> v = to_ints(env, value);
        TF_SetAttrIntList(desc, n, v.data(), int(v.size()));
      } else {
        TF_SetAttrInt(desc, n, to_int(env, value));
      }
      break;
    case TF_ATTR_FLOAT:
      if (list) {
        std::vector<float> v(length(env, value));
        for (uint32_t i = 0; i < v.size(); i++) v[i] = float(to_double(env, element(env, value, i)));
        TF_SetAttrFloatList(desc, n, v.data(), int(v.size()));
      } else {
        TF_SetAttrFloat(desc, n, float(to_double(env, value)));
      }
      break;
    case TF_ATTR_BOOL:
      if (list) {
        std::vector<unsigned char> v(length(env, value));
        for (uint32_t i = 0; i < v.size(); i++) v[i] = to_bool(env, element(env, value, i)) ? 1 : 0;
        TF_SetAttrBoolList(desc, n, v.data(), int(v.size()));
      } else {
        TF_SetAttrBool(desc, n, to_bool(env, value) ? 1 : 0);
      }
      break;
    case TF_ATTR_TYPE:
      if (list) {
        std::vector<int64_t> v = to_ints(env, value);
        std::vector<TF_DataType> types;
        for (int64_t t : v) types.push_back(TF_DataType(t));
        TF_SetAttrTypeList(desc, n, types.data(), int(types.size()));
      } else {
        TF_SetAttrType(desc, n, TF_DataType(to_int(env, value)));
      }
      break;
    case TF_ATTR_SHAPE: {
      std::vector<int64_t> v = to_ints(env, value);
      TF_SetAttrShape(desc, n, v.data(), int(v.size()));
      break;
    }
    default:
      throw JsError("attribute " + name + " has unsupported type " + std::to_string(type));
  }
}

// The number of values an attribute (an int, or a list) carries: a list input's length.
int64_t list_length(napi_env env, napi_value attrs, const std::string &attr_name) {
  uint32_t n = length(env, attrs);
  for (uint32_t i = 0; i < n; i++) {
    napi_value a = element(env, attrs, i);
    if (to_string(env, get(env, a, "name")) != attr_name) continue;
    napi_value v = get(env, a, "value");
    return is_array(env, v) ? int64_t(length(env, v)) : to_int(env, v);
  }
  return -1;
}

napi_value describe_outputs(napi_env env, GraphState *g, TF_Operation *op, int count) {
  napi_value arr;
  check(napi_create_array_with_length(env, count, &arr), "array");
  TF_Status *s = TF_NewStatus();
  for (int i = 0; i < count; i++) {
    TF_Output out{op, i};
    int rank = TF_GraphGetTensorNumDims(g->graph, out, s);
    check_tf(s, "output rank");
    std::vector<int64_t> dims(rank > 0 ? rank : 0);
    if (rank > 0) TF_GraphGetTensorShape(g->graph, out, dims.data(), rank, s);
    check_tf(s, "output shape");
    napi_value shape;
    check(napi_create_array_with_length(env, dims.size(), &shape), "shape");
    for (size_t d = 0; d < dims.size(); d++) check(napi_set_element(env, shape, uint32_t(d), make_int(env, dims[d])), "dim");
    napi_value desc;
    check(napi_create_object(env, &desc), "object");
    check(napi_set_named_property(env, desc, "id", make_int(env, int64_t(g->outputs.size()))), "id");
    check(napi_set_named_property(env, desc, "shape", rank < 0 ? make_int(env, -1) : shape), "shape");
    check(napi_set_named_property(env, desc, "dtype", make_int(env, TF_OperationOutputType(out))), "dtype");
    check(napi_set_element(env, arr, uint32_t(i), desc), "output");
    g->outputs.push_back(out);
  }
  TF_DeleteStatus(s);
  return arr;
}

napi_value finish(napi_env env, GraphState *g, TF_OperationDescription *desc, const std::string &what) {
  TF_Status *s = TF_NewStatus();
  TF_Operation *op = TF_FinishOperation(desc, s);
  check_tf(s, what);
  TF_DeleteStatus(s);
  g->ops.push_back(op);
  napi_value result;
  check(napi_create_object(env, &result), "object");
  check(napi_set_named_property(env, result, "op", make_int(env, int64_t(g->ops.size() - 1))), "op");
  check(napi_set_named_property(env, result, "outputs", describe_outputs(env, g, op, TF_OperationNumOutputs(op))), "outputs");
  return result;
}

TF_Output output_at(GraphState *g, int64_t id) {
  if (id < 0 || size_t(id) >= g->outputs.size()) throw JsError("unknown graph tensor " + std::to_string(id));
  return g->outputs[size_t(id)];
}

TF_Operation *op_at(GraphState *g, int64_t id) {
  if (id < 0 || size_t(id) >= g->ops.size()) throw JsError("unknown graph op " + std::to_string(id));
  return g->ops[size_t(id)];
}

void delete_graph(napi_env, void *data, void *) { delete static_cast<GraphState *>(data); }

// newGraph(): an external that owns the graph and, later, its session.
napi_value NewGraph(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value ext;
    check(napi_create_external(env, new GraphState(), delete_graph, nullptr, &ext), "external");
    return ext;
  });
}

// addOp(graph, type, attrs, inputIds, controlOpIds) -> {op, outputs: [{id, shape, dtype}]}
napi_value AddOp(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto argv = args_of(env, info, 5);
    GraphState *g = unwrap(env, argv[0]);
    std::string type = to_string(env, argv[1]);
    std::vector<int64_t> inputs = to_ints(env, argv[3]);
    std::vector<int64_t> controls = to_ints(env, argv[4]);
    std::string name = type + "_" + std::to_string(g->next_name++);
    TF_OperationDescription *desc = TF_NewOperation(g->graph, type.c_str(), name.c_str());
    const auto &args = input_args(g->graph, type);
    size_t next = 0;
    for (size_t a = 0; a < args.size(); a++) {
      const ArgDef &arg = args[a];
      bool is_list = !arg.number_attr.empty() || !arg.type_list_attr.empty();
      if (!is_list) {
        if (next >= inputs.size()) throw JsError(type + ": too few inputs");
        TF_AddInput(desc, output_at(g, inputs[next++]));
        continue;
      }
      int64_t n = list_length(env, argv[2], arg.number_attr.empty() ? arg.type_list_attr : arg.number_attr);
      if (n < 0) n = int64_t(inputs.size() - next) - int64_t(args.size() - a - 1);
      if (n < 0 || next + size_t(n) > inputs.size()) throw JsError(type + ": too few inputs for a list");
      std::vector<TF_Output> list;
      for (int64_t i = 0; i < n; i++) list.push_back(output_at(g, inputs[next++]));
      TF_AddInputList(desc, list.data(), int(list.size()));
    }
    if (next != inputs.size()) throw JsError(type + ": " + std::to_string(inputs.size()) + " inputs given, " + std::to_string(next) + " used");
    for (int64_t c : controls) TF_AddControlInput(desc, op_at(g, c));
    uint32_t nattrs = length(env, argv[2]);
    for (uint32_t i = 0; i < nattrs; i++) set_attr(env, desc, element(env, argv[2], i));
    return finish(env, g, desc, type);
  });
}

// addConst(graph, dtype, shape, typedArray) -> {op, outputs}
napi_value AddConst(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto argv = args_of(env, info, 4);
    GraphState *g = unwrap(env, argv[0]);
    TF_DataType dtype = TF_DataType(to_int(env, argv[1]));
    std::vector<int64_t> shape = to_ints(env, argv[2]);
    TF_Tensor *t = tensor_from(env, dtype, shape, argv[3]);
    std::string name = "Const_" + std::to_string(g->next_name++);
    TF_OperationDescription *desc = TF_NewOperation(g->graph, "Const", name.c_str());
    TF_Status *s = TF_NewStatus();
    TF_SetAttrTensor(desc, "value", t, s);
    TF_DeleteTensor(t);
    check_tf(s, "Const");
    TF_DeleteStatus(s);
    TF_SetAttrType(desc, "dtype", dtype);
    return finish(env, g, desc, "Const");
  });
}

// startSession(graph, intraOpThreads, interOpThreads): 0 lets TensorFlow choose, as Keras does.
napi_value StartSession(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto argv = args_of(env, info, 3);
    GraphState *g = unwrap(env, argv[0]);
    if (g->session) throw JsError("the graph already has a session");
    int64_t intra = to_int(env, argv[1]), inter = to_int(env, argv[2]);
    TF_SessionOptions *opts = TF_NewSessionOptions();
    TF_Status *s = TF_NewStatus();
    // ConfigProto: intra_op_parallelism_threads = 2, inter_op_parallelism_threads = 5 (varints).
    std::vector<uint8_t> config;
    if (intra > 0) config.insert(config.end(), {0x10, uint8_t(intra)});
    if (inter > 0) config.insert(config.end(), {0x28, uint8_t(inter)});
    if (!config.empty()) TF_SetConfig(opts, config.data(), config.size(), s);
    check_tf(s, "session config");
    g->session = TF_NewSession(g->graph, opts, s);
    TF_DeleteSessionOptions(opts);
    check_tf(s, "new session");
    TF_DeleteStatus(s);
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    return undefined;
  });
}

// Results of at least this many bytes are handed to JavaScript without a copy.
constexpr size_t kExternalBytes = 1 << 16;

// run(graph, feeds: [{id, dtype, shape, values}], fetchIds, targetOpIds) -> typed arrays
napi_value Run(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto argv = args_of(env, info, 4);
    GraphState *g = unwrap(env, argv[0]);
    if (!g->session) throw JsError("the graph has no session");
    uint32_t nfeeds = length(env, argv[1]);
    std::vector<TF_Output> feed_outs;
    std::vector<TF_Tensor *> feed_values;
    struct Cleanup {
      std::vector<TF_Tensor *> *a;
      ~Cleanup() {
        for (TF_Tensor *t : *a) if (t) TF_DeleteTensor(t);
      }
    } cleanup_feeds{&feed_values};
    for (uint32_t i = 0; i < nfeeds; i++) {
      napi_value f = element(env, argv[1], i);
      feed_outs.push_back(output_at(g, to_int(env, get(env, f, "id"))));
      feed_values.push_back(tensor_from(env, TF_DataType(to_int(env, get(env, f, "dtype"))), to_ints(env, get(env, f, "shape")), get(env, f, "values")));
    }
    std::vector<int64_t> fetch_ids = to_ints(env, argv[2]);
    std::vector<TF_Output> fetches;
    for (int64_t id : fetch_ids) fetches.push_back(output_at(g, id));
    std::vector<TF_Operation *> targets;
    for (int64_t id : to_ints(env, argv[3])) targets.push_back(op_at(g, id));
    std::vector<TF_Tensor *> results(fetches.size(), nullptr);
    TF_Status *s = TF_NewStatus();
    TF_SessionRun(g->session, nullptr, feed_outs.data(), feed_values.data(), int(feed_outs.size()), fetches.data(), results.data(),
                  int(fetches.size()), targets.data(), int(targets.size()), nullptr, s);
    check_tf(s, "session run");
    TF_DeleteStatus(s);
    std::vector<TF_Tensor *> owned(results);
    Cleanup cleanup_results{&owned};
    napi_value arr;
    check(napi_create_array_with_length(env, results.size(), &arr), "array");
    for (size_t i = 0; i < results.size(); i++) {
      TF_Tensor *t = results[i];
      TF_DataType dtype = TF_TensorType(t);
      size_t bytes = TF_TensorByteSize(t);
      napi_typedarray_type type;
      size_t width;
      switch (dtype) {
        case TF_FLOAT: type = napi_float32_array; width = 4; break;
        case TF_INT32: type = napi_int32_array; width = 4; break;
        case TF_BOOL: type = napi_uint8_array; width = 1; break;
        case TF_INT64: type = napi_bigint64_array; width = 8; break;
        default: throw JsError("cannot fetch a tensor of dtype " + std::to_string(int(dtype)));
      }
      napi_value buffer, typed;
      if (bytes >= kExternalBytes) {
        // Large results (the weights a pull reads) stay in TensorFlow's buffer, which the array
        // then owns: no copy, no fresh zeroed pages. TensorFlow never writes into it again: a
        // variable whose buffer is shared gets a new one at its next assignment.
        check(napi_create_external_arraybuffer(env, TF_TensorData(t), bytes, [](napi_env, void *, void *hint) { TF_DeleteTensor(static_cast<TF_Tensor *>(hint)); }, t, &buffer), "buffer");
        owned[i] = nullptr;
      } else {
        void *data;
        check(napi_create_arraybuffer(env, bytes, &data, &buffer), "buffer");
        if (bytes) std::memcpy(data, TF_TensorData(t), bytes);
      }
      check(napi_create_typedarray(env, type, bytes / width, buffer, 0, &typed), "typed array");
      check(napi_set_element(env, arr, uint32_t(i), typed), "result");
    }
    return arr;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"newGraph", nullptr, NewGraph, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addOp", nullptr, AddOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addConst", nullptr, AddConst, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"startSession", nullptr, StartSession, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
