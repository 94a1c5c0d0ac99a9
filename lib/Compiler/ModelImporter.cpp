//===- ModelImporter.cpp - model config JSON to a rat graph ---*- C++ -*-===//
//
// Builds prefill and decode entries for RAT layers and language models
// (docs/Runtime.md gives the entry signatures, docs/Dialects/Rat.md the
// math). Projections are linalg contractions accumulating in f32; the
// sequence mixing is rat ops.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/ModelImporter.h"

#include "rat/Compiler/ConfigLimits.h"

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

#include <cmath>

using namespace mlir;
using namespace mlir::rat;

//===----------------------------------------------------------------------===//
// Config parsing
//===----------------------------------------------------------------------===//

bool mlir::rat::parseModelConfig(llvm::StringRef json, ModelConfig &config,
                                 std::string &error) {
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
      if (!s || (*s != "rat" && *s != "swa" && *s != "attention")) {
        std::string got =
            s ? "\"" + s->str() + "\"" : std::string("a non-string");
        error = "key 'layer_pattern': unknown layer kind " + got +
                " (expected \"rat\", \"swa\" or \"attention\")";
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
  for (int64_t i = 0; i < (isLm ? config.numLayers : 1); ++i)
    if (config.layerKind(i) == "swa" && config.windowSize < 1) {
      error = "key 'window_size' must be >= 1 for \"swa\" layers";
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

/// Builds graph-level IR: linalg contractions and elementwise generics
/// around rat ops.
class GraphBuilder {
public:
  GraphBuilder(OpBuilder &b, Location loc, Type et)
      : b(b), loc(loc), et(et), f32(b.getF32Type()) {}

  OpBuilder &b;
  Location loc;
  Type et;  ///< Storage type.
  Type f32; ///< Accumulation type.

  SmallVector<OpFoldResult> shape(Value v) {
    return tensor::getMixedSizes(b, loc, v);
  }

  Value empty(ArrayRef<OpFoldResult> sizes, Type elem) {
    return tensor::EmptyOp::create(b, loc, sizes, elem);
  }

  Value cst(double v, Type t) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
  }

  Value toF32(OpBuilder &nb, Value v) {
    return v.getType() == f32 ? v : arith::ExtFOp::create(nb, loc, f32, v);
  }
  Value fromF32(OpBuilder &nb, Value v, Type t) {
    return v.getType() == t ? v : arith::TruncFOp::create(nb, loc, t, v);
  }

  using Body = function_ref<Value(OpBuilder &, ValueRange)>;

  /// A parallel linalg.generic over the dims of `outSizes`.
  Value parallel(ArrayRef<Value> ins, ArrayRef<AffineMap> inMaps,
                 ArrayRef<OpFoldResult> outSizes, Type outElem, Body body) {
    unsigned rank = outSizes.size();
    SmallVector<AffineMap> maps(inMaps.begin(), inMaps.end());
    maps.push_back(b.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value init = empty(outSizes, outElem);
    auto op = linalg::GenericOp::create(
        b, loc, init.getType(), ins, ValueRange{init}, maps, iters,
        [&](OpBuilder &nb, Location, ValueRange args) {
          linalg::YieldOp::create(nb, loc, body(nb, args.drop_back()));
        });
    return op.getResult(0);
  }

  /// Elementwise over operands of one shape.
  Value map(ArrayRef<Value> ins, Type outElem, Body body) {
    unsigned rank = cast<ShapedType>(ins[0].getType()).getRank();
    SmallVector<AffineMap> maps(ins.size(), b.getMultiDimIdentityMap(rank));
    return parallel(ins, maps, shape(ins[0]), outElem, body);
  }

  Value sigmoid(OpBuilder &nb, Value x) {
    Value one = arith::ConstantOp::create(nb, loc, nb.getF32FloatAttr(1.0));
    Value e = math::ExpOp::create(nb, loc, arith::NegFOp::create(nb, loc, x));
    return arith::DivFOp::create(nb, loc, one,
                                 arith::AddFOp::create(nb, loc, one, e));
  }

  /// `x @ w^T` for x `[..., K]` (rank 3) and w `[O, K]`, accumulated in f32;
  /// the result is f32 `[..., O]`.
  Value projectF32(Value x, Value w) {
    assert(cast<RankedTensorType>(x.getType()).getRank() == 3 &&
           "projections take [B, T, K]");
    MLIRContext *ctx = b.getContext();
    AffineExpr bb, t, o, k;
    bindDims(ctx, bb, t, o, k);
    SmallVector<OpFoldResult> sizes = shape(x);
    sizes[2] = tensor::getMixedSize(b, loc, w, 0);
    Value zero = cst(0.0, f32);
    Value init =
        linalg::FillOp::create(b, loc, zero, empty(sizes, f32)).getResult(0);
    SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {bb, t, k}, ctx),
                                   AffineMap::get(4, 0, {o, k}, ctx),
                                   AffineMap::get(4, 0, {bb, t, o}, ctx)};
    SmallVector<utils::IteratorType> iters = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::parallel, utils::IteratorType::reduction};
    auto op = linalg::GenericOp::create(
        b, loc, init.getType(), ValueRange{x, w}, ValueRange{init}, maps, iters,
        [&](OpBuilder &nb, Location, ValueRange a) {
          Value p =
              arith::MulFOp::create(nb, loc, toF32(nb, a[0]), toF32(nb, a[1]));
          linalg::YieldOp::create(
              nb, loc, arith::AddFOp::create(nb, loc, a[2], p).getResult());
        });
    return op.getResult(0);
  }

  /// Storage-typed projection.
  Value project(Value x, Value w) {
    Value y = projectF32(x, w);
    if (et == f32)
      return y;
    return map({y}, et, [&](OpBuilder &nb, ValueRange a) {
      return fromF32(nb, a[0], et);
    });
  }

  /// Columns `[offset, offset + size)` of the last dim of a `[B, T, N]`.
  Value columns(Value x, int64_t offset, int64_t size) {
    SmallVector<OpFoldResult> sizes = shape(x);
    sizes[2] = b.getIndexAttr(size);
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                         b.getIndexAttr(offset)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
  }

  /// `[B, T, H*Dh]` -> `[B, H, T, Dh]`.
  Value splitHeads(Value x, int64_t heads, int64_t dh) {
    SmallVector<OpFoldResult> sizes = shape(x);
    auto xt = cast<RankedTensorType>(x.getType());
    auto expandedType = RankedTensorType::get(
        {xt.getDimSize(0), xt.getDimSize(1), heads, dh}, xt.getElementType());
    Value expanded = tensor::ExpandShapeOp::create(
        b, loc, expandedType, x,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
        ArrayRef<OpFoldResult>{sizes[0], sizes[1], b.getIndexAttr(heads),
                               b.getIndexAttr(dh)});
    return transpose0213(expanded);
  }

  /// `[B, H, T, Dh]` -> `[B, T, H*Dh]`.
  Value mergeHeads(Value x) {
    Value t = transpose0213(x);
    auto tt = cast<RankedTensorType>(t.getType());
    int64_t d = tt.getDimSize(2) * tt.getDimSize(3);
    auto collapsedType = RankedTensorType::get(
        {tt.getDimSize(0), tt.getDimSize(1), d}, tt.getElementType());
    return tensor::CollapseShapeOp::create(
        b, loc, collapsedType, t,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  }

  Value transpose0213(Value x) {
    SmallVector<OpFoldResult> s = shape(x);
    MLIRContext *ctx = b.getContext();
    AffineExpr d0, d1, d2, d3;
    bindDims(ctx, d0, d1, d2, d3);
    return parallel({x}, {AffineMap::get(4, 0, {d0, d2, d1, d3}, ctx)},
                    {s[0], s[2], s[1], s[3]},
                    cast<ShapedType>(x.getType()).getElementType(),
                    [](OpBuilder &, ValueRange a) { return a[0]; });
  }

  Value rmsNorm(Value x, Value w, double eps) {
    Value init = empty(shape(x), et);
    return RmsNormOp::create(b, loc, TypeRange{init.getType()}, x, w,
                             ValueRange{init}, b.getF64FloatAttr(eps))
        .getResult(0);
  }

  Value rope(Value x, int64_t chunk, double base, Value offset) {
    Value init = empty(shape(x), et);
    return RopeOp::create(b, loc, TypeRange{init.getType()}, x, offset,
                          ValueRange{init}, chunk, llvm::APFloat(base))
        .getResult(0);
  }

  Value add(Value x, Value y) {
    return map({x, y}, et, [&](OpBuilder &nb, ValueRange a) {
      return fromF32(
          nb, arith::AddFOp::create(nb, loc, toF32(nb, a[0]), toF32(nb, a[1])),
          et);
    });
  }

  /// Tiles `[B, T, G*Dh]` H/G times along channels: channel c reads c mod
  /// (G*Dh), so head h reads group h % G.
  Value tileGroups(Value x, int64_t d) {
    auto xt = cast<RankedTensorType>(x.getType());
    int64_t width = xt.getDimSize(2);
    if (width == d)
      return x;
    SmallVector<OpFoldResult> s = shape(x);
    s[2] = b.getIndexAttr(d);
    MLIRContext *ctx = b.getContext();
    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    return parallel({x}, {AffineMap::get(3, 0, {d0, d1, d2 % width}, ctx)}, s,
                    et, [](OpBuilder &, ValueRange a) { return a[0]; });
  }

  /// Token embedding: `wte[tokens[b, t], :]` for i32 tokens of rank 2.
  Value embed(Value tokens, Value wte) {
    SmallVector<OpFoldResult> s = shape(tokens);
    s.push_back(tensor::getMixedSize(b, loc, wte, 1));
    MLIRContext *ctx = b.getContext();
    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    return parallel(
        {tokens}, {AffineMap::get(3, 0, {d0, d1}, ctx)}, s, et,
        [&](OpBuilder &nb, ValueRange a) {
          Value row =
              arith::IndexCastOp::create(nb, loc, nb.getIndexType(), a[0]);
          Value col = linalg::IndexOp::create(nb, loc, 2);
          return tensor::ExtractOp::create(nb, loc, wte, ValueRange{row, col})
              .getResult();
        });
  }

  /// Row `T-1` of `[B, T, N]` copied into a new `[B, N]` tensor, computed
  /// where it is built (not a view of `x`: once bufferized, the whole `x`
  /// need not live until the function returns the row).
  Value lastTokenCopy(Value x) {
    SmallVector<OpFoldResult> s = shape(x);
    Type et = cast<ShapedType>(x.getType()).getElementType();
    return parallel({}, {}, {s[0], s[2]}, et, [&](OpBuilder &nb, ValueRange) {
      Value bi = linalg::IndexOp::create(nb, loc, 0);
      Value ni = linalg::IndexOp::create(nb, loc, 1);
      Value t = tensor::DimOp::create(nb, loc, x, 1);
      Value last = arith::SubIOp::create(
          nb, loc, t, arith::ConstantIndexOp::create(nb, loc, 1));
      return tensor::ExtractOp::create(nb, loc, x, ValueRange{bi, last, ni})
          .getResult();
    });
  }

  /// Row `T-1` of `[B, T, N]` as `[B, N]`.
  Value lastToken(Value x) {
    SmallVector<OpFoldResult> s = shape(x);
    Value t = getValueOrCreateConstantIndexOp(b, loc, s[1]);
    Value last = arith::SubIOp::create(
        b, loc, t, arith::ConstantIndexOp::create(b, loc, 1));
    auto xt = cast<RankedTensorType>(x.getType());
    auto type = RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(2)},
                                      xt.getElementType());
    return tensor::ExtractSliceOp::create(
        b, loc, type, x, {b.getIndexAttr(0), last, b.getIndexAttr(0)},
        {s[0], b.getIndexAttr(1), s[2]},
        {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)});
  }

  /// Argmax over the last dim of f32 `[B, V]` as i32 `[B]` (first maximum).
  /// When V splits into lanes (V % 128 == 0, V > 128), two reductions: lane
  /// l of row b takes the columns c * 128 + l (the row as [V/128, 128]),
  /// then the 128 lane results are reduced, ties going to the smaller
  /// index. Same result as one sequential pass, but on a GPU 128 threads
  /// per row do the long part instead of one.
  Value argmax(Value logits) {
    SmallVector<OpFoldResult> s = shape(logits);
    auto lt = cast<RankedTensorType>(logits.getType());
    int64_t v = lt.getDimSize(1);
    constexpr int64_t kLanes = 128;
    MLIRContext *ctx = b.getContext();
    Type i32 = b.getI32Type();
    Value negInf = cst(-std::numeric_limits<double>::infinity(), f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    auto fills = [&](ArrayRef<OpFoldResult> sizes) {
      Value m = linalg::FillOp::create(b, loc, negInf, empty(sizes, f32))
                    .getResult(0);
      Value i =
          linalg::FillOp::create(b, loc, zero, empty(sizes, i32)).getResult(0);
      return std::make_pair(m, i);
    };
    if (ShapedType::isDynamic(v) || v % kLanes != 0 || v <= kLanes) {
      AffineExpr d0, d1;
      bindDims(ctx, d0, d1);
      auto [maxInit, idxInit] = fills({s[0]});
      SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0, d1}, ctx),
                                     AffineMap::get(2, 0, {d0}, ctx),
                                     AffineMap::get(2, 0, {d0}, ctx)};
      auto op = linalg::GenericOp::create(
          b, loc, TypeRange{maxInit.getType(), idxInit.getType()},
          ValueRange{logits}, ValueRange{maxInit, idxInit}, maps,
          {utils::IteratorType::parallel, utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location, ValueRange a) {
            Value j = arith::IndexCastOp::create(
                nb, loc, i32, linalg::IndexOp::create(nb, loc, 1));
            Value better = arith::CmpFOp::create(
                nb, loc, arith::CmpFPredicate::OGT, a[0], a[1]);
            Value m = arith::SelectOp::create(nb, loc, better, a[0], a[1]);
            Value i = arith::SelectOp::create(nb, loc, better, j, a[2]);
            linalg::YieldOp::create(nb, loc, ValueRange{m, i});
          });
      return op.getResult(1);
    }
    // Stage 1: [B, V/128, 128] reduced over dim 1 into [B, 128].
    auto rowsType = RankedTensorType::get(
        {lt.getDimSize(0), v / kLanes, kLanes}, lt.getElementType());
    Value rows = tensor::ExpandShapeOp::create(
        b, loc, rowsType, logits, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
        ArrayRef<OpFoldResult>{s[0], b.getIndexAttr(v / kLanes),
                               b.getIndexAttr(kLanes)});
    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    auto [laneMax, laneIdx] = fills({s[0], b.getIndexAttr(kLanes)});
    // Loops (row, lane, column group): the two parallel loops lead, so the
    // GPU mapping spreads B x 128 threads and each runs the V/128 steps.
    auto stage1 = linalg::GenericOp::create(
        b, loc, TypeRange{laneMax.getType(), laneIdx.getType()},
        ValueRange{rows}, ValueRange{laneMax, laneIdx},
        SmallVector<AffineMap>{AffineMap::get(3, 0, {d0, d2, d1}, ctx),
                               AffineMap::get(3, 0, {d0, d1}, ctx),
                               AffineMap::get(3, 0, {d0, d1}, ctx)},
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction},
        [&](OpBuilder &nb, Location, ValueRange a) {
          Value c = linalg::IndexOp::create(nb, loc, 2);
          Value l = linalg::IndexOp::create(nb, loc, 1);
          Value j = arith::AddIOp::create(
              nb, loc,
              arith::MulIOp::create(
                  nb, loc, c, arith::ConstantIndexOp::create(nb, loc, kLanes)),
              l);
          Value ji = arith::IndexCastOp::create(nb, loc, i32, j);
          Value better = arith::CmpFOp::create(
              nb, loc, arith::CmpFPredicate::OGT, a[0], a[1]);
          Value m = arith::SelectOp::create(nb, loc, better, a[0], a[1]);
          Value i = arith::SelectOp::create(nb, loc, better, ji, a[2]);
          linalg::YieldOp::create(nb, loc, ValueRange{m, i});
        });
    // Stage 2: [B, 128] -> [B]; the larger maximum, else the smaller index.
    auto [maxInit, idxInit] = fills({s[0]});
    bindDims(ctx, d0, d1);
    auto stage2 = linalg::GenericOp::create(
        b, loc, TypeRange{maxInit.getType(), idxInit.getType()},
        ValueRange{stage1.getResult(0), stage1.getResult(1)},
        ValueRange{maxInit, idxInit},
        SmallVector<AffineMap>{AffineMap::get(2, 0, {d0, d1}, ctx),
                               AffineMap::get(2, 0, {d0, d1}, ctx),
                               AffineMap::get(2, 0, {d0}, ctx),
                               AffineMap::get(2, 0, {d0}, ctx)},
        {utils::IteratorType::parallel, utils::IteratorType::reduction},
        [&](OpBuilder &nb, Location, ValueRange a) {
          // a = lane max, lane index, best max, best index.
          Value greater = arith::CmpFOp::create(
              nb, loc, arith::CmpFPredicate::OGT, a[0], a[2]);
          Value equal = arith::CmpFOp::create(
              nb, loc, arith::CmpFPredicate::OEQ, a[0], a[2]);
          Value earlier = arith::CmpIOp::create(
              nb, loc, arith::CmpIPredicate::slt, a[1], a[3]);
          Value better = arith::OrIOp::create(
              nb, loc, greater, arith::AndIOp::create(nb, loc, equal, earlier));
          Value m = arith::SelectOp::create(nb, loc, better, a[0], a[2]);
          Value i = arith::SelectOp::create(nb, loc, better, a[1], a[3]);
          linalg::YieldOp::create(nb, loc, ValueRange{m, i});
        });
    return stage2.getResult(1);
  }
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

/// Builds the layers of a model into prefill and decode entries.
class ModelGraph {
public:
  ModelGraph(const ModelConfig &c, const ImportOptions &o) : c(c), o(o) {}

  const ModelConfig &c;
  const ImportOptions &o;
  /// Named intermediates of the last RAT layer built (ImportOptions).
  SmallVector<std::pair<std::string, Value>> intermediates;

  int64_t cacheRows(StringRef kind) const {
    if (kind == "rat")
      return (o.maxSeqLen + c.chunkSize - 1) / c.chunkSize;
    if (kind == "swa")
      return std::min<int64_t>(c.windowSize + 1, o.maxSeqLen);
    return o.maxSeqLen;
  }

  std::string prefix(int64_t layer) const {
    if (c.kind == "rat_layer")
      return "";
    return "backbone.layers." + std::to_string(layer) + ".seq_layer.";
  }

  std::string stateName(int64_t layer, StringRef what) const {
    return "layers." + std::to_string(layer) + "." + what.str();
  }

  double scale() const { return 1.0 / std::sqrt(double(c.dHead)); }

  /// The decode state of layer `i` as (name, shape) pairs, batch first.
  SmallVector<std::pair<std::string, SmallVector<int64_t>>>
  stateShapes(int64_t i) const {
    StringRef kind = c.layerKind(i);
    int64_t rows = cacheRows(kind);
    SmallVector<std::pair<std::string, SmallVector<int64_t>>> s;
    if (kind == "rat") {
      s.push_back({stateName(i, "scan_v"), {c.dModel}});
      s.push_back({stateName(i, "scan_k"), {c.dModel}});
    }
    s.push_back({stateName(i, "cache_k"), {c.numHead, rows, c.dHead}});
    s.push_back({stateName(i, "cache_v"), {c.numHead, rows, c.dHead}});
    return s;
  }

  /// The pieces of a RAT layer's input projection (spec section 4).
  struct RatProjection {
    Value z, v, q, k; ///< z (before sigmoid), v, q' and k' (before tiling).
    Value gate;       ///< sigmoid(g + gate_bias).
  };

  /// `[z, v, g, q', k'] = split(proj)` and the gate, for prefill ([B, T, *])
  /// and decode ([B, 1, *]) alike.
  RatProjection ratProjection(GraphBuilder &g, Value proj, Value gateBias) {
    int64_t d = c.dModel, gd = c.ngroups * c.dHead;
    RatProjection r;
    r.z = g.columns(proj, 0, d);
    r.v = g.columns(proj, d, d);
    Value gl = g.columns(proj, 2 * d, d);
    r.q = g.columns(proj, 3 * d, gd);
    r.k = g.columns(proj, 3 * d + gd, gd);
    MLIRContext *ctx = g.b.getContext();
    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    r.gate = g.parallel({gl, gateBias}, {id, AffineMap::get(3, 0, {d2}, ctx)},
                        g.shape(gl), g.et, [&](OpBuilder &nb, ValueRange a) {
                          Value s = arith::AddFOp::create(
                              nb, g.loc, g.toF32(nb, a[0]), g.toF32(nb, a[1]));
                          return g.fromF32(nb, g.sigmoid(nb, s), g.et);
                        });
    return r;
  }

  /// `sigmoid(z)`.
  Value outputGate(GraphBuilder &g, Value z) {
    return g.map({z}, g.et, [&](OpBuilder &nb, ValueRange a) {
      return g.fromF32(nb, g.sigmoid(nb, g.toF32(nb, a[0])), g.et);
    });
  }

  /// `x + (zGate * o) @ out_proj^T`.
  Value gatedResidual(GraphBuilder &g, Value x, Value zGate, Value o,
                      Value outW) {
    Value gated = g.map({zGate, o}, g.et, [&](OpBuilder &nb, ValueRange a) {
      return g.fromF32(nb,
                       arith::MulFOp::create(nb, g.loc, g.toF32(nb, a[0]),
                                             g.toF32(nb, a[1])),
                       g.et);
    });
    return g.add(x, g.project(gated, outW));
  }

  //===------------------------------------------------------------------===//
  // Prefill
  //===------------------------------------------------------------------===//

  /// A RAT layer on `[B, T, D]`; appends the decode state to `state`.
  Value ratLayer(GraphBuilder &g, EntryBuilder &e, int64_t i, Value x,
                 SmallVectorImpl<Value> *state) {
    int64_t d = c.dModel, gd = c.ngroups * c.dHead;
    std::string p = prefix(i);
    Value normW = e.weight(p + "input_norm.weight", {d});
    Value inW = e.weight(p + "in_proj.weight", {3 * d + 2 * gd, d});
    Value gateBias = e.weight(p + "gate_bias", {d});
    Value outW = e.weight(p + "out_proj.weight", {d, d});

    RatProjection r = ratProjection(
        g, g.project(g.rmsNorm(x, normW, c.rmsEps), inW), gateBias);
    Value q = r.q, k = r.k, v = r.v, gate = r.gate;
    Value kt = g.tileGroups(k, d);
    auto scan = [&](Value in) {
      Value init = g.empty(g.shape(in), g.et);
      return ChunkScanOp::create(g.b, g.loc, TypeRange{init.getType()}, gate,
                                 in, ValueRange{init}, c.chunkSize)
          .getResult(0);
    };
    Value vs = scan(v), ks = scan(kt);
    Value qh = g.rope(g.splitHeads(q, c.ngroups, c.dHead), c.chunkSize,
                      c.ropeBase, Value());
    Value kh = g.rope(g.splitHeads(ks, c.numHead, c.dHead), c.chunkSize,
                      c.ropeBase, Value());
    Value vh = g.splitHeads(vs, c.numHead, c.dHead);
    Value attnInit = g.empty(g.shape(vh), g.et);
    Value o =
        ChunkAttentionOp::create(g.b, g.loc, TypeRange{attnInit.getType()}, qh,
                                 kh, vh, Value(), ValueRange{attnInit},
                                 c.chunkSize, g.b.getF64FloatAttr(scale()))
            .getResult(0);
    Value zSig = outputGate(g, r.z);
    Value y = gatedResidual(g, x, zSig, g.mergeHeads(o), outW);
    intermediates = {{"gate", gate}, {"z", zSig},    {"q", q},      {"k", k},
                     {"v", v},       {"v_scan", vs}, {"k_scan", ks}};
    if (state) {
      state->push_back(g.lastTokenCopy(vs));
      state->push_back(g.lastTokenCopy(ks));
      int64_t l = c.chunkSize;
      // Row c of the chunk cache holds the state at min((c+1)L - 1, T - 1).
      auto chunkFinal = [&](OpBuilder &nb, Value row, Value last) {
        Value lastOfChunk = arith::AddIOp::create(
            nb, g.loc,
            arith::MulIOp::create(nb, g.loc, row,
                                  arith::ConstantIndexOp::create(nb, g.loc, l)),
            arith::ConstantIndexOp::create(nb, g.loc, l - 1));
        return arith::MinUIOp::create(nb, g.loc, lastOfChunk, last).getResult();
      };
      state->push_back(cacheFromSequence(g, kh, cacheRows("rat"), chunkFinal));
      state->push_back(cacheFromSequence(g, vh, cacheRows("rat"), chunkFinal));
    }
    return y;
  }

  /// Gathers a `[B, H, rows, Dh]` cache from `[B, H, T, Dh]`: row `r` takes
  /// token `tokenOf(r, T - 1)`.
  Value
  cacheFromSequence(GraphBuilder &g, Value seq, int64_t rows,
                    function_ref<Value(OpBuilder &, Value, Value)> tokenOf) {
    SmallVector<OpFoldResult> s = g.shape(seq);
    s[2] = g.b.getIndexAttr(rows);
    return g.parallel({}, {}, s, g.et, [&](OpBuilder &nb, ValueRange) {
      Value bi = linalg::IndexOp::create(nb, g.loc, 0);
      Value hi = linalg::IndexOp::create(nb, g.loc, 1);
      Value ri = linalg::IndexOp::create(nb, g.loc, 2);
      Value di = linalg::IndexOp::create(nb, g.loc, 3);
      Value t = tensor::DimOp::create(nb, g.loc, seq, 2);
      Value last = arith::SubIOp::create(
          nb, g.loc, t, arith::ConstantIndexOp::create(nb, g.loc, 1));
      Value tok = tokenOf(nb, ri, last);
      return tensor::ExtractOp::create(nb, g.loc, seq,
                                       ValueRange{bi, hi, tok, di})
          .getResult();
    });
  }

  /// A sliding-window (`window > 0`) or full attention layer.
  Value attentionLayer(GraphBuilder &g, EntryBuilder &e, int64_t i, Value x,
                       int64_t window, SmallVectorImpl<Value> *state) {
    int64_t d = c.dModel;
    std::string p = prefix(i);
    Value normW = e.weight(p + "input_norm.weight", {d});
    Value inW = e.weight(p + "in_proj.weight", {3 * d, d});
    Value outW = e.weight(p + "out_proj.weight", {d, d});
    Value a = g.rmsNorm(x, normW, c.rmsEps);
    Value proj = g.project(a, inW);
    Value v = g.splitHeads(g.columns(proj, 0, d), c.numHead, c.dHead);
    Value q = g.rope(g.splitHeads(g.columns(proj, d, d), c.numHead, c.dHead), 1,
                     c.ropeBase, Value());
    Value k =
        g.rope(g.splitHeads(g.columns(proj, 2 * d, d), c.numHead, c.dHead), 1,
               c.ropeBase, Value());
    Value init = g.empty(g.shape(v), g.et);
    Value o = WindowAttentionOp::create(g.b, g.loc, TypeRange{init.getType()},
                                        q, k, v, Value(), ValueRange{init},
                                        window, g.b.getF64FloatAttr(scale()))
                  .getResult(0);
    Value y = g.add(x, g.project(g.mergeHeads(o), outW));
    if (state) {
      int64_t rows = cacheRows(window ? "swa" : "attention");
      // Ring row r holds the latest token s <= T-1 with s mod R == r.
      auto tokenOf = [&](OpBuilder &nb, Value row, Value last) {
        Value r = arith::ConstantIndexOp::create(nb, g.loc, rows);
        Value back = arith::RemUIOp::create(
            nb, g.loc, arith::SubIOp::create(nb, g.loc, last, row), r);
        Value tok = arith::SubIOp::create(nb, g.loc, last, back);
        Value valid = arith::CmpIOp::create(
            nb, g.loc, arith::CmpIPredicate::ule, row, last);
        return arith::SelectOp::create(nb, g.loc, valid, tok, last).getResult();
      };
      state->push_back(cacheFromSequence(g, k, rows, tokenOf));
      state->push_back(cacheFromSequence(g, v, rows, tokenOf));
    }
    return y;
  }

  Value ffn(GraphBuilder &g, EntryBuilder &e, int64_t i, Value x) {
    int64_t d = c.dModel;
    std::string p = "backbone.layers." + std::to_string(i) + ".hidden_layer.";
    Value lnW = e.weight(p + "ln.weight", {d});
    Value fc1 = e.weight(p + "fc1.weight", {4 * d, d});
    Value fc2 = e.weight(p + "fc2.weight", {d, 4 * d});
    Value h = g.projectF32(g.rmsNorm(x, lnW, c.rmsEps), fc1);
    Value act = g.map({h}, g.et, [&](OpBuilder &nb, ValueRange a) {
      // Exact GELU: x/2 * (1 + erf(x / sqrt 2)).
      Value half =
          arith::ConstantOp::create(nb, g.loc, nb.getF32FloatAttr(0.5));
      Value one = arith::ConstantOp::create(nb, g.loc, nb.getF32FloatAttr(1.0));
      Value invSqrt2 = arith::ConstantOp::create(
          nb, g.loc, nb.getF32FloatAttr(0.70710678118654752));
      Value erf = math::ErfOp::create(
          nb, g.loc, arith::MulFOp::create(nb, g.loc, a[0], invSqrt2));
      Value r = arith::MulFOp::create(
          nb, g.loc, arith::MulFOp::create(nb, g.loc, half, a[0]),
          arith::AddFOp::create(nb, g.loc, one, erf));
      return g.fromF32(nb, r, g.et);
    });
    return g.add(x, g.project(act, fc2));
  }

  Value seqLayer(GraphBuilder &g, EntryBuilder &e, int64_t i, Value x,
                 SmallVectorImpl<Value> *state) {
    StringRef kind = c.layerKind(i);
    if (kind == "rat")
      return ratLayer(g, e, i, x, state);
    return attentionLayer(g, e, i, x, kind == "swa" ? c.windowSize : 0, state);
  }

  //===------------------------------------------------------------------===//
  // Decode (one token, explicit state)
  //===------------------------------------------------------------------===//

  /// `[B, 1, N]` <-> `[B, N]`.
  Value squeezeT(GraphBuilder &g, Value x) {
    auto xt = cast<RankedTensorType>(x.getType());
    return tensor::CollapseShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(2)},
                              xt.getElementType()),
        x, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }
  Value unsqueezeT(GraphBuilder &g, Value x) {
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> s = g.shape(x);
    return tensor::ExpandShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get({xt.getDimSize(0), 1, xt.getDimSize(1)},
                              xt.getElementType()),
        x, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
        ArrayRef<OpFoldResult>{s[0], g.b.getIndexAttr(1), s[1]});
  }
  /// `[B, 1, H*Dh]` -> `[B, H, Dh]` (via `[B, H, 1, Dh]`).
  Value headsOfToken(GraphBuilder &g, Value x, int64_t heads) {
    Value h = g.splitHeads(x, heads, c.dHead); // [B, H, 1, Dh]
    auto ht = cast<RankedTensorType>(h.getType());
    return tensor::CollapseShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get({ht.getDimSize(0), heads, c.dHead},
                              ht.getElementType()),
        h, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  }
  /// `[B, H, Dh]` -> `[B, H, 1, Dh]`.
  Value withTokenDim(GraphBuilder &g, Value x) {
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> s = g.shape(x);
    return tensor::ExpandShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get(
            {xt.getDimSize(0), xt.getDimSize(1), 1, xt.getDimSize(2)},
            xt.getElementType()),
        x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
        ArrayRef<OpFoldResult>{s[0], s[1], g.b.getIndexAttr(1), s[2]});
  }
  Value dropTokenDim(GraphBuilder &g, Value x) {
    auto xt = cast<RankedTensorType>(x.getType());
    return tensor::CollapseShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get(
            {xt.getDimSize(0), xt.getDimSize(1), xt.getDimSize(3)},
            xt.getElementType()),
        x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  }

  Value ropeToken(GraphBuilder &g, Value x, int64_t chunk, Value pos) {
    return dropTokenDim(g, g.rope(withTokenDim(g, x), chunk, c.ropeBase, pos));
  }

  /// One decode step of layer `i` on `[B, 1, D]`; `state` holds the layer's
  /// state in, and is replaced by the state out.
  Value seqLayerStep(GraphBuilder &g, EntryBuilder &e, int64_t i, Value x,
                     Value pos, SmallVectorImpl<Value> &state) {
    StringRef kind = c.layerKind(i);
    int64_t d = c.dModel, gd = c.ngroups * c.dHead;
    std::string p = prefix(i);
    Value normW = e.weight(p + "input_norm.weight", {d});
    bool isRat = kind == "rat";
    Value inW =
        e.weight(p + "in_proj.weight", {isRat ? 3 * d + 2 * gd : 3 * d, d});
    Value gateBias = isRat ? e.weight(p + "gate_bias", {d}) : Value();
    Value outW = e.weight(p + "out_proj.weight", {d, d});
    Value a = g.rmsNorm(x, normW, c.rmsEps);
    Value proj = g.project(a, inW);
    auto stepInits = [&](Value v, Value kc, Value vc) {
      return SmallVector<Value>{g.empty(g.shape(v), g.et), kc, vc};
    };
    if (!isRat) {
      // A window reaching past max_seq_len attends to every held token.
      int64_t window =
          kind == "swa" ? std::min(c.windowSize, o.maxSeqLen - 1) : 0;
      Value v = headsOfToken(g, g.columns(proj, 0, d), c.numHead);
      Value q = ropeToken(g, headsOfToken(g, g.columns(proj, d, d), c.numHead),
                          1, pos);
      Value k = ropeToken(
          g, headsOfToken(g, g.columns(proj, 2 * d, d), c.numHead), 1, pos);
      SmallVector<Value> inits = stepInits(v, state[0], state[1]);
      auto step = WindowAttentionStepOp::create(
          g.b, g.loc, TypeRange(ValueRange(inits)), q, k, v, pos, inits, window,
          g.b.getF64FloatAttr(scale()));
      state.assign({step.getResult(1), step.getResult(2)});
      Value o = unsqueezeT(g, flatHeads(g, step.getResult(0)));
      return g.add(x, g.project(o, outW));
    }
    RatProjection r = ratProjection(g, proj, gateBias);
    Value v = r.v, q = r.q, k = r.k;
    Value gate2 = squeezeT(g, r.gate);
    auto scanStep = [&](Value in, Value st) {
      return ChunkScanStepOp::create(g.b, g.loc, TypeRange{st.getType()}, gate2,
                                     squeezeT(g, in), pos, ValueRange{st},
                                     c.chunkSize)
          .getResult(0);
    };
    Value sv = scanStep(v, state[0]);
    Value sk = scanStep(g.tileGroups(k, d), state[1]);
    Value kh = ropeToken(g, headsOfToken(g, unsqueezeT(g, sk), c.numHead),
                         c.chunkSize, pos);
    Value vh = headsOfToken(g, unsqueezeT(g, sv), c.numHead);
    Value qh = ropeToken(g, headsOfToken(g, q, c.ngroups), c.chunkSize, pos);
    SmallVector<Value> inits = stepInits(vh, state[2], state[3]);
    auto step = ChunkAttentionStepOp::create(
        g.b, g.loc, TypeRange(ValueRange(inits)), qh, kh, vh, pos, inits,
        c.chunkSize, g.b.getF64FloatAttr(scale()));
    state.assign({sv, sk, step.getResult(1), step.getResult(2)});
    Value o = unsqueezeT(g, flatHeads(g, step.getResult(0)));
    return gatedResidual(g, x, outputGate(g, r.z), o, outW);
  }

  /// `[B, H, Dh]` -> `[B, H*Dh]`.
  Value flatHeads(GraphBuilder &g, Value x) {
    auto xt = cast<RankedTensorType>(x.getType());
    return tensor::CollapseShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get(
            {xt.getDimSize(0), xt.getDimSize(1) * xt.getDimSize(2)},
            xt.getElementType()),
        x, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }
};
} // namespace

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
  ModelGraph m(c, o);
  bool isLm = c.kind == "lm";
  int64_t numLayers = isLm ? c.numLayers : 1;
  std::string dm = std::to_string(c.dModel);

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
  auto buildPrefill = [&](StringRef name, bool allLogits) {
    EntryBuilder e(*module, name, et);
    b.setInsertionPointToStart(e.entry);
    GraphBuilder g(b, loc, et);
    Value x;
    Value wte, tokens;
    if (isLm) {
      tokens = e.addArg(RankedTensorType::get({dyn, dyn}, b.getI32Type()),
                        "input", "tokens", "B,T");
      wte = e.weight("embedding.wte.weight", {c.vocabSize, c.dModel});
      x = g.embed(tokens, wte);
    } else {
      x = e.addArg(RankedTensorType::get({dyn, dyn, c.dModel}, et), "input",
                   "x", "B,T," + dm);
    }
    SmallVector<Value> states;
    for (int64_t i = 0; i < numLayers; ++i) {
      x = m.seqLayer(g, e, i, x, isLm && o.withDecode ? &states : nullptr);
      if (isLm)
        x = m.ffn(g, e, i, x);
    }
    if (isLm) {
      Value lnW = e.weight("backbone.ln.weight", {c.dModel});
      Value head = e.weight("head.lm_head.weight", {c.vocabSize, c.dModel});
      if (allLogits) {
        Value logits = g.projectF32(g.rmsNorm(x, lnW, c.rmsEps), head);
        e.addResult(logits, "output", "logits",
                    "B,T," + std::to_string(c.vocabSize));
        e.addResult(g.argmax(g.lastToken(logits)), "output", "next_token", "B");
      } else {
        Value last = m.unsqueezeT(g, g.lastToken(x));
        Value logits = g.projectF32(g.rmsNorm(last, lnW, c.rmsEps), head);
        e.addResult(g.argmax(m.squeezeT(g, logits)), "output", "next_token",
                    "B");
      }
      unsigned s = 0;
      for (int64_t i = 0; i < numLayers && o.withDecode; ++i)
        for (auto &[stateName, shape] : m.stateShapes(i))
          e.addResult(states[s++], "state", stateName, shapeDims(shape));
    } else {
      e.addResult(x, "output", "y", "B,T," + dm);
      if (o.intermediates) {
        for (auto &[resultName, v] : m.intermediates) {
          int64_t width = cast<ShapedType>(v.getType()).getDimSize(2);
          e.addResult(v, "output", resultName, "B,T," + std::to_string(width));
        }
        (*module)->setAttr("rat.model", b.getStringAttr("function"));
      }
    }
    e.finish(b);
  };
  buildPrefill("prefill", /*allLogits=*/true);
  if (isLm && o.withDecode)
    buildPrefill("prompt", /*allLogits=*/false);
  if (!o.withDecode || o.intermediates)
    return module;

  //===--------------------------------------------------------------------===//
  // decode: one token at `position` with explicit state
  //===--------------------------------------------------------------------===//
  {
    EntryBuilder e(*module, "decode", et);
    b.setInsertionPointToStart(e.entry);
    GraphBuilder g(b, loc, et);
    Value x;
    if (isLm) {
      Value token = e.addArg(RankedTensorType::get({dyn}, b.getI32Type()),
                             "input", "token", "B");
      e.addArg(b.getIndexType(), "index", "position", "");
      Value wte = e.weight("embedding.wte.weight", {c.vocabSize, c.dModel});
      auto tok2 = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({dyn, 1}, b.getI32Type()), token,
          ArrayRef<ReassociationIndices>{{0, 1}},
          ArrayRef<OpFoldResult>{tensor::getMixedSize(b, loc, token, 0),
                                 b.getIndexAttr(1)});
      x = g.embed(tok2, wte);
    } else {
      x = e.addArg(RankedTensorType::get({dyn, 1, c.dModel}, et), "input", "x",
                   "B,1," + dm);
      e.addArg(b.getIndexType(), "index", "position", "");
    }
    Value pos = e.entry->getArgument(1);
    SmallVector<SmallVector<Value>> layerStates;
    // States are arguments after the weights of all layers: build the
    // layers first with placeholders, then append state arguments.
    SmallVector<std::pair<std::string, SmallVector<int64_t>>> stateSlots;
    for (int64_t i = 0; i < numLayers; ++i)
      for (auto &s : m.stateShapes(i))
        stateSlots.push_back(s);
    SmallVector<Value> stateArgs;
    for (auto &[name, shape] : stateSlots) {
      SmallVector<int64_t> full = {dyn};
      full.append(shape.begin(), shape.end());
      stateArgs.push_back(e.addArg(RankedTensorType::get(full, et), "state",
                                   name, shapeDims(shape)));
    }
    unsigned s = 0;
    SmallVector<Value> newStates;
    for (int64_t i = 0; i < numLayers; ++i) {
      unsigned n = m.stateShapes(i).size();
      SmallVector<Value> layerState(stateArgs.begin() + s,
                                    stateArgs.begin() + s + n);
      s += n;
      x = m.seqLayerStep(g, e, i, x, pos, layerState);
      newStates.append(layerState);
      if (isLm)
        x = m.ffn(g, e, i, x);
    }
    if (isLm) {
      Value lnW = e.weight("backbone.ln.weight", {c.dModel});
      Value head = e.weight("head.lm_head.weight", {c.vocabSize, c.dModel});
      Value logits = g.projectF32(g.rmsNorm(x, lnW, c.rmsEps), head);
      e.addResult(g.argmax(m.squeezeT(g, logits)), "output", "next_token", "B");
      e.addResult(logits, "output", "logits",
                  "B,1," + std::to_string(c.vocabSize));
    } else {
      e.addResult(x, "output", "y", "B,1," + dm);
    }
    for (auto [v, slot] : llvm::zip(newStates, stateSlots))
      e.addResult(v, "state", slot.first, shapeDims(slot.second));
    e.finish(b);
  }
  return module;
}
