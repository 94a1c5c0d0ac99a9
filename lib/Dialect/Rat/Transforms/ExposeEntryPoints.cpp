//===- ExposeEntryPoints.cpp - C interface on public functions -*- C++ -*-===//
//
// Implements -rat-expose-entry-points.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATEXPOSEENTRYPOINTS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
struct RatExposeEntryPointsPass
    : rat::impl::RatExposeEntryPointsBase<RatExposeEntryPointsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(&getContext()));
  }
};
} // namespace
