//===- SelectKernels.cpp - per-op kernel decisions ------------*- C++ -*-===//
//
// Implements -rat-select-kernels: the GPU pipeline's one decision of which
// kernel family implements each op, and with which configuration, recorded
// as `rat.kernel` (see RatAttrs.td). The default configurations of every
// kernel family live here and nowhere else (but the default of the
// mma-stages option, in Passes.td, which the pipelines' options take).
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "rat/Target/Chip.h"

#include "AttentionKernels.h"
#include "MMAUtils.h"
#include "MatmulKernels.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATSELECTKERNELS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

namespace {
/// The GEMM configurations, from the largest tile down, and the number of
/// blocks each needs to be chosen at run time.
struct GemmDefaults {
  /// sm_90a: 128x256x64 tiles of 2 consumer warpgroups, 4 stages, used when
  /// there is at least one block per SM.
  static KernelAttr wgmma(MLIRContext *ctx, const ChipInfo &chip) {
    return KernelAttr::get(ctx, KernelFamily::wgmma, {128, 256, 64}, {},
                           /*warpgroups=*/2, /*stages=*/4, /*splitK=*/1,
                           /*groupM=*/8, /*minBlocks=*/chip.smCount,
                           /*blocks=*/0);
  }
  /// The large mma.sync tile and its warp grid where the options give none.
  static constexpr int64_t kLargeTile[] = {128, 256, 64};
  static constexpr int64_t kLargeWarps[] = {2, 4};
  /// mma.sync: the large tile (by default kLargeTile of kLargeWarps, 3
  /// stages: the mma-stages option's default), when it gives two blocks per
  /// SM.
  static KernelAttr mmaLarge(MLIRContext *ctx, const ChipInfo &chip,
                             ArrayRef<int64_t> tile, ArrayRef<int64_t> warps,
                             int64_t stages) {
    return KernelAttr::get(ctx, KernelFamily::mma_sync, tile, warps, 0, stages,
                           1, 1, 2 * chip.smCount, 0);
  }
  /// Some hundreds of rows: 128x128x64 tiles of 8 warps (64x32 each), when
  /// they give one block per SM.
  static KernelAttr mmaMedium(MLIRContext *ctx, const ChipInfo &chip) {
    return KernelAttr::get(ctx, KernelFamily::mma_sync, {128, 128, 64}, {2, 4},
                           0, 3, 1, 1, chip.smCount, 0);
  }
  /// Few rows (decode steps, short prompts): 64x64x64 tiles of 4 warps, K
  /// split in up to 32 slices until about two blocks per SM run.
  static KernelAttr mmaSmall(MLIRContext *ctx, const ChipInfo &chip) {
    return KernelAttr::get(ctx, KernelFamily::mma_sync, {64, 64, 64}, {2, 2},
                           0, 3, /*splitK=*/32, 1, 0,
                           /*blocks=*/2 * chip.smCount);
  }
};

/// Few rows (decode steps): the gemv kernel built for `rows` rows of x, with
/// `rowsPerBlock` rows of w per block of the most warps (up to 8) that split
/// K = `k` evenly into 16-byte chunks (else as many warps as K has chunks
/// for a whole warp, at least one).
KernelAttr gemvDefault(MLIRContext *ctx, int64_t rows, int64_t rowsPerBlock,
                       int64_t k) {
  int64_t chunks = k / GemvConfig::kChunk;
  int64_t warps = 8;
  while (warps > 1 && chunks % (32 * warps) != 0)
    warps /= 2;
  if (chunks % 32 != 0)
    for (warps = 1; warps < 8 && chunks >= 64 * warps;)
      warps *= 2;
  return KernelAttr::get(ctx, KernelFamily::gemv, {rows, rowsPerBlock},
                         {warps}, 0, 0, 1, 1, 0, 0);
}

/// Whether the kernel decision `variant` is one the chip (or every chip of
/// a list: `chip` is then their common capabilities) can run.
std::string chipUnsupported(KernelAttr variant, const ChipInfo &chip) {
  if ((variant.getFamily() == KernelFamily::wgmma ||
       isWgmmaAttention(variant)) &&
      chip.mma != MmaGeneration::Wgmma) {
    if (chip.name.contains(','))
      return "wgmma kernels need sm_90a, and every chip of " +
             chip.name.str() +
             " runs the same kernels (compile with --chip sm_90a alone, or "
             "choose mma_sync)";
    return "wgmma kernels need sm_90a; this is " + chip.name.str() +
           " (compile with --chip sm_90a, or choose mma_sync)";
  }
  return "";
}

struct RatSelectKernelsPass
    : rat::impl::RatSelectKernelsBase<RatSelectKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Several chips share the host code, so every one of them runs the
    // kernels decided here: decide for what they have in common.
    std::string error;
    SmallVector<const ChipInfo *, 2> chips = parseChipList(this->chip, error);
    if (chips.empty()) {
      getOperation().emitError("rat-select-kernels: chip ") << error;
      return signalPassFailure();
    }
    ChipInfo common = commonChipInfo(chips, this->chip);
    const ChipInfo *chip = &common;
    if (!mmaTileSizes.empty() && mmaTileSizes.size() != 3) {
      getOperation().emitError(
          "rat-select-kernels: mma-tile-sizes takes 3 values (M, N, K)");
      return signalPassFailure();
    }
    if (!mmaWarps.empty() && mmaWarps.size() != 2) {
      getOperation().emitError(
          "rat-select-kernels: mma-warps takes 2 values (along M, along N)");
      return signalPassFailure();
    }
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      if (!isa<RatDialect>(op->getDialect()) || !mma::isHostLevel(op))
        return;
      if (op->hasAttr(kKernelAttrName)) {
        if (std::string why = checkOverride(op, *chip); !why.empty()) {
          op->emitError("rat-select-kernels: cannot honour rat.kernel: ")
              << why;
          failed = true;
        }
        return;
      }
      if (!tensorCores)
        return;
      Attribute decision = decide(op, *chip);
      if (!decision)
        return;
      if (!families.empty()) {
        auto first = dyn_cast<KernelAttr>(decision);
        if (auto list = dyn_cast<ArrayAttr>(decision))
          first = cast<KernelAttr>(list[0]);
        StringRef family = stringifyKernelFamily(first.getFamily());
        if (!llvm::is_contained(families, family.str()))
          return;
      }
      op->setAttr(kKernelAttrName, decision);
    });
    if (failed)
      signalPassFailure();
  }

  /// The default decision for `op` on `chip`, or null (generic path).
  Attribute decide(Operation *op, const ChipInfo &chip) {
    MLIRContext *ctx = op->getContext();
    auto one = [&](KernelFamily family) {
      return KernelAttr::get(ctx, family, {}, {}, 0, 0, 1, 1, 0, 0);
    };
    if (auto matmul = dyn_cast<MatmulOp>(op)) {
      SmallVector<Attribute> variants;
      auto consider = [&](KernelAttr variant) {
        if (chipUnsupported(variant, chip).empty() &&
            matmulKernelUnsupported(matmul, variant,
                                    chip.sharedMemoryPerBlock)
                .empty())
          variants.push_back(variant);
      };
      // One row (a batch-1 decode step). A variant built for 8 rows (2 w
      // rows per block) was slower than torch.matmul at M = 8 on 4 of the 5
      // 1.3B shapes (H200): more rows keep the tensor-core variants.
      int64_t k = cast<ShapedType>(matmul.getWeight().getType()).getDimSize(1);
      if (!ShapedType::isDynamic(k))
        consider(gemvDefault(ctx, 1, 4, k));
      size_t gemvs = variants.size();
      if (chip.mma == MmaGeneration::Wgmma)
        consider(GemmDefaults::wgmma(ctx, chip));
      else
        consider(GemmDefaults::mmaLarge(
            ctx, chip,
            mmaTileSizes.empty() ? ArrayRef<int64_t>(GemmDefaults::kLargeTile)
                                 : ArrayRef<int64_t>(mmaTileSizes),
            mmaWarps.empty() ? ArrayRef<int64_t>(GemmDefaults::kLargeWarps)
                             : ArrayRef<int64_t>(mmaWarps),
            mmaStages));
      // The medium tile is redundant when the large one has its shape.
      KernelAttr medium = GemmDefaults::mmaMedium(ctx, chip);
      auto sameTile = [&](Attribute a) {
        ArrayRef<int64_t> t = cast<KernelAttr>(a).getTile();
        return t[0] == medium.getTile()[0] && t[1] == medium.getTile()[1];
      };
      if (variants.size() == gemvs || !sameTile(variants[gemvs]))
        consider(medium);
      consider(GemmDefaults::mmaSmall(ctx, chip));
      // A gemv kernel takes only few rows: some tiled variant must follow.
      if (variants.size() == gemvs)
        return nullptr;
      return ArrayAttr::get(ctx, variants);
    }
    if (auto attn = dyn_cast<ChunkAttentionOp>(op)) {
      if (!canLowerChunkAttentionToMMA(attn))
        return nullptr;
      // sm_90a: the wgmma kernel where it takes the head sizes.
      KernelAttr wgmma = AttentionWgmmaConfig::defaultAttr(ctx);
      if (chip.mma == MmaGeneration::Wgmma &&
          AttentionWgmmaConfig::from(wgmma)
              .unsupported(attn, chip.sharedMemoryPerBlock)
              .empty())
        return wgmma;
      return one(KernelFamily::attention_mma);
    }
    if (auto attn = dyn_cast<WindowAttentionOp>(op))
      return canLowerWindowAttentionToMMA(attn)
                 ? one(KernelFamily::attention_mma)
                 : nullptr;
    if (isa<RmsNormOp, RopeOp, SampleOp>(op))
      return canLowerRowOpToGPU(op) ? one(KernelFamily::row) : nullptr;
    if (canLowerStepOpToGPU(op)) {
      // Split decode steps: about 4 blocks of 4 warps per SM, at most 64
      // splits (the merge kernel's warps then fold at most 4 groups each).
      if (stepSplitStates < 1)
        return one(KernelFamily::step);
      return KernelAttr::get(ctx, KernelFamily::step, {stepSplitStates.getValue()}, {},
                             0, 0, /*split_k=*/64, 1, 0,
                             /*blocks=*/4 * int64_t(chip.smCount));
    }
    return nullptr;
  }

  /// Why a `rat.kernel` written in the input cannot be used, or empty.
  std::string checkOverride(Operation *op, const ChipInfo &chip) {
    SmallVector<KernelAttr> variants = getKernelVariants(op);
    if (variants.empty())
      return "rat.kernel must be a #rat.kernel or an array of them";
    if (variants.size() > 1 && !isa<MatmulOp>(op))
      return "only rat.matmul takes several variants";
    if (variants.back().getFamily() == KernelFamily::gemv)
      return "a gemv kernel takes only M <= " +
             std::to_string(variants.back().getTile()[0]) +
             " rows: the last variant must take any row count";
    for (KernelAttr variant : variants) {
      if (std::string why = chipUnsupported(variant, chip); !why.empty())
        return why;
      KernelFamily family = variant.getFamily();
      std::string name = stringifyKernelFamily(family).str();
      if (family == KernelFamily::loops)
        continue;
      if (auto matmul = dyn_cast<MatmulOp>(op)) {
        if (std::string why = matmulKernelUnsupported(
                matmul, variant, chip.sharedMemoryPerBlock);
            !why.empty())
          return name + ": " + why;
        continue;
      }
      bool ok = false;
      if (isWgmmaAttention(variant)) {
        auto attn = dyn_cast<ChunkAttentionOp>(op);
        if (!attn)
          return "the wgmma attention kernel takes rat.chunk_attention only";
        if (std::string why = AttentionWgmmaConfig::from(variant).unsupported(
                attn, chip.sharedMemoryPerBlock);
            !why.empty())
          return name + ": " + why;
      }
      if (auto attn = dyn_cast<ChunkAttentionOp>(op))
        ok = family == KernelFamily::attention_mma &&
             canLowerChunkAttentionToMMA(attn);
      else if (auto attn = dyn_cast<WindowAttentionOp>(op))
        ok = family == KernelFamily::attention_mma &&
             canLowerWindowAttentionToMMA(attn);
      else if (isa<RmsNormOp, RopeOp, SampleOp>(op))
        ok = family == KernelFamily::row && canLowerRowOpToGPU(op);
      else
        ok = family == KernelFamily::step && canLowerStepOpToGPU(op);
      if (!ok)
        return "no " + name + " kernel for '" +
               op->getName().getStringRef().str() +
               "' with these operand types and shapes";
    }
    return "";
  }
};
} // namespace
