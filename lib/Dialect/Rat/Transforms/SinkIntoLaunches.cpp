//===- SinkIntoLaunches.cpp - index computations into gpu.launch -*- C++ -*-=//
//
// Implements -rat-sink-into-launches (see Passes.td): upstream's
// gpu-launch-sink-index-computations without its quadratic cost. The ops
// chosen and the order of their clones are upstream's
// (mlir::sinkOperationsIntoLaunchOp with its default choice); only the
// replacement differs: upstream replaces each sunk value through the whole
// use list of the original value (replaceAllUsesInRegionWith), so a
// constant that canonicalize + CSE share across a function with thousands of
// launches is visited once per launch. Here each launch body is walked once.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATSINKINTOLAUNCHES
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
/// Upstream's choice (GPU/Transforms/KernelOutlining.cpp,
/// isLikelyAnIndexComputation): ops whose values are cheaper to recompute in
/// the kernel than to pass.
bool isSinkingBeneficiary(Operation *op) {
  return matchPattern(op, m_Constant()) ||
         isa<memref::DimOp, arith::SelectOp, arith::CmpIOp>(op);
}

/// Upstream's extractBeneficiaryOps: adds `op` (after the ops it needs) to
/// `sunk` when it and its operands' producers can all be sunk or are
/// already passed (`passed`).
bool collectSunk(Operation *op, const SetVector<Value> &passed,
                 SetVector<Operation *> &sunk,
                 llvm::SmallPtrSetImpl<Value> &available) {
  if (sunk.count(op))
    return true;
  if (!isSinkingBeneficiary(op))
    return false;
  for (Value operand : op->getOperands()) {
    if (available.count(operand))
      continue;
    Operation *def = operand.getDefiningOp();
    if ((!def || !collectSunk(def, passed, sunk, available)) &&
        !passed.count(operand))
      return false;
  }
  sunk.insert(op);
  for (Value result : op->getResults())
    available.insert(result);
  return true;
}

void sinkIntoLaunch(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  SetVector<Value> passed;
  getUsedValuesDefinedAbove(body, passed);
  SetVector<Operation *> sunk;
  llvm::SmallPtrSet<Value, 4> available;
  for (Value value : passed)
    if (Operation *def = value.getDefiningOp())
      collectSunk(def, passed, sunk, available);
  if (sunk.empty())
    return;
  IRMapping clones;
  OpBuilder builder(body);
  for (Operation *op : sunk)
    builder.clone(*op, clones);
  // One walk of the body: every operand that is a sunk value takes its
  // clone (the clones' own operands were mapped by clone()).
  body.walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands())
      if (Value clone = clones.lookupOrNull(operand.get()))
        operand.set(clone);
  });
}

struct RatSinkIntoLaunchesPass
    : rat::impl::RatSinkIntoLaunchesBase<RatSinkIntoLaunchesPass> {
  void runOnOperation() override {
    getOperation().walk([](gpu::LaunchOp launch) { sinkIntoLaunch(launch); });
  }
};
} // namespace
