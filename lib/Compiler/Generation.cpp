//===- Generation.cpp - The generation state of an LM's decode step -------===//

#include "rat/Compiler/Generation.h"

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::rat;

ArrayRef<GenerationStateSpec> mlir::rat::getGenerationState() {
  using S = GenerationStateSpec;
  static const S state[] = {
      {"gen.logits", S::F32, "V", "the logits of each sequence's next token"},
      {"gen.position", S::I32, "", "the position of that token"},
      {"gen.finished", S::I32, "", "1 once the sequence emitted an eos id"},
      {"gen.temperature", S::F32, "", "sampling temperature (0: greedy)"},
      {"gen.top_k", S::I32, "", "top-k (0: off)"},
      {"gen.top_p", S::F32, "", "top-p (1: off)"},
      {"gen.seed", S::I64, "", "seed of the sequence's random stream"},
      {"gen.eos", S::I32, "E", "end-of-sequence ids (-1: unused)"},
  };
  return state;
}

Value mlir::rat::buildSample(OpBuilder &b, Location loc,
                             const GenerationState &state) {
  Value batch = tensor::DimOp::create(b, loc, state.logits, 0);
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{batch},
                                       b.getI32Type());
  return SampleOp::create(b, loc, TypeRange{init.getType()}, state.logits,
                          state.temperature, state.topK, state.topP,
                          state.seed, state.position, ValueRange{init})
      .getResult(0);
}

std::pair<Value, Value> mlir::rat::buildStopAtEos(OpBuilder &b, Location loc,
                                                  const GenerationState &state,
                                                  Value token) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  Value batch = tensor::DimOp::create(b, loc, token, 0);
  AffineExpr d0, d1;
  bindDims(ctx, d0, d1);
  // hit[b] = any_e token[b] == eos[b, e].
  Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  Value hitInit = linalg::FillOp::create(
                      b, loc, zero,
                      tensor::EmptyOp::create(
                          b, loc, ArrayRef<OpFoldResult>{batch}, i32)
                          .getResult())
                      .getResult(0);
  Value hit =
      linalg::GenericOp::create(
          b, loc, TypeRange{hitInit.getType()}, ValueRange{token, state.eos},
          ValueRange{hitInit},
          SmallVector<AffineMap>{AffineMap::get(2, 0, {d0}, ctx),
                                 AffineMap::get(2, 0, {d0, d1}, ctx),
                                 AffineMap::get(2, 0, {d0}, ctx)},
          {utils::IteratorType::parallel, utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location, ValueRange a) {
            Value same = arith::CmpIOp::create(
                nb, loc, arith::CmpIPredicate::eq, a[0], a[1]);
            Value one = arith::ExtUIOp::create(nb, loc, i32, same);
            linalg::YieldOp::create(
                nb, loc, ValueRange{arith::OrIOp::create(nb, loc, a[2], one)});
          })
          .getResult(0);
  // emitted = finished ? -1 : token; finished |= hit (in place).
  Value emittedInit = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{batch}, i32);
  AffineMap id = AffineMap::get(1, 0, {d0}, ctx);
  auto step = linalg::GenericOp::create(
      b, loc, TypeRange{emittedInit.getType(), state.finished.getType()},
      ValueRange{token, hit}, ValueRange{emittedInit, state.finished},
      SmallVector<AffineMap>(4, id), {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location, ValueRange a) {
        Value done = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::ne,
                                           a[3], zero);
        Value none =
            arith::ConstantOp::create(nb, loc, nb.getI32IntegerAttr(-1));
        Value emitted = arith::SelectOp::create(nb, loc, done, none, a[0]);
        Value finished = arith::OrIOp::create(nb, loc, a[3], a[1]);
        linalg::YieldOp::create(nb, loc, ValueRange{emitted, finished});
      });
  return {step.getResult(0), step.getResult(1)};
}

Value mlir::rat::buildAdvance(OpBuilder &b, Location loc, Value position) {
  MLIRContext *ctx = b.getContext();
  AffineExpr d0;
  bindDims(ctx, d0);
  return linalg::GenericOp::create(
             b, loc, TypeRange{position.getType()}, ValueRange{},
             ValueRange{position},
             SmallVector<AffineMap>{AffineMap::get(1, 0, {d0}, ctx)},
             {utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location, ValueRange a) {
               Value one =
                   arith::ConstantOp::create(nb, loc, nb.getI32IntegerAttr(1));
               linalg::YieldOp::create(
                   nb, loc, ValueRange{arith::AddIOp::create(nb, loc, a[0], one)});
             })
      .getResult(0);
}

Value mlir::rat::buildPromptPositions(OpBuilder &b, Location loc,
                                      Value lengths, Value tokens) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  Value batch = tensor::DimOp::create(b, loc, lengths, 0);
  Value t = arith::IndexCastOp::create(
      b, loc, i32, tensor::DimOp::create(b, loc, tokens, 1));
  Value init =
      tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{batch}, i32);
  AffineExpr d0;
  bindDims(ctx, d0);
  AffineMap id = AffineMap::get(1, 0, {d0}, ctx);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{lengths},
             ValueRange{init}, SmallVector<AffineMap>{id, id},
             {utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location, ValueRange a) {
               Value one =
                   arith::ConstantOp::create(nb, loc, nb.getI32IntegerAttr(1));
               Value clamped = arith::MaxSIOp::create(
                   nb, loc, arith::MinSIOp::create(nb, loc, a[0], t), one);
               linalg::YieldOp::create(nb, loc, ValueRange{clamped});
             })
      .getResult(0);
}
