//===- HoistStaticAllocas.cpp - stack buffers at the scope entry -*- C++
//-*-===//
//
// Implements -rat-hoist-static-allocas and the hoisting it shares with
// rat-map-to-gpu.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATHOISTSTATICALLOCAS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

void mlir::rat::hoistStaticAllocas(Region &scope, RewriterBase &rewriter) {
  Block &entry = scope.front();
  Operation *owner = scope.getParentOp();
  // Statically sized buffers with no operands, in this scope (not in a
  // kernel nested in it, whose stack is another thread's).
  SmallVector<memref::AllocaOp> allocas;
  owner->walk([&](memref::AllocaOp alloca) {
    if (alloca->getBlock() == &entry || !alloca.getType().hasStaticShape() ||
        alloca->getNumOperands() != 0)
      return;
    if (auto launch = alloca->getParentOfType<gpu::LaunchOp>())
      if (launch != owner)
        return;
    allocas.push_back(alloca);
  });
  for (memref::AllocaOp alloca : allocas)
    alloca->moveBefore(&entry, entry.begin());
  // Alloca scopes left without a buffer are plain code.
  SmallVector<memref::AllocaScopeOp> scopes;
  owner->walk([&](memref::AllocaScopeOp s) { scopes.push_back(s); });
  for (memref::AllocaScopeOp s : llvm::reverse(scopes)) {
    bool hasAlloca = false;
    s.walk([&](memref::AllocaOp) { hasAlloca = true; });
    if (hasAlloca || s.getNumResults() != 0 || !s.getBodyRegion().hasOneBlock())
      continue;
    Block &body = s.getBodyRegion().front();
    rewriter.eraseOp(body.getTerminator());
    rewriter.inlineBlockBefore(&body, s);
    rewriter.eraseOp(s);
  }
}

/// Replaces an alloca scope by its body between a stack save and restore:
/// the lowering memref-to-llvm would make, done before the scope's loops
/// become unstructured control flow (which a scope cannot hold).
static void lowerAllocaScope(memref::AllocaScopeOp scope,
                             RewriterBase &rewriter) {
  Location loc = scope.getLoc();
  rewriter.setInsertionPoint(scope);
  Value saved = LLVM::StackSaveOp::create(
      rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()));
  Block &body = scope.getBodyRegion().front();
  rewriter.eraseOp(body.getTerminator());
  rewriter.inlineBlockBefore(&body, scope);
  LLVM::StackRestoreOp::create(rewriter, loc, saved);
  rewriter.eraseOp(scope);
}

namespace {
struct RatHoistStaticAllocasPass
    : rat::impl::RatHoistStaticAllocasBase<RatHoistStaticAllocasPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    rat::hoistStaticAllocas(getOperation().getBody(), rewriter);
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) {
      if (scope.getNumResults() == 0 && scope.getBodyRegion().hasOneBlock())
        scopes.push_back(scope);
    });
    // Inner scopes first, so each body is a single block when inlined.
    for (memref::AllocaScopeOp scope : scopes)
      lowerAllocaScope(scope, rewriter);
  }
};
} // namespace
