//===- Pipelines.cpp - rat-to-cpu and rat-to-nvvm -------------*- C++ -*-===//
//
// Builds and registers the host pipeline `rat-to-cpu`, the GPU pipeline
// `rat-to-nvvm` and their stages.
//
//===----------------------------------------------------------------------===//

#include "rat/Pipelines/Pipelines.h"

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

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

LogicalResult
mlir::rat::verifyRatPipelineOptions(const RatPipelineOptions &options,
                                    std::string &error) {
  auto fail = [&](const Twine &message) {
    error = message.str();
    return failure();
  };
  for (auto [name, sizes] :
       {std::pair<StringRef, ArrayRef<int64_t>>{"scan-tile-sizes",
                                                options.scanTileSizes},
        {"attention-tile-sizes", options.attentionTileSizes},
        {"norm-tile-sizes", options.normTileSizes},
        {"rope-tile-sizes", options.ropeTileSizes},
        {"step-tile-sizes", options.stepTileSizes}})
    for (int64_t size : sizes)
      if (size < 0)
        return fail(name + " must be >= 0 (0 leaves a loop untiled), got " +
                    Twine(size));
  std::string chipError;
  SmallVector<const ChipInfo *, 2> chips =
      parseChipList(options.chip, chipError);
  if (chips.empty())
    return fail("chip " + chipError);
  if (options.blockSize < 1 || options.blockSize > 1024)
    return fail("block-size must be between 1 and 1024 (threads per block), "
                "got " +
                Twine(options.blockSize));
  if (options.optLevel < 0 || options.optLevel > 3)
    return fail("opt-level must be 0, 1, 2 or 3, got " +
                Twine(options.optLevel));
  if (options.format != "isa" && options.format != "bin" &&
      options.format != "fatbin")
    return fail("format must be isa, bin or fatbin, got '" +
                options.format.getValue() + "'");
  // gpu.binary embeds one object: several chips' cubins go into one fatbin.
  if (chips.size() > 1 && options.format == "bin")
    return fail("chip lists several chips (" + options.chip.getValue() +
                "): format=bin holds one chip's cubin, use format=fatbin "
                "(a cubin per chip in one fatbin) or isa");
  if (options.stepSplitStates < 0)
    return fail("step-split-states must be >= 0 (0: never split), got " +
                Twine(options.stepSplitStates));
  if (options.mmaStages < 2)
    return fail("mma-stages must be >= 2, got " + Twine(options.mmaStages));
  for (auto [name, values] : {std::pair<StringRef, ArrayRef<int64_t>>{
                                  "mma-tile-sizes", options.mmaTileSizes},
                              {"mma-warps", options.mmaWarps}})
    for (int64_t value : values)
      if (value < 1)
        return fail(name + " must be >= 1, got " + Twine(value));
  return success();
}

void mlir::rat::buildRatGraphToTiledPipeline(OpPassManager &pm,
                                             const RatPipelineOptions &options,
                                             bool gpu) {
  //===--------------------------------------------------------------------===//
  // Graph level: rat + linalg + tensor ops on tensors.
  //===--------------------------------------------------------------------===//
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createCanonicalizerPass());
  // GPU: projections become rat.matmul (tensor-core kernels on buffers)
  // before elementwise fusion can merge their casts into other ops.
  if (gpu)
    fpm.addPass(createRatFormMatmul());
  fpm.addPass(createRatFuseElementwise());
  // GPU: the kernel decision of every op, read by tiling and the kernel
  // passes. The host emulation takes the decode-step kernels alone (their
  // blocks of one thread run on the host); the rest is the generic kernels.
  if (gpu) {
    RatSelectKernelsOptions selection;
    selection.chip = options.chip;
    selection.tensorCores = options.mma;
    copyOr(options.mmaTileSizes, {}, selection.mmaTileSizes);
    copyOr(options.mmaWarps, {}, selection.mmaWarps);
    selection.mmaStages = options.mmaStages;
    selection.stepSplitStates = options.stepSplitStates;
    if (options.emulateGpu)
      selection.families = {"step"};
    fpm.addPass(createRatSelectKernels(selection));
  }
  if (options.tile) {
    RatTileAndFuseOptions tiling;
    // CPU: a few tiles per core-sized chunk of work. GPU: one iteration per
    // tile, so each tile becomes one thread.
    copyOr(options.scanTileSizes,
           gpu ? ArrayRef<int64_t>{1, 1, 1} : ArrayRef<int64_t>{1, 4},
           tiling.scanTileSizes);
    copyOr(options.attentionTileSizes,
           gpu ? ArrayRef<int64_t>{1, 1, 1} : ArrayRef<int64_t>{1, 1, 64},
           tiling.attentionTileSizes);
    copyOr(options.normTileSizes,
           gpu ? ArrayRef<int64_t>{1, 1} : ArrayRef<int64_t>{1, 64},
           tiling.normTileSizes);
    copyOr(options.ropeTileSizes,
           gpu ? ArrayRef<int64_t>{1, 1, 1} : ArrayRef<int64_t>{1, 1, 64},
           tiling.ropeTileSizes);
    copyOr(options.stepTileSizes,
           gpu ? ArrayRef<int64_t>{1, 1} : ArrayRef<int64_t>{1},
           tiling.stepTileSizes);
    fpm.addPass(createRatTileAndFuse(tiling));
  }
  fpm.addPass(createCanonicalizerPass());
  fpm.addPass(createCSEPass());
  //===--------------------------------------------------------------------===//
  // Tiled level: scf.forall loops around tiles of rat ops, on tensors.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatTiledToLoopsPipeline(OpPassManager &pm, bool gpu,
                                             bool mma, bool alignedAccesses,
                                             bool emulateSteps) {
  addPipeline(pm, "eliminate-empty-tensors,empty-tensor-to-alloc-tensor,"
                  "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map},"
                  "canonicalize");
  // Decode states written into their argument buffers are not returned.
  pm.addPass(createRatInPlaceState());
  // Head splits read through strided views where their readers allow.
  pm.addNestedPass<func::FuncOp>(createRatPermutationCopiesToViews());
  //===--------------------------------------------------------------------===//
  // Buffers: rat/linalg ops on memrefs; results are fresh, caller-owned
  // allocations (ownership-based deallocation).
  //===--------------------------------------------------------------------===//
  addPipeline(pm, "buffer-deallocation-pipeline");
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  if (mma) {
    fpm.addPass(createRatMatmulToMMA());
    fpm.addPass(createRatChunkAttentionToMMA());
    // The decode attention steps first: they apply the ropes of their
    // query and key themselves where they can (no rope kernel).
    fpm.addPass(createRatStepOpsToGPU());
    fpm.addPass(createRatRowOpsToGPU());
  } else if (emulateSteps) {
    RatStepOpsToGPUOptions steps;
    steps.emulate = true;
    fpm.addPass(createRatStepOpsToGPU(steps));
  }
  RatLowerToLoopsOptions loops;
  loops.parallelLoops = gpu;
  fpm.addPass(createRatLowerToLoops(loops));
  if (gpu) {
    // 16-byte accesses for the elementwise ops between the kernels; declared
    // aligned on the GPU (device buffers are), not in the host emulation.
    RatVectorizeElementwiseOptions vectorize;
    vectorize.alignedAccesses = alignedAccesses;
    fpm.addPass(createRatVectorizeElementwise(vectorize));
  }
  addPipeline(fpm, gpu ? "convert-linalg-to-parallel-loops,canonicalize,cse"
                       : "convert-linalg-to-loops,canonicalize,cse");
  //===--------------------------------------------------------------------===//
  // Kernel level: scf loops over scalar memref/arith/math code.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatLoopsToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createRatExposeEntryPoints());
  addPipeline(pm, "convert-bufferization-to-memref,"
                  "func.func(rat-shrink-buffer-lifetimes,scf-forall-to-for,"
                  "rat-hoist-static-allocas,"
                  "lower-affine,convert-scf-to-cf),expand-strided-metadata,"
                  "lower-affine,"
                  // bf16 <-> f32 as integer code: the host's libgcc may
                  // lack __truncsfbf2.
                  "arith-emulate-unsupported-floats{source-types=bf16 "
                  "target-type=f32},arith-expand{include-bf16=true},"
                  "convert-math-to-llvm,convert-math-to-libm,"
                  // The 16-byte accesses of rat-vectorize-elementwise (the
                  // host emulation of the GPU kernels).
                  "convert-vector-to-llvm,"
                  // memref.alloc calls the runtime's
                  // _mlir_memref_to_llvm_alloc, which reports running out
                  // of memory instead of returning null (OutOfMemory.h).
                  "finalize-memref-to-llvm{use-generic-functions=true},"
                  "convert-arith-to-llvm,"
                  "convert-index-to-llvm,convert-cf-to-llvm,"
                  "convert-func-to-llvm,reconcile-unrealized-casts");
  //===--------------------------------------------------------------------===//
  // LLVM dialect: ready for mlir-translate --mlir-to-llvmir.
  //===--------------------------------------------------------------------===//
}

SmallVector<RatPipelineStage>
mlir::rat::getRatPipelineStages(const RatPipelineOptions &options,
                                RatPipelineTarget target) {
  // The stages keep a copy of the options: callers may build them later.
  auto opts = std::make_shared<RatPipelineOptions>();
  opts->copyOptionValuesFrom(options);
  bool gpu = target == RatPipelineTarget::GPU;
  // The host emulation of the GPU kernels compiles like the GPU up to the
  // kernels, then for the host.
  bool emulate = !gpu && options.emulateGpu;
  bool gpuKernels = gpu || emulate;
  SmallVector<RatPipelineStage> stages;
  stages.push_back({RatLevel::Tiled, "tiled", [=](OpPassManager &pm) {
                      buildRatGraphToTiledPipeline(pm, *opts, gpuKernels);
                    }});
  stages.push_back({RatLevel::Kernel, "kernel", [=](OpPassManager &pm) {
                      buildRatTiledToLoopsPipeline(pm, gpuKernels,
                                                   gpu && opts->mma, gpu,
                                                   emulate);
                      if (gpu)
                        buildRatLoopsToKernelsPipeline(pm, *opts);
                      else if (emulate)
                        buildRatLoopsToEmulatedKernelsPipeline(pm, *opts);
                    }});
  if (gpu)
    stages.push_back({RatLevel::LLVM, "to-nvvm", [=](OpPassManager &pm) {
                        buildRatKernelsToNVVMPipeline(pm, *opts);
                      }});
  else
    stages.push_back({RatLevel::LLVM, "to-llvm", [](OpPassManager &pm) {
                        buildRatLoopsToLLVMPipeline(pm);
                      }});
  return stages;
}

/// All stages of `target` back to back.
static void buildStages(OpPassManager &pm, const RatPipelineOptions &options,
                        RatPipelineTarget target) {
  for (const RatPipelineStage &stage : getRatPipelineStages(options, target))
    stage.build(pm);
}

void mlir::rat::buildRatToCPUPipeline(OpPassManager &pm,
                                      const RatPipelineOptions &options) {
  buildStages(pm, options, RatPipelineTarget::CPU);
}

/// The mapping of parallel loops onto a grid, shared by the GPU pipeline and
/// its host emulation.
static void addMapToGPU(OpPassManager &pm, const RatPipelineOptions &options) {
  addPipeline(pm, "convert-bufferization-to-memref");
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createRatShrinkBufferLifetimes());
  addPipeline(fpm, "scf-forall-to-parallel");
  RatMapToGPUOptions mapping;
  mapping.blockSize = options.blockSize;
  fpm.addPass(createRatMapToGPU(mapping));
}

void mlir::rat::buildRatLoopsToEmulatedKernelsPipeline(
    OpPassManager &pm, const RatPipelineOptions &options) {
  addMapToGPU(pm, options);
  //===--------------------------------------------------------------------===//
  // Kernels: gpu.launch ops whose bodies are one thread's work.
  //===--------------------------------------------------------------------===//
  // No canonicalization after this: it would inline the per-thread alloca
  // scopes and let dynamically sized thread buffers pile up on the stack.
  pm.nest<func::FuncOp>().addPass(createRatLaunchToLoops());
  //===--------------------------------------------------------------------===//
  // Host loops over blocks and threads around the kernels' code.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatLoopsToKernelsPipeline(
    OpPassManager &pm, const RatPipelineOptions &options) {
  //===--------------------------------------------------------------------===//
  // Kernels: every outermost parallel loop becomes a gpu.launch.
  //===--------------------------------------------------------------------===//
  addMapToGPU(pm, options);
  addPipeline(pm, "canonicalize,cse");
  pm.nest<func::FuncOp>().addPass(createRatSinkIntoLaunches());
  addPipeline(pm, "gpu-kernel-outlining");
  pm.addPass(createRatNameKernels());
  pm.addPass(createRatApplyLaunchBounds());
  pm.addPass(createRatDedupKernels());
  //===--------------------------------------------------------------------===//
  // Outlined kernels in gpu.module, host code launching them.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatKernelsToNVVMPipeline(
    OpPassManager &pm, const RatPipelineOptions &options) {
  pm.addPass(createRatExposeEntryPoints());
  // One gpu.module for all kernels: one binary per model.
  pm.addPass(createRatMergeKernelModules());
  // One NVVM target per chip, each with the chip's minimum PTX version
  // unless features are given. The options were verified (an unknown chip
  // is an error before any pass runs); rat-select-kernels chose kernels
  // every chip of the list runs.
  std::string chipError;
  std::string targets;
  for (const ChipInfo *chip : parseChipList(options.chip, chipError)) {
    std::string features = options.features.empty()
                               ? chip->ptxFeatures.str()
                               : options.features.getValue();
    targets += "nvvm-attach-target{chip=" + chip->name.str() +
               " features=" + features +
               " O=" + std::to_string(options.optLevel) + "},";
  }
  addPipeline(pm, "lower-affine,convert-scf-to-cf," + targets +
                      "expand-strided-metadata,lower-affine,"
                      "gpu.module(convert-nvgpu-to-nvvm,convert-gpu-to-nvvm,"
                      "convert-nvvm-to-llvm,canonicalize,cse,"
                      "reconcile-unrealized-casts,rat-extern-dynamic-shared)");
  // Host allocations are device buffers: memref.alloc calls the runtime's
  // _mlir_memref_to_llvm_alloc, which the CUDA runtime maps to cuMemAlloc.
  // Host-side nvgpu ops (TMA descriptors of the wgmma kernels) become calls
  // to the runtime's mgpuTensorMapEncodeTiledMemref.
  addPipeline(pm, "func.func(convert-nvgpu-to-nvvm),"
                  "convert-math-to-llvm,convert-math-to-libm,"
                  "finalize-memref-to-llvm{use-generic-functions=true},"
                  "convert-arith-to-llvm,convert-index-to-llvm,"
                  "convert-cf-to-llvm,convert-func-to-llvm,"
                  "gpu-to-llvm,reconcile-unrealized-casts");
  // fatbin: every chip's cubin and the lowest chip's PTX in one object
  // (upstream's format=fatbin makes one fatbin per target).
  if (options.format == "fatbin")
    pm.addPass(createRatGpuModuleToFatbin());
  else
    addPipeline(pm, "gpu-module-to-binary{format=" +
                        options.format.getValue() + "}");
  addPipeline(pm, "canonicalize,cse");
  //===--------------------------------------------------------------------===//
  // LLVM dialect host code + gpu.binary; translation emits the mgpu* calls.
  //===--------------------------------------------------------------------===//
}

void mlir::rat::buildRatToNVVMPipeline(OpPassManager &pm,
                                       const RatPipelineOptions &options) {
  buildStages(pm, options, RatPipelineTarget::GPU);
}

/// Registers a pipeline whose options are checked with
/// verifyRatPipelineOptions, so that `rat-opt --rat-to-cpu='block-size=0'`
/// is an error naming the option instead of a broken or crashing pipeline.
static void registerRatPipeline(
    StringRef arg, StringRef description,
    std::function<void(OpPassManager &, const RatPipelineOptions &)> builder) {
  registerPassPipeline(
      arg, description,
      [builder, arg = arg.str()](
          OpPassManager &pm, StringRef text,
          function_ref<LogicalResult(const Twine &)> errorHandler) {
        RatPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        std::string error;
        if (failed(verifyRatPipelineOptions(options, error)))
          return errorHandler("'" + arg + "' options: " + error);
        builder(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optHandler) {
        optHandler(RatPipelineOptions());
      });
}

void mlir::rat::registerRatPipelines() {
  registerRatPipeline(
      "rat-to-cpu",
      "Lower a rat graph to the LLVM dialect for the host CPU: tile and "
      "fuse, bufferize, loops, LLVM",
      buildRatToCPUPipeline);
  registerRatPipeline(
      "rat-to-nvvm",
      "Lower a rat graph to GPU kernels (NVVM, serialized to cubin or PTX) "
      "and LLVM host code that launches them",
      buildRatToNVVMPipeline);
  registerRatPipeline(
      "rat-graph-to-tiled",
      "Stage 1 of rat-to-cpu: fuse and tile rat graphs on tensors",
      [](OpPassManager &pm, const RatPipelineOptions &options) {
        buildRatGraphToTiledPipeline(pm, options, options.gpu);
      });
  registerRatPipeline(
      "rat-loops-to-kernels",
      "Stage 3 of rat-to-nvvm: parallel loops on buffers to outlined GPU "
      "kernels",
      buildRatLoopsToKernelsPipeline);
  registerRatPipeline(
      "rat-kernels-to-nvvm",
      "Stage 4 of rat-to-nvvm: kernels to NVVM and binaries, host code to "
      "the LLVM dialect",
      buildRatKernelsToNVVMPipeline);
  registerRatPipeline(
      "rat-tiled-to-loops",
      "Stage 2: bufferize and lower rat/linalg ops to loops (parallel loops "
      "with gpu=true)",
      [](OpPassManager &pm, const RatPipelineOptions &options) {
        buildRatTiledToLoopsPipeline(
            pm, options.gpu, options.gpu && options.mma && !options.emulateGpu,
            options.gpu && !options.emulateGpu,
            options.gpu && options.emulateGpu);
      });
  PassPipelineRegistration<>(
      "rat-loops-to-llvm",
      "Stage 3 of rat-to-cpu: loops on buffers to the LLVM dialect",
      buildRatLoopsToLLVMPipeline);
}
