//===- DedupKernels.cpp - merge identical outlined kernels ----*- C++ -*-===//
//
// Implements -rat-dedup-kernels: outlined gpu.modules whose contents are
// identical up to their names are merged; every gpu.launch_func is
// redirected to the first of them. A model repeats the same layer kernels
// once per layer and entry, so this divides the kernels to compile and
// embed (and the compile time) by about the number of layers.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATDEDUPKERNELS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
struct RatDedupKernelsPass
    : rat::impl::RatDedupKernelsBase<RatDedupKernelsPass> {
  /// The module's text with its own name and its kernel's name replaced by
  /// placeholders (restored before returning).
  static std::string canonicalText(gpu::GPUModuleOp gpuModule,
                                   gpu::GPUFuncOp kernel) {
    StringAttr moduleName = gpuModule.getSymNameAttr();
    StringAttr kernelName = kernel.getNameAttr();
    MLIRContext *ctx = gpuModule.getContext();
    gpuModule.setSymNameAttr(StringAttr::get(ctx, "__rat_module"));
    kernel.setName("__rat_kernel");
    std::string text;
    llvm::raw_string_ostream os(text);
    gpuModule->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
    gpuModule.setSymNameAttr(moduleName);
    kernel.setName(kernelName);
    return text;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<SymbolRefAttr> first;
    // Old kernel reference -> the kept one.
    DenseMap<SymbolRefAttr, SymbolRefAttr> redirect;
    SmallVector<gpu::GPUModuleOp> dead;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      auto funcs = gpuModule.getOps<gpu::GPUFuncOp>();
      // Only single-kernel modules (what gpu-kernel-outlining makes).
      if (!llvm::hasSingleElement(funcs))
        continue;
      gpu::GPUFuncOp kernel = *funcs.begin();
      if (!kernel.isKernel())
        continue;
      SymbolRefAttr ref =
          SymbolRefAttr::get(gpuModule.getSymNameAttr(),
                             {FlatSymbolRefAttr::get(kernel.getNameAttr())});
      std::string key = canonicalText(gpuModule, kernel);
      auto [it, inserted] = first.try_emplace(key, ref);
      if (inserted)
        continue;
      redirect[ref] = it->second;
      dead.push_back(gpuModule);
    }
    if (dead.empty())
      return;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = redirect.find(launch.getKernel());
      if (it != redirect.end())
        launch.setKernelAttr(it->second);
    });
    // Any other use of a merged module keeps it. The uses are collected in
    // one walk (asking per module walked the whole module each time, which
    // made the pass quadratic in the kernels: ~25 s for a 4-layer 1.3B-wide
    // LM, most of its compile time at 24 layers).
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(module.getOperation());
    if (!uses)
      return; // Unknown ops that may hold uses: keep every module.
    DenseSet<StringAttr> used;
    for (const SymbolTable::SymbolUse &use : *uses)
      used.insert(use.getSymbolRef().getRootReference());
    for (gpu::GPUModuleOp gpuModule : dead)
      if (!used.contains(gpuModule.getSymNameAttr()))
        gpuModule.erase();
  }
};
} // namespace
