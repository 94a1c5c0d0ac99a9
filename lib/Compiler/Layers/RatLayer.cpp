//===- RatLayer.cpp - The RAT layer ---------------------------------------===//
//
// Spec section 4: `[z, v, g, q', k'] = in_proj(norm(x))`; a gated linear
// recurrence inside chunks of L tokens (rat.chunk_scan) for v and the
// group-tiled k; softmax attention over the chunks' final states
// (rat.chunk_attention) with rotary q and k; `x + out_proj(sigmoid(z) * o)`.
// Decode state: the running scans of v and k and a chunk cache of
// ceil(max_seq_len / L) rows per head.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Layer.h"

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::rat;

namespace {

/// The pieces of a RAT layer's input projection.
struct RatProjection {
  Value z, v, q, k; ///< z (before sigmoid), v, q' and k' (before tiling).
  Value gl;         ///< g (before the bias and sigmoid: gateOf).
};

class RatLayer final : public Layer {
public:
  using Layer::Layer;

  SmallVector<WeightSpec> weights() const override {
    const ModelConfig &c = ctx.config;
    int64_t d = c.dModel, gd = c.ngroups * c.dHead;
    const std::string &p = ctx.weightPrefix;
    return {{p + "input_norm.weight", {d}},
            {p + "in_proj.weight", {3 * d + 2 * gd, d}},
            {p + "gate_bias", {d}},
            {p + "out_proj.weight", {d, d}}};
  }

  SmallVector<StateSpec> state() const override {
    const ModelConfig &c = ctx.config;
    int64_t rows = cacheRows();
    return {{ctx.stateName("scan_v"), {c.dModel}},
            {ctx.stateName("scan_k"), {c.dModel}},
            {ctx.stateName("cache_k"), {c.numHead, rows, c.dHead}},
            {ctx.stateName("cache_v"), {c.numHead, rows, c.dHead}}};
  }

  Value prefill(GraphBuilder &g, ValueRange w, Value x,
                SmallVectorImpl<Value> *state,
                NamedValues *intermediates) const override {
    const ModelConfig &c = ctx.config;
    int64_t d = c.dModel;
    Value normW = w[0], inW = w[1], gateBias = w[2], outW = w[3];
    RatProjection r =
        project(g, g.project(g.rmsNorm(x, normW, c.rmsEps), inW));
    Value q = r.q, k = r.k, v = r.v, gate = gateOf(g, r.gl, gateBias);
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
    Value o = ChunkAttentionOp::create(
                  g.b, g.loc, TypeRange{attnInit.getType()}, qh, kh, vh,
                  Value(), ValueRange{attnInit}, c.chunkSize,
                  g.b.getF64FloatAttr(ctx.attentionScale()))
                  .getResult(0);
    Value zSig = outputGate(g, r.z);
    Value y = gatedResidual(g, x, zSig, g.mergeHeads(o), outW);
    if (intermediates)
      *intermediates = {{"gate", gate}, {"z", zSig},    {"q", q},      {"k", k},
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
      state->push_back(cacheFromSequence(g, kh, cacheRows(), chunkFinal));
      state->push_back(cacheFromSequence(g, vh, cacheRows(), chunkFinal));
    }
    return y;
  }

  Value step(GraphBuilder &g, ValueRange w, Value x, Value pos,
             SmallVectorImpl<Value> &state) const override {
    const ModelConfig &c = ctx.config;
    int64_t d = c.dModel;
    Value normW = w[0], inW = w[1], gateBias = w[2], outW = w[3];
    Value a = g.rmsNorm(x, normW, c.rmsEps);
    Value proj = g.project(a, inW);
    RatProjection r = project(g, proj);
    Value v = r.v, q = r.q, k = r.k;
    // The scan steps' inputs are computed on [B, N] rows (no reshape between
    // them and the steps), so that rat-tile-and-fuse fuses the gate and the
    // key tiling into the steps' loops: no kernel of their own.
    Value gate2 = gateOf(g, squeezeT(g, r.gl), gateBias);
    auto scanStep = [&](Value in, Value st) {
      return ChunkScanStepOp::create(g.b, g.loc, TypeRange{st.getType()}, gate2,
                                     in, pos, ValueRange{st}, c.chunkSize)
          .getResult(0);
    };
    Value sv = scanStep(squeezeT(g, v), state[0]);
    Value sk = scanStep(g.tileGroups(squeezeT(g, k), d), state[1]);
    Value kh =
        ropeToken(g, headsOfToken(g, unsqueezeT(g, sk), c.numHead, c.dHead),
                  c.chunkSize, c.ropeBase, pos);
    Value vh = headsOfToken(g, unsqueezeT(g, sv), c.numHead, c.dHead);
    Value qh = ropeToken(g, headsOfToken(g, q, c.ngroups, c.dHead), c.chunkSize,
                         c.ropeBase, pos);
    SmallVector<Value> inits = {g.empty(g.shape(vh), g.et), state[2], state[3]};
    auto step = ChunkAttentionStepOp::create(
        g.b, g.loc, TypeRange(ValueRange(inits)), qh, kh, vh, pos, inits,
        c.chunkSize, g.b.getF64FloatAttr(ctx.attentionScale()));
    state.assign({sv, sk, step.getResult(1), step.getResult(2)});
    Value o = unsqueezeT(g, flatHeads(g, step.getResult(0)));
    return gatedResidual(g, x, outputGate(g, r.z), o, outW);
  }

private:
  /// Rows of the chunk cache: one per chunk of max_seq_len.
  int64_t cacheRows() const {
    return (ctx.options.maxSeqLen + ctx.config.chunkSize - 1) /
           ctx.config.chunkSize;
  }

  /// `[z, v, g, q', k'] = split(proj)`, for prefill ([B, T, *]) and decode
  /// ([B, 1, *]) alike.
  RatProjection project(GraphBuilder &g, Value proj) const {
    const ModelConfig &c = ctx.config;
    int64_t d = c.dModel, gd = c.ngroups * c.dHead;
    RatProjection r;
    r.z = g.columns(proj, 0, d);
    r.v = g.columns(proj, d, d);
    r.gl = g.columns(proj, 2 * d, d);
    r.q = g.columns(proj, 3 * d, gd);
    r.k = g.columns(proj, 3 * d + gd, gd);
    return r;
  }

  /// `sigmoid(g + gate_bias)` over `[..., D]`.
  static Value gateOf(GraphBuilder &g, Value gl, Value gateBias) {
    MLIRContext *mlirContext = g.b.getContext();
    int64_t rank = cast<RankedTensorType>(gl.getType()).getRank();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, mlirContext);
    AffineMap bias = AffineMap::get(
        rank, 0, getAffineDimExpr(rank - 1, mlirContext), mlirContext);
    return g.parallel({gl, gateBias}, {id, bias}, g.shape(gl), g.et,
                      [&](OpBuilder &nb, ValueRange a) {
                        Value s = arith::AddFOp::create(
                            nb, g.loc, g.toF32(nb, a[0]), g.toF32(nb, a[1]));
                        return g.fromF32(nb, g.sigmoid(nb, s), g.et);
                      });
  }

  /// `sigmoid(z)`.
  static Value outputGate(GraphBuilder &g, Value z) {
    return g.map({z}, g.et, [&](OpBuilder &nb, ValueRange a) {
      return g.fromF32(nb, g.sigmoid(nb, g.toF32(nb, a[0])), g.et);
    });
  }

  /// `x + (zGate * o) @ out_proj^T`.
  static Value gatedResidual(GraphBuilder &g, Value x, Value zGate, Value o,
                             Value outW) {
    Value gated = g.map({zGate, o}, g.et, [&](OpBuilder &nb, ValueRange a) {
      return g.fromF32(nb,
                       arith::MulFOp::create(nb, g.loc, g.toF32(nb, a[0]),
                                             g.toF32(nb, a[1])),
                       g.et);
    });
    return g.add(x, g.project(gated, outW));
  }
};

} // namespace

LayerKind mlir::rat::getRatLayerKind() {
  return {"rat", [](const ModelConfig &) { return std::string(); },
          [](LayerContext context) -> std::unique_ptr<Layer> {
            return std::make_unique<RatLayer>(std::move(context));
          }};
}
