//===- Embedding.cpp - The token embedding of an LM -----------------------===//
//
// `wte[tokens[b, t], :]` for i32 tokens `[B, T]` (prefill) or `[B]` (a
// decode step, as `[B, 1]`).
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Layer.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::rat;

namespace {

class Embedding final : public Layer {
public:
  using Layer::Layer;

  SmallVector<WeightSpec> weights() const override {
    return {
        {"embedding.wte.weight", {ctx.config.vocabSize, ctx.config.dModel}}};
  }

  Value prefill(GraphBuilder &g, ValueRange w, Value tokens,
                SmallVectorImpl<Value> *, NamedValues *) const override {
    return g.embed(tokens, w[0]);
  }

  Value step(GraphBuilder &g, ValueRange w, Value token, Value,
             SmallVectorImpl<Value> &) const override {
    auto tokens = tensor::ExpandShapeOp::create(
        g.b, g.loc,
        RankedTensorType::get({ShapedType::kDynamic, 1}, g.b.getI32Type()),
        token, ArrayRef<ReassociationIndices>{{0, 1}},
        ArrayRef<OpFoldResult>{tensor::getMixedSize(g.b, g.loc, token, 0),
                               g.b.getIndexAttr(1)});
    return g.embed(tokens, w[0]);
  }
};

} // namespace

std::unique_ptr<Layer> mlir::rat::createEmbedding(LayerContext context) {
  return std::make_unique<Embedding>(std::move(context));
}
