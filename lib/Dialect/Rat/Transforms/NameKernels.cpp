//===- NameKernels.cpp - unique names for outlined kernels ----*- C++ -*-===//
//
// Implements -rat-name-kernels.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATNAMEKERNELS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
struct RatNameKernelsPass : rat::impl::RatNameKernelsBase<RatNameKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Old (module, kernel) reference -> new kernel name.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      StringAttr moduleName = gpuModule.getSymNameAttr();
      SmallVector<gpu::GPUFuncOp> kernels;
      for (auto func : gpuModule.getOps<gpu::GPUFuncOp>())
        if (func.isKernel())
          kernels.push_back(func);
      // Only a module with one kernel can lend it its (unique) name.
      if (kernels.size() != 1 || kernels[0].getName() == moduleName)
        continue;
      renamed[{moduleName, kernels[0].getNameAttr()}] = moduleName;
      kernels[0].setName(moduleName);
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it =
          renamed.find({kernel.getRootReference(), kernel.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          kernel.getRootReference(), {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};
} // namespace
