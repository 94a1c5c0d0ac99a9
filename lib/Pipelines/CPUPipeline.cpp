//===- CPUPipeline.cpp - rat graph to LLVM for the host -------*- C++ -*-===//
//
// Builds and registers the host pipeline `rat-to-cpu` and its stages.
//
//===----------------------------------------------------------------------===//

#include "rat/Pipelines/Pipelines.h"

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::rat;

/// Appends an upstream textual pipeline; a parse failure is a bug in this
/// file, not a user error.
static void addPipeline(OpPassManager &pm, StringRef pipeline) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    llvm::report_fatal_error(llvm::Twine("rat: bad built-in pipeline '") +
                             pipeline + "': " + error);
}

/// `dest = option`, or `fallback` when the option was not given.
template <typename List>
static void copyOr(ArrayRef<int64_t> option, ArrayRef<int64_t> fallback,
                   List &dest) {
  ArrayRef<int64_t> from = option.empty() ? fallback : option;
  dest.assign(from.begin(), from.end());
}

void mlir::rat::buildRatGraphToTiledPipeline(
    OpPassManager &pm, const RatPipelineOptions &options) {
  //===--------------------------------------------------------------------===//
  // Graph level: rat + linalg + tensor ops on tensors.
  //===--------------------------------------------------------------------===//
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createCanonicalizerPass());
  fpm.addPass(createRatFuseElementwise());
  if (options.tile) {
    RatTileAndFuseOptions tiling;
    copyOr(options.scanTileSizes, {1, 4}, tiling.scanTileSizes);
    copyOr(options.attentionTileSizes, {1, 1, 64}, tiling.attentionTileSizes);
    copyOr(options.normTileSizes, {1, 64}, tiling.normTileSizes);
    copyOr(options.ropeTileSizes, {1, 1, 64}, tiling.ropeTileSizes);
    copyOr(options.stepTileSizes, {1}, tiling.stepTileSizes);
    fpm.addPass(createRatTileAndFuse(tiling));
  }
  fpm.addPass(createCanonicalizerPass());
  fpm.addPass(createCSEPass());
  //===--------------------------------------------------------------------===//
  // Tiled level: scf.forall loops around tiles of rat ops, on tensors.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatTiledToLoopsPipeline(OpPassManager &pm) {
  addPipeline(pm, "eliminate-empty-tensors,empty-tensor-to-alloc-tensor,"
                  "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map},"
                  "canonicalize");
  //===--------------------------------------------------------------------===//
  // Buffers: rat/linalg ops on memrefs; results are fresh, caller-owned
  // allocations (ownership-based deallocation).
  //===--------------------------------------------------------------------===//
  addPipeline(pm, "buffer-deallocation-pipeline");
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createRatLowerToLoops());
  addPipeline(fpm, "convert-linalg-to-loops,canonicalize,cse");
  //===--------------------------------------------------------------------===//
  // Kernel level: scf loops over scalar memref/arith/math code.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatLoopsToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createRatExposeEntryPoints());
  addPipeline(pm, "convert-bufferization-to-memref,"
                  "func.func(scf-forall-to-for,lower-affine,"
                  "convert-scf-to-cf),expand-strided-metadata,lower-affine,"
                  "convert-math-to-llvm,convert-math-to-libm,"
                  "finalize-memref-to-llvm,convert-arith-to-llvm,"
                  "convert-index-to-llvm,convert-cf-to-llvm,"
                  "convert-func-to-llvm,reconcile-unrealized-casts");
  //===--------------------------------------------------------------------===//
  // LLVM dialect: ready for mlir-translate --mlir-to-llvmir.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatToCPUPipeline(OpPassManager &pm,
                                      const RatPipelineOptions &options) {
  buildRatGraphToTiledPipeline(pm, options);
  buildRatTiledToLoopsPipeline(pm);
  buildRatLoopsToLLVMPipeline(pm);
}

void mlir::rat::registerRatPipelines() {
  PassPipelineRegistration<RatPipelineOptions>(
      "rat-to-cpu",
      "Lower a rat graph to the LLVM dialect for the host CPU: tile and "
      "fuse, bufferize, loops, LLVM",
      buildRatToCPUPipeline);
  PassPipelineRegistration<RatPipelineOptions>(
      "rat-graph-to-tiled",
      "Stage 1 of rat-to-cpu/rat-to-nvvm: fuse and tile rat graphs on tensors",
      buildRatGraphToTiledPipeline);
  PassPipelineRegistration<>(
      "rat-tiled-to-loops",
      "Stage 2 of rat-to-cpu: bufferize and lower rat/linalg ops to loops",
      buildRatTiledToLoopsPipeline);
  PassPipelineRegistration<>(
      "rat-loops-to-llvm",
      "Stage 3 of rat-to-cpu: loops on buffers to the LLVM dialect",
      buildRatLoopsToLLVMPipeline);
}
