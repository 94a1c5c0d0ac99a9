//===- ModelImporter.cpp - model config JSON to a rat graph ---*- C++ -*-===//
//
// Parses model configs and assembles the layers of a model (Layer.h: each
// kind's weights, prefill, step and state are defined once, under
// lib/Compiler/Layers/) into the entries of docs/Runtime.md: `prefill`,
// `prompt` (an LM's prefill with the logits of the last position only) and
// `decode` (one token with explicit state). An LM's prompt entries take
// each sequence's prompt length and leave the logits of its next token; its
// decode step draws the token and carries the generation state
// (Generation.h).
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/ModelImporter.h"

#include "rat/Compiler/ConfigLimits.h"
#include "rat/Compiler/Generation.h"
#include "rat/Compiler/GraphBuilder.h"
#include "rat/Compiler/Layer.h"
#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::rat;

/// `"rat", "swa" or "attention"`: the registered kinds, for messages.
static std::string layerKindNames() {
  ArrayRef<LayerKind> kinds = getLayerKinds();
  std::string names;
  for (auto [i, kind] : llvm::enumerate(kinds))
    names += std::string(i == 0                  ? ""
                         : i + 1 == kinds.size() ? " or "
                                                 : ", ") +
             "\"" + kind.name.str() + "\"";
  return names;
}

//===----------------------------------------------------------------------===//
// Config parsing
//===----------------------------------------------------------------------===//

bool mlir::rat::parseModelConfig(llvm::StringRef json, ModelConfig &config,
                                 std::string &error) {
  if (!checkConfigSize(json.size(), error))
    return false;
  llvm::Expected<llvm::json::Value> parsed = parseStrictJson(json);
  if (!parsed) {
    error = "invalid JSON: " + llvm::toString(parsed.takeError());
    return false;
  }
  const llvm::json::Object *obj = parsed->getAsObject();
  if (!obj) {
    error = "the model config must be a JSON object";
    return false;
  }
  if (!checkConfigKeyLimits(*obj, error))
    return false;
  // Keys of the golden meta.json files that describe data, not the model.
  static const llvm::StringSet<> informational = {"B",
                                                  "T",
                                                  "seed",
                                                  "ffn",
                                                  "greedy_prompt_len",
                                                  "greedy_new_tokens",
                                                  "decode_vs_prefill_max_abs",
                                                  "name",
                                                  "description",
                                                  "generator",
                                                  "greedy_min_margin"};
  static const llvm::StringSet<> modelKeys = {
      "kind",       "vocab_size",    "d_model",    "num_head",
      "d_head",     "ngroups",       "chunk_size", "window_size",
      "num_layers", "layer_pattern", "rms_eps",    "rope_base"};
  for (const auto &kv : *obj) {
    llvm::StringRef key = kv.first;
    if (!modelKeys.contains(key) && !informational.contains(key)) {
      error = "unknown key '" + key.str() + "'";
      return false;
    }
  }
  auto getInt = [&](llvm::StringRef key, int64_t &out, bool required,
                    int64_t minimum) {
    const llvm::json::Value *v = obj->get(key);
    if (!v) {
      if (required)
        error = "missing key '" + key.str() + "'";
      return !required;
    }
    std::optional<int64_t> i = v->getAsInteger();
    if (!i) {
      error = "key '" + key.str() + "' must be an integer";
      return false;
    }
    if (*i < minimum) {
      error = "key '" + key.str() + "' must be >= " + std::to_string(minimum) +
              ", got " + std::to_string(*i);
      return false;
    }
    out = *i;
    return true;
  };
  auto getNumber = [&](llvm::StringRef key, double &out) {
    const llvm::json::Value *v = obj->get(key);
    if (!v)
      return true;
    std::optional<double> d = v->getAsNumber();
    if (!d || !(*d > 0)) {
      error = "key '" + key.str() + "' must be a positive number";
      return false;
    }
    out = *d;
    return true;
  };

  const llvm::json::Value *kind = obj->get("kind");
  if (!kind) {
    error = "missing key 'kind'";
    return false;
  }
  std::optional<llvm::StringRef> kindStr = kind->getAsString();
  if (!kindStr || (*kindStr != "rat_layer" && *kindStr != "lm")) {
    error = "key 'kind' must be \"rat_layer\" or \"lm\"";
    return false;
  }
  config.kind = kindStr->str();
  bool isLm = config.kind == "lm";
  if (!getInt("d_model", config.dModel, true, 1) ||
      !getInt("num_head", config.numHead, true, 1) ||
      !getInt("d_head", config.dHead, true, 2) ||
      !getInt("ngroups", config.ngroups, false, 1) ||
      !getInt("chunk_size", config.chunkSize, false, 1) ||
      !getInt("window_size", config.windowSize, false, 0) ||
      !getInt("vocab_size", config.vocabSize, isLm, 1) ||
      !getInt("num_layers", config.numLayers, isLm, 1) ||
      !getNumber("rms_eps", config.rmsEps) ||
      !getNumber("rope_base", config.ropeBase))
    return false;
  if (const llvm::json::Value *pattern = obj->get("layer_pattern")) {
    const llvm::json::Array *arr = pattern->getAsArray();
    if (!arr || arr->empty()) {
      error = "key 'layer_pattern' must be a non-empty array of strings";
      return false;
    }
    config.layerPattern.clear();
    for (const llvm::json::Value &v : *arr) {
      std::optional<llvm::StringRef> s = v.getAsString();
      if (!s || !lookupLayerKind(*s)) {
        std::string got =
            s ? "\"" + s->str() + "\"" : std::string("a non-string");
        error = "key 'layer_pattern': unknown layer kind " + got +
                " (expected " + layerKindNames() + ")";
        return false;
      }
      config.layerPattern.push_back(s->str());
    }
  }
  if (config.numHead * config.dHead != config.dModel) {
    error = "keys 'num_head' * 'd_head' (" +
            std::to_string(config.numHead * config.dHead) +
            ") must equal 'd_model' (" + std::to_string(config.dModel) + ")";
    return false;
  }
  if (config.dHead % 2 != 0) {
    error = "key 'd_head' must be even (rotary encoding rotates pairs)";
    return false;
  }
  if (config.numHead % config.ngroups != 0) {
    error = "key 'num_head' (" + std::to_string(config.numHead) +
            ") must be divisible by 'ngroups' (" +
            std::to_string(config.ngroups) + ")";
    return false;
  }
  // What each kind the model uses requires of the config.
  for (int64_t i = 0; i < (isLm ? config.numLayers : 1); ++i) {
    error = lookupLayerKind(config.layerKind(i))->checkConfig(config);
    if (!error.empty())
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Graph building
//===----------------------------------------------------------------------===//

namespace {
/// The arguments of an entry function, collected while building it.
struct Signature {
  struct Slot {
    Type type;
    std::string role, name, dims;
  };
  SmallVector<Slot> args, results;
};

/// Builds one entry function; arguments are added as the graph needs them.
class EntryBuilder {
public:
  EntryBuilder(ModuleOp module, StringRef name, Type et)
      : module(module), name(name.str()), et(et) {
    OpBuilder mb(module.getContext());
    mb.setInsertionPointToEnd(module.getBody());
    func = func::FuncOp::create(mb, module.getLoc(), name,
                                mb.getFunctionType({}, {}));
    entry = func.addEntryBlock();
  }

  ModuleOp module;
  std::string name;
  Type et;
  func::FuncOp func;
  Block *entry;
  Signature sig;

  Value addArg(Type type, StringRef role, StringRef argName, StringRef dims) {
    Value v = entry->addArgument(type, module.getLoc());
    sig.args.push_back({type, role.str(), argName.str(), dims.str()});
    return v;
  }

  Value weight(StringRef weightName, ArrayRef<int64_t> shape) {
    std::string dims;
    for (auto [i, d] : llvm::enumerate(shape))
      dims += (i ? "," : "") + std::to_string(d);
    return addArg(RankedTensorType::get(shape, et), "weight", weightName, dims);
  }

  /// The weights of `layer`, as arguments in its order.
  SmallVector<Value> weights(const Layer &layer) {
    SmallVector<Value> values;
    for (const WeightSpec &spec : layer.weights())
      values.push_back(weight(spec.name, spec.shape));
    return values;
  }

  void addResult(Value v, StringRef role, StringRef resName, StringRef dims) {
    results.push_back(v);
    sig.results.push_back({v.getType(), role.str(), resName.str(), dims.str()});
  }

  /// Terminates the function and attaches the role/name/dims attributes.
  void finish(OpBuilder &b) {
    func::ReturnOp::create(b, module.getLoc(), results);
    SmallVector<Type> argTypes, resultTypes;
    for (auto &a : sig.args)
      argTypes.push_back(a.type);
    for (auto &r : sig.results)
      resultTypes.push_back(r.type);
    func.setFunctionType(b.getFunctionType(argTypes, resultTypes));
    auto attrs = [&](const Signature::Slot &s) {
      return b.getDictionaryAttr(
          {b.getNamedAttr("rat.role", b.getStringAttr(s.role)),
           b.getNamedAttr("rat.name", b.getStringAttr(s.name)),
           b.getNamedAttr("rat.dims", b.getStringAttr(s.dims))});
    };
    for (auto [i, a] : llvm::enumerate(sig.args))
      func.setArgAttrs(i, attrs(a));
    for (auto [i, r] : llvm::enumerate(sig.results))
      func.setResultAttrs(i, attrs(r));
  }

private:
  SmallVector<Value> results;
};

} // namespace

/// `B,<dims>`: the manifest dims of a per-sequence shape.
static std::string shapeDims(ArrayRef<int64_t> shape) {
  std::string s = "B";
  for (int64_t d : shape)
    s += "," + std::to_string(d);
  return s;
}

OwningOpRef<ModuleOp> mlir::rat::importModel(MLIRContext *ctx,
                                             const ModelConfig &c,
                                             const ImportOptions &o) {
  ctx->loadDialect<RatDialect, func::FuncDialect, linalg::LinalgDialect,
                   tensor::TensorDialect, arith::ArithDialect,
                   math::MathDialect>();
  Location loc = FileLineColLoc::get(ctx, "<model config>", 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(ctx);
  Type et = o.elementType;
  int64_t dyn = ShapedType::kDynamic;
  ModelLayers layers = buildModelLayers(c, o);
  bool isLm = c.kind == "lm";
  int64_t numLayers = layers.mixers.size();
  std::string dm = std::to_string(c.dModel);
  // Stateless layers take no state; their step is given this.
  SmallVector<Value> noState;

  // Module attributes: the model kind and its parameters for the manifest.
  SmallVector<NamedAttribute> params = {
      b.getNamedAttr("d_model", b.getI64IntegerAttr(c.dModel)),
      b.getNamedAttr("num_head", b.getI64IntegerAttr(c.numHead)),
      b.getNamedAttr("d_head", b.getI64IntegerAttr(c.dHead)),
      b.getNamedAttr("ngroups", b.getI64IntegerAttr(c.ngroups)),
      b.getNamedAttr("chunk_size", b.getI64IntegerAttr(c.chunkSize)),
      b.getNamedAttr("window_size", b.getI64IntegerAttr(c.windowSize)),
      b.getNamedAttr("max_seq_len", b.getI64IntegerAttr(o.maxSeqLen))};
  if (isLm) {
    params.push_back(
        b.getNamedAttr("vocab_size", b.getI64IntegerAttr(c.vocabSize)));
    params.push_back(
        b.getNamedAttr("num_layers", b.getI64IntegerAttr(c.numLayers)));
  }
  (*module)->setAttr("rat.model", b.getStringAttr(c.kind));
  (*module)->setAttr("rat.params", b.getDictionaryAttr(params));

  //===--------------------------------------------------------------------===//
  // prefill (and prompt: the same for generation, with the logits of the
  // last position only)
  //===--------------------------------------------------------------------===//
  // An LM with a decode entry generates: its prompt entries take each
  // sequence's prompt length and return the generation state.
  bool generates = isLm && o.withDecode;
  std::string vocab = std::to_string(c.vocabSize);
  auto buildPrefill = [&](StringRef name, bool allLogits) {
    EntryBuilder e(*module, name, et);
    b.setInsertionPointToStart(e.entry);
    GraphBuilder g(b, loc, et);
    Value x, tokens;
    if (isLm) {
      tokens = e.addArg(RankedTensorType::get({dyn, dyn}, b.getI32Type()),
                        "input", "tokens", "B,T");
      if (generates)
        g.lengths = e.addArg(RankedTensorType::get({dyn}, b.getI32Type()),
                             "input", "lengths", "B");
      const Layer &embedding = *layers.embedding;
      x = embedding.prefill(g, e.weights(embedding), tokens, nullptr, nullptr);
    } else {
      x = e.addArg(RankedTensorType::get({dyn, dyn, c.dModel}, et), "input",
                   "x", "B,T," + dm);
    }
    SmallVector<Value> states;
    NamedValues intermediates;
    for (int64_t i = 0; i < numLayers; ++i) {
      const Layer &mixer = *layers.mixers[i];
      x = mixer.prefill(g, e.weights(mixer), x, generates ? &states : nullptr,
                        &intermediates);
      if (isLm) {
        const Layer &ffn = *layers.feedForwards[i];
        x = ffn.prefill(g, e.weights(ffn), x, nullptr, nullptr);
      }
    }
    if (isLm) {
      const Layer &head = *layers.head;
      // The logits after each sequence's last prompt token.
      Value next;
      if (allLogits) {
        Value logits = head.prefill(g, e.weights(head), x, nullptr, nullptr);
        e.addResult(logits, "output", "logits", "B,T," + vocab);
        if (generates)
          next = g.lastTokenCopy(logits);
      } else {
        Value last = unsqueezeT(g, g.lastTokenCopy(x));
        next = squeezeT(
            g, head.prefill(g, e.weights(head), last, nullptr, nullptr));
      }
      if (generates) {
        e.addResult(next, "state", "gen.logits", "B," + vocab);
        e.addResult(buildPromptPositions(b, loc, g.lengths, tokens), "state",
                    "gen.position", "B");
        unsigned s = 0;
        for (int64_t i = 0; i < numLayers; ++i)
          for (const StateSpec &spec : layers.mixers[i]->state())
            e.addResult(states[s++], "state", spec.name,
                        shapeDims(spec.shape));
      }
    } else {
      e.addResult(x, "output", "y", "B,T," + dm);
      if (o.intermediates) {
        for (auto &[resultName, v] : intermediates) {
          int64_t width = cast<ShapedType>(v.getType()).getDimSize(2);
          e.addResult(v, "output", resultName, "B,T," + std::to_string(width));
        }
        (*module)->setAttr("rat.model", b.getStringAttr("function"));
      }
    }
    e.finish(b);
  };
  buildPrefill("prefill", /*allLogits=*/true);
  if (generates)
    buildPrefill("prompt", /*allLogits=*/false);
  if (!o.withDecode || o.intermediates)
    return module;

  //===--------------------------------------------------------------------===//
  // decode: one token with explicit state; an LM's at each sequence's own
  // position (gen.position), a rat_layer's at one `position` for all
  //===--------------------------------------------------------------------===//
  EntryBuilder e(*module, "decode", et);
  b.setInsertionPointToStart(e.entry);
  GraphBuilder g(b, loc, et);
  Value x, pos;
  GenerationState gen;
  if (isLm) {
    SmallVector<Value> values;
    for (const GenerationStateSpec &spec : getGenerationState()) {
      Type elem = spec.kind == GenerationStateSpec::F32
                      ? Type(b.getF32Type())
                  : spec.kind == GenerationStateSpec::I32 ? Type(b.getI32Type())
                                                          : Type(b.getI64Type());
      SmallVector<int64_t> shape = {dyn};
      std::string dims = "B";
      if (spec.trailing == "V") {
        shape.push_back(c.vocabSize);
        dims += "," + vocab;
      } else if (!spec.trailing.empty()) {
        shape.push_back(dyn);
        dims += "," + spec.trailing.str();
      }
      values.push_back(e.addArg(RankedTensorType::get(shape, elem), "state",
                                spec.name, dims));
    }
    gen = {values[0], values[1], values[2], values[3],
           values[4], values[5], values[6], values[7]};
    pos = gen.position;
  } else {
    x = e.addArg(RankedTensorType::get({dyn, 1, c.dModel}, et), "input", "x",
                 "B,1," + dm);
    pos = e.addArg(b.getIndexType(), "index", "position", "");
  }
  // The layers' state arguments come before the weights.
  SmallVector<StateSpec> stateSlots;
  for (const std::unique_ptr<Layer> &mixer : layers.mixers)
    for (StateSpec &spec : mixer->state())
      stateSlots.push_back(std::move(spec));
  SmallVector<Value> stateArgs;
  for (const StateSpec &spec : stateSlots) {
    SmallVector<int64_t> full = {dyn};
    full.append(spec.shape.begin(), spec.shape.end());
    stateArgs.push_back(e.addArg(RankedTensorType::get(full, et), "state",
                                 spec.name, shapeDims(spec.shape)));
  }
  Value emitted, finished;
  if (isLm) {
    // The token each sequence draws from the logits the last call left.
    Value token = buildSample(b, loc, gen);
    std::tie(emitted, finished) = buildStopAtEos(b, loc, gen, token);
    const Layer &embedding = *layers.embedding;
    x = embedding.step(g, e.weights(embedding), token, pos, noState);
  }
  unsigned s = 0;
  SmallVector<Value> newStates;
  for (int64_t i = 0; i < numLayers; ++i) {
    const Layer &mixer = *layers.mixers[i];
    unsigned n = mixer.state().size();
    SmallVector<Value> layerState(stateArgs.begin() + s,
                                  stateArgs.begin() + s + n);
    s += n;
    x = mixer.step(g, e.weights(mixer), x, pos, layerState);
    newStates.append(layerState);
    if (isLm) {
      const Layer &ffn = *layers.feedForwards[i];
      x = ffn.step(g, e.weights(ffn), x, pos, noState);
    }
  }
  if (isLm) {
    const Layer &head = *layers.head;
    Value logits = head.step(g, e.weights(head), x, pos, noState);
    // The next logits go into the state's buffer (in place).
    Value next =
        linalg::CopyOp::create(b, loc, squeezeT(g, logits), gen.logits)
            .getResult(0);
    e.addResult(emitted, "output", "token", "B");
    Value updated[] = {next,
                       buildAdvance(b, loc, gen.position),
                       finished,
                       gen.temperature,
                       gen.topK,
                       gen.topP,
                       gen.seed,
                       gen.eos};
    for (auto [v, spec] : llvm::zip(updated, getGenerationState())) {
      std::string dims = "B";
      if (spec.trailing == "V")
        dims += "," + vocab;
      else if (!spec.trailing.empty())
        dims += "," + spec.trailing.str();
      e.addResult(v, "state", spec.name, dims);
    }
  } else {
    e.addResult(x, "output", "y", "B,1," + dm);
  }
  for (auto [v, slot] : llvm::zip(newStates, stateSlots))
    e.addResult(v, "state", slot.name, shapeDims(slot.shape));
  e.finish(b);
  return module;
}
