//===- MergeKernelModules.cpp - one gpu.module for all kernels -*- C++ -*-===//
//
// Implements -rat-merge-kernel-modules (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATMERGEKERNELMODULES
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
struct RatMergeKernelModulesPass
    : rat::impl::RatMergeKernelModulesBase<RatMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources(module.getOps<gpu::GPUModuleOp>());
    if (sources.empty())
      return;
    gpu::GPUModuleOp first = sources.front();
    for (gpu::GPUModuleOp source : sources) {
      if (source.getTargetsAttr() != first.getTargetsAttr() ||
          source.getOffloadingHandlerAttr() !=
              first.getOffloadingHandlerAttr()) {
        source.emitError("rat-merge-kernel-modules: gpu.module @")
            << source.getName() << " has other targets or another offloading "
            << "handler than @" << first.getName()
            << "; merge the modules before nvvm-attach-target";
        return signalPassFailure();
      }
    }

    SymbolTable topTable(module);
    OpBuilder builder(first);
    auto merged = gpu::GPUModuleOp::create(builder, first.getLoc(), "kernels",
                                           first.getTargetsAttr(),
                                           first.getOffloadingHandlerAttr());
    merged->setDiscardableAttrs(first->getDiscardableAttrDictionary());
    // A top-level symbol named `kernels` (a user function) keeps its name.
    topTable.insert(merged, Block::iterator(first.getOperation()));
    SymbolTable mergedTable(merged);

    // (old module, symbol) -> the symbol's name in the merged module.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> moved;
    for (gpu::GPUModuleOp source : sources) {
      SymbolTable sourceTable(source);
      // Rename clashing symbols inside their own module first, so that the
      // uses there follow.
      for (Operation &op : llvm::make_early_inc_range(*source.getBody())) {
        StringAttr name = SymbolTable::getSymbolName(&op);
        if (!name || !mergedTable.lookup(name))
          continue;
        FailureOr<StringAttr> renamed =
            sourceTable.renameToUnique(&op, {&mergedTable});
        if (failed(renamed)) {
          op.emitError("rat-merge-kernel-modules: cannot rename @")
              << name.getValue();
          return signalPassFailure();
        }
        moved[{source.getSymNameAttr(), name}] = *renamed;
      }
      for (Operation &op : llvm::make_early_inc_range(*source.getBody())) {
        StringAttr name = SymbolTable::getSymbolName(&op);
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        if (name) {
          mergedTable.insert(&op);
          moved.try_emplace({source.getSymNameAttr(), name}, name);
        }
      }
    }

    // Point the launches at the merged module.
    StringAttr mergedName = merged.getSymNameAttr();
    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it = moved.find(
          {kernel.getRootReference(), kernel.getLeafReference()});
      if (it == moved.end()) {
        launch.emitError("rat-merge-kernel-modules: the kernel ")
            << kernel << " is not in a gpu.module of this module";
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(SymbolRefAttr::get(
          mergedName, {FlatSymbolRefAttr::get(it->second)}));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    for (gpu::GPUModuleOp source : sources) {
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(source.getSymNameAttr(), module);
      if (uses && !uses->empty()) {
        uses->begin()->getUser()->emitError(
            "rat-merge-kernel-modules: a use of gpu.module @")
            << source.getName() << " other than gpu.launch_func";
        return signalPassFailure();
      }
      source.erase();
    }
  }
};
} // namespace
