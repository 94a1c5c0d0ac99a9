//===- AttentionLayer.cpp - Sliding-window and full attention layers ------===//
//
// The attention layers of hybrid models: `[v, q, k] = in_proj(norm(x))`,
// causal softmax attention with rotary q and k over a sliding window of
// `window_size` tokens (`swa`) or over every earlier token (`attention`),
// `x + out_proj(o)`. Decode state: a ring cache of keys and values per head,
// min(window_size + 1, max_seq_len) rows for swa, max_seq_len for full
// attention.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Layer.h"

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::rat;

namespace {

class AttentionLayer final : public Layer {
public:
  AttentionLayer(LayerContext context, bool windowed)
      : Layer(std::move(context)), windowed(windowed) {}

  SmallVector<WeightSpec> weights() const override {
    int64_t d = ctx.config.dModel;
    const std::string &p = ctx.weightPrefix;
    return {{p + "input_norm.weight", {d}},
            {p + "in_proj.weight", {3 * d, d}},
            {p + "out_proj.weight", {d, d}}};
  }

  SmallVector<StateSpec> state() const override {
    const ModelConfig &c = ctx.config;
    return {{ctx.stateName("cache_k"), {c.numHead, cacheRows(), c.dHead}},
            {ctx.stateName("cache_v"), {c.numHead, cacheRows(), c.dHead}}};
  }

  Value prefill(GraphBuilder &g, ValueRange w, Value x,
                SmallVectorImpl<Value> *state, NamedValues *) const override {
    const ModelConfig &c = ctx.config;
    int64_t d = c.dModel;
    int64_t window = windowed ? c.windowSize : 0;
    Value normW = w[0], inW = w[1], outW = w[2];
    Value a = g.rmsNorm(x, normW, c.rmsEps);
    Value proj = g.project(a, inW);
    Value v = g.splitHeads(g.columns(proj, 0, d), c.numHead, c.dHead);
    Value q = g.rope(g.splitHeads(g.columns(proj, d, d), c.numHead, c.dHead), 1,
                     c.ropeBase, Value());
    Value k =
        g.rope(g.splitHeads(g.columns(proj, 2 * d, d), c.numHead, c.dHead), 1,
               c.ropeBase, Value());
    Value init = g.empty(g.shape(v), g.et);
    Value o =
        WindowAttentionOp::create(g.b, g.loc, TypeRange{init.getType()}, q, k,
                                  v, Value(), ValueRange{init}, window,
                                  g.b.getF64FloatAttr(ctx.attentionScale()))
            .getResult(0);
    Value y = g.add(x, g.project(g.mergeHeads(o), outW));
    if (state) {
      int64_t rows = cacheRows();
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

  Value step(GraphBuilder &g, ValueRange w, Value x, Value pos,
             SmallVectorImpl<Value> &state) const override {
    const ModelConfig &c = ctx.config;
    int64_t d = c.dModel;
    Value normW = w[0], inW = w[1], outW = w[2];
    Value a = g.rmsNorm(x, normW, c.rmsEps);
    Value proj = g.project(a, inW);
    // A window reaching past max_seq_len attends to every held token.
    int64_t window =
        windowed ? std::min(c.windowSize, ctx.options.maxSeqLen - 1) : 0;
    Value v = headsOfToken(g, g.columns(proj, 0, d), c.numHead, c.dHead);
    Value q =
        ropeToken(g, headsOfToken(g, g.columns(proj, d, d), c.numHead, c.dHead),
                  1, c.ropeBase, pos);
    Value k = ropeToken(
        g, headsOfToken(g, g.columns(proj, 2 * d, d), c.numHead, c.dHead), 1,
        c.ropeBase, pos);
    SmallVector<Value> inits = {g.empty(g.shape(v), g.et), state[0], state[1]};
    auto step = WindowAttentionStepOp::create(
        g.b, g.loc, TypeRange(ValueRange(inits)), q, k, v, pos, inits, window,
        g.b.getF64FloatAttr(ctx.attentionScale()));
    state.assign({step.getResult(1), step.getResult(2)});
    Value o = unsqueezeT(g, flatHeads(g, step.getResult(0)));
    return g.add(x, g.project(o, outW));
  }

private:
  /// Rows of the ring cache: the window and the current token, at most
  /// max_seq_len; every position for full attention.
  int64_t cacheRows() const {
    if (windowed)
      return std::min<int64_t>(ctx.config.windowSize + 1,
                               ctx.options.maxSeqLen);
    return ctx.options.maxSeqLen;
  }

  bool windowed;
};

} // namespace

LayerKind mlir::rat::getSlidingWindowAttentionLayerKind() {
  return {
      "swa",
      [](const ModelConfig &config) {
        return config.windowSize < 1
                   ? std::string(
                         "key 'window_size' must be >= 1 for \"swa\" layers")
                   : std::string();
      },
      [](LayerContext context) -> std::unique_ptr<Layer> {
        return std::make_unique<AttentionLayer>(std::move(context),
                                                /*windowed=*/true);
      }};
}

LayerKind mlir::rat::getAttentionLayerKind() {
  return {"attention", [](const ModelConfig &) { return std::string(); },
          [](LayerContext context) -> std::unique_ptr<Layer> {
            return std::make_unique<AttentionLayer>(std::move(context),
                                                    /*windowed=*/false);
          }};
}
