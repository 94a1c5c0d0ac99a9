//===- FeedForward.cpp - The feed-forward block of an LM layer ------------===//
//
// `x + fc2(gelu(fc1(norm(x))))` with the exact GELU, after every mixer of a
// language model (`backbone.layers.<i>.hidden_layer.*`).
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Layer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::rat;

namespace {

class FeedForward final : public StatelessLayer {
public:
  using StatelessLayer::StatelessLayer;

  SmallVector<WeightSpec> weights() const override {
    int64_t d = ctx.config.dModel;
    const std::string &p = ctx.weightPrefix;
    return {{p + "ln.weight", {d}},
            {p + "fc1.weight", {4 * d, d}},
            {p + "fc2.weight", {d, 4 * d}}};
  }

  Value apply(GraphBuilder &g, ValueRange w, Value x) const override {
    Value lnW = w[0], fc1 = w[1], fc2 = w[2];
    Value h = g.projectF32(g.rmsNorm(x, lnW, ctx.config.rmsEps), fc1);
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
};

} // namespace

std::unique_ptr<Layer> mlir::rat::createFeedForward(LayerContext context) {
  return std::make_unique<FeedForward>(std::move(context));
}
