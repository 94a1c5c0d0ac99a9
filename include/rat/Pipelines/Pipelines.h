//===- Pipelines.h - rat compilation pipelines ------------------*- C++ -*-===//
//
// The pipelines that take a rat graph to LLVM for the host CPU (and, in
// later stages, to NVVM for NVIDIA GPUs). rat-opt registers them and
// rat-compile runs the same stages one at a time.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_PIPELINES_PIPELINES_H
#define RAT_PIPELINES_PIPELINES_H

#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "rat/Target/Chip.h"

#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/SmallVector.h"

#include <functional>

#include <string>

namespace mlir {
class OpPassManager;
namespace rat {

/// Options shared by the rat pipelines: the tiling strategy.
struct RatPipelineOptions : public PassPipelineOptions<RatPipelineOptions> {
  PassOptions::Option<bool> tile{
      *this, "tile",
      llvm::cl::desc(
          "Tile rat ops and fuse their producers (rat-tile-and-fuse)"),
      llvm::cl::init(true)};
  PassOptions::ListOption<int64_t> scanTileSizes{
      *this, "scan-tile-sizes",
      llvm::cl::desc("rat.chunk_scan tile sizes over [batch..., chunks, N] "
                     "(default 1,4)")};
  PassOptions::ListOption<int64_t> attentionTileSizes{
      *this, "attention-tile-sizes",
      llvm::cl::desc("attention tile sizes over [B, H, Tq] (default 1,1,64)")};
  PassOptions::ListOption<int64_t> normTileSizes{
      *this, "norm-tile-sizes",
      llvm::cl::desc("rat.rms_norm tile sizes over [batch...] (default 1,64)")};
  PassOptions::ListOption<int64_t> ropeTileSizes{
      *this, "rope-tile-sizes",
      llvm::cl::desc("rat.rope tile sizes over [batch..., T] (default "
                     "1,1,64)")};
  PassOptions::ListOption<int64_t> stepTileSizes{
      *this, "step-tile-sizes",
      llvm::cl::desc("decode-step tile sizes over [B, ...] (default 1)")};

  /// Stage pipelines only: build the GPU variant of the stage (the full
  /// pipelines know their target).
  PassOptions::Option<bool> gpu{
      *this, "gpu",
      llvm::cl::desc("Stage pipelines: GPU tiling defaults and parallel "
                     "loops"),
      llvm::cl::init(false)};

  /// rat-to-cpu only: compile the GPU kernels' code for the host (GPU
  /// tiling, parallel loops, rat-map-to-gpu, then the launches run as host
  /// loops), so the kernels' numbers can be checked without a GPU.
  PassOptions::Option<bool> emulateGpu{
      *this, "emulate-gpu",
      llvm::cl::desc("rat-to-cpu: run the GPU kernels' code on the host"),
      llvm::cl::init(false)};

  // rat-to-nvvm only.
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture (a chip of include/rat/Target/Chip.h, "
                     "or a comma-separated list: kernels every listed chip "
                     "runs, a cubin per chip with format=fatbin; default "
                     "sm_90a)"),
      llvm::cl::init(defaultChip().str())};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (default: the chip's minimum PTX "
                     "version)"),
      llvm::cl::init("")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level", llvm::cl::desc("Optimization level of the kernels"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary: isa (PTX, JIT-compiled by the driver), "
                     "bin (cubin, needs ptxas) or fatbin (a cubin per chip "
                     "and the lowest chip's PTX, needs ptxas and fatbinary)"),
      llvm::cl::init("bin")};
  PassOptions::Option<bool> mma{
      *this, "mma",
      llvm::cl::desc("rat-to-nvvm: tensor-core and other dedicated kernels "
                     "(rat-select-kernels tensor-cores=...)"),
      llvm::cl::init(true)};
  PassOptions::ListOption<int64_t> mmaTileSizes{
      *this, "mma-tile-sizes",
      llvm::cl::desc("rat-select-kernels: mma.sync GEMMs' large tile M,N,K "
                     "(default: the pass's)")};
  PassOptions::ListOption<int64_t> mmaWarps{
      *this, "mma-warps",
      llvm::cl::desc("rat-select-kernels: mma.sync GEMMs' large-tile warp "
                     "grid along M,N (default: the pass's)")};
  PassOptions::Option<int64_t> mmaStages{
      *this, "mma-stages",
      llvm::cl::desc("rat-select-kernels: mma.sync GEMMs' pipeline stages "
                     "(default: the pass's)"),
      llvm::cl::init(RatSelectKernelsOptions().mmaStages)};
  PassOptions::Option<int64_t> stepSplitStates{
      *this, "step-split-states",
      llvm::cl::desc("rat-select-kernels: the fewest cached states of a "
                     "split decode attention step (0: never split; default: "
                     "the pass's)"),
      llvm::cl::init(RatSelectKernelsOptions().stepSplitStates)};
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size", llvm::cl::desc("Threads per block of mapped loops"),
      llvm::cl::init(256)};
};

/// Checks the option values the pipelines cannot use, before any pass runs:
/// negative tile sizes, a block size outside [1, 1024], an opt-level outside
/// [0, 3], a format other than isa, bin or fatbin, an unknown chip (or a
/// chip list with format=bin), mma-stages below 2. The
/// message names the option and its value.
LogicalResult verifyRatPipelineOptions(const RatPipelineOptions &options,
                                       std::string &error);

/// Graph level -> tiled level: canonicalization, elementwise fusion and
/// tile-and-fuse of the rat ops into scf.forall loops on tensors. The GPU
/// default tiles are one iteration per tile (one thread each).
void buildRatGraphToTiledPipeline(OpPassManager &pm,
                                  const RatPipelineOptions &options,
                                  bool gpu = false);

/// Tiled level -> buffers and loops: one-shot bufferization (function
/// boundaries included), buffer deallocation, rat and linalg ops to loops
/// (parallel loops for the GPU).
/// With `mma`, the ops rat-select-kernels gave a dedicated kernel become
/// those kernels first (rat-matmul-to-mma and the other kernel passes).
/// With `gpu`, elementwise generics take 16-byte accesses
/// (rat-vectorize-elementwise), declared aligned with `alignedAccesses`.
/// With `emulateSteps` (and not `mma`), the decode steps rat-select-kernels
/// gave the step kernel become its host-emulated form
/// (rat-step-ops-to-gpu{emulate}).
void buildRatTiledToLoopsPipeline(OpPassManager &pm, bool gpu = false,
                                  bool mma = false,
                                  bool alignedAccesses = false,
                                  bool emulateSteps = false);

/// Parallel loops on buffers -> GPU kernels: loops mapped to gpu.launch
/// (rat-map-to-gpu) and outlined into gpu.module.
void buildRatLoopsToKernelsPipeline(OpPassManager &pm,
                                    const RatPipelineOptions &options);

/// Parallel loops on buffers -> kernels run as host loops (GPU emulation):
/// rat-map-to-gpu, then rat-launch-to-loops.
void buildRatLoopsToEmulatedKernelsPipeline(OpPassManager &pm,
                                            const RatPipelineOptions &options);

/// Kernels -> one gpu.module (rat-merge-kernel-modules) -> NVVM, serialized
/// to PTX, a cubin or a fatbin (for every chip of `chip`); host code to the
/// LLVM dialect.
void buildRatKernelsToNVVMPipeline(OpPassManager &pm,
                                   const RatPipelineOptions &options);

/// The whole GPU pipeline: the stages of getRatPipelineStages(options, GPU).
void buildRatToNVVMPipeline(OpPassManager &pm,
                            const RatPipelineOptions &options);

/// Loops on buffers -> LLVM dialect for the host, with C interfaces on the
/// public functions.
void buildRatLoopsToLLVMPipeline(OpPassManager &pm);

/// The whole host pipeline: the stages of getRatPipelineStages(options, CPU).
void buildRatToCPUPipeline(OpPassManager &pm,
                           const RatPipelineOptions &options);

/// The IR level a pipeline stage ends at.
enum class RatLevel {
  /// scf.forall tiles of rat ops on tensors.
  Tiled,
  /// Buffers and loops; on the GPU outlined kernels and their launches.
  Kernel,
  /// The LLVM dialect (host code; gpu.binary kernels on the GPU).
  LLVM
};

/// One stage of rat-to-cpu or rat-to-nvvm.
struct RatPipelineStage {
  RatLevel level;
  /// Its name in rat-compile's phase timings (`tiled`, `kernel`, `to-llvm`,
  /// `to-nvvm`).
  llvm::StringRef name;
  std::function<void(OpPassManager &)> build;
};

/// Which of the two pipelines.
enum class RatPipelineTarget { CPU, GPU };

/// The stages of rat-to-cpu (with `emulate-gpu`, the GPU kernels' code run as
/// host loops) or of rat-to-nvvm, in order: the only place that composes
/// them. The registered pipelines run them back to back; rat-compile runs
/// them one at a time and stops after the level --emit names.
llvm::SmallVector<RatPipelineStage>
getRatPipelineStages(const RatPipelineOptions &options,
                     RatPipelineTarget target);

/// Registers `rat-to-cpu` (and the stage pipelines) with the pass registry.
void registerRatPipelines();

} // namespace rat
} // namespace mlir

#endif // RAT_PIPELINES_PIPELINES_H
