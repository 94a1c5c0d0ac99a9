//===- LmHead.cpp - The final norm and LM head ----------------------------===//
//
// `lm_head(norm(x))`: f32 logits `[B, T, V]` (accumulated in f32 and kept in
// f32 for the argmax and the --logits output).
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Layer.h"

using namespace mlir;
using namespace mlir::rat;

namespace {

class LmHead final : public StatelessLayer {
public:
  using StatelessLayer::StatelessLayer;

  SmallVector<WeightSpec> weights() const override {
    const ModelConfig &c = ctx.config;
    return {{"backbone.ln.weight", {c.dModel}},
            {"head.lm_head.weight", {c.vocabSize, c.dModel}}};
  }

  Value apply(GraphBuilder &g, ValueRange w, Value x) const override {
    return g.projectF32(g.rmsNorm(x, w[0], ctx.config.rmsEps), w[1]);
  }
};

} // namespace

std::unique_ptr<Layer> mlir::rat::createLmHead(LayerContext context) {
  return std::make_unique<LmHead>(std::move(context));
}
