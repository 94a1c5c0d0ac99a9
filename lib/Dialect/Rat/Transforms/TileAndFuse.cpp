//===- TileAndFuse.cpp - tile rat ops and fuse producers ------*- C++ -*-===//
//
// Implements -rat-tile-and-fuse on the upstream tile-and-fuse driver.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATTILEANDFUSE
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

/// True for a `linalg.generic` whose loops are all parallel (elementwise,
/// broadcast or transpose): fusing a tile of it recomputes nothing.
static bool isParallelGeneric(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && generic.getNumLoops() == generic.getNumParallelLoops();
}

/// True when a result of `op` has a static zero dimension. Such an op
/// computes (almost) nothing and is left whole for the loop lowering: its
/// tiles would slice a zero-sized dimension at offset 0, which the slice
/// verifier rejects as out of bounds.
static bool hasEmptyResult(Operation *op) {
  return llvm::any_of(op->getResultTypes(), [](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    return shaped && shaped.hasRank() && llvm::is_contained(shaped.getShape(), 0);
  });
}

/// Producers worth fusing into a rat tile loop.
static bool isFusableProducer(Operation *op) {
  if (hasEmptyResult(op))
    return false;
  if (isa<tensor::EmptyOp, linalg::FillOp, linalg::TransposeOp,
          linalg::BroadcastOp>(op) ||
      isParallelGeneric(op))
    return true;
  // Attention results are consumed whole by their users' tiles; the other rat
  // ops are cheap per tile.
  return isa<RmsNormOp, RopeOp, ChunkScanOp, ChunkScanStepOp>(op);
}

/// An elementwise producer read only by decode-step scans (the gate, which
/// the value and key scans of a step both read): fused into each of their
/// loops, it is computed once per reader, which costs far less than a
/// kernel of its own between them.
static bool isRecomputedPerStep(Operation *op) {
  // A step being tiled reads it through the slices of its tiles.
  std::function<bool(Operation *)> readByStep = [&](Operation *user) {
    if (isa<ChunkScanStepOp>(user))
      return true;
    return isa<tensor::ExtractSliceOp>(user) &&
           llvm::all_of(user->getUsers(), readByStep);
  };
  return isParallelGeneric(op) && !op->use_empty() &&
         llvm::all_of(op->getUsers(), readByStep);
}

/// The slice feeds a key or value operand of an attention op: every query
/// tile reads the whole key sequence, so fusing would recompute it per tile.
static bool feedsAttentionKeys(tensor::ExtractSliceOp slice) {
  for (OpOperand &use : slice->getUses()) {
    Operation *user = use.getOwner();
    if (auto attn = dyn_cast<ChunkAttentionOp>(user))
      if (use.get() == attn.getKey() || use.get() == attn.getValue())
        return true;
    if (auto attn = dyn_cast<WindowAttentionOp>(user))
      if (use.get() == attn.getKey() || use.get() == attn.getValue())
        return true;
  }
  return false;
}

namespace {
struct RatTileAndFusePass : rat::impl::RatTileAndFuseBase<RatTileAndFusePass> {
  using Base::Base;

  /// Tile sizes for `op` over its iteration domain: its `rat.tile_sizes`
  /// attribute, else the option for its kind, padded with 0 (not tiled).
  SmallVector<int64_t> tileSizesFor(TilingInterface op) {
    size_t rank = op.getLoopIteratorTypes().size();
    SmallVector<int64_t> sizes;
    if (auto attr = op->getAttrOfType<DenseI64ArrayAttr>("rat.tile_sizes")) {
      sizes.assign(attr.asArrayRef().begin(), attr.asArrayRef().end());
    } else {
      ArrayRef<int64_t> option =
          TypeSwitch<Operation *, ArrayRef<int64_t>>(op)
              .Case<ChunkScanOp>(
                  [&](auto) { return ArrayRef<int64_t>(scanTileSizes); })
              .Case<ChunkAttentionOp, WindowAttentionOp>(
                  [&](auto) { return ArrayRef<int64_t>(attentionTileSizes); })
              .Case<RmsNormOp>(
                  [&](auto) { return ArrayRef<int64_t>(normTileSizes); })
              .Case<RopeOp>(
                  [&](auto) { return ArrayRef<int64_t>(ropeTileSizes); })
              .Default([&](auto) { return ArrayRef<int64_t>(stepTileSizes); });
      sizes.assign(option.begin(), option.end());
    }
    sizes.resize(rank, 0);
    return sizes;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<TilingInterface> roots;
    func.walk([&](TilingInterface op) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(op.getOperation());
      // rat.matmul keeps its whole iteration space: rat-matmul-to-mma tiles
      // it for tensor cores on buffers. Ops that rat-select-kernels gave a
      // dedicated kernel stay whole for their kernel pass.
      if (isa<RatDialect>(op->getDialect()) && dps &&
          dps.hasPureTensorSemantics() && !isa<MatmulOp>(op) &&
          !hasEmptyResult(op)) {
        std::optional<KernelFamily> family = getKernelFamily(op);
        if (family && *family != KernelFamily::loops)
          return;
        roots.push_back(op);
      }
    });

    IRRewriter rewriter(&getContext());
    llvm::DenseSet<Operation *> erased;
    // Consumers first, so that their producers can be fused into them.
    for (TilingInterface root : llvm::reverse(roots)) {
      if (erased.contains(root))
        continue;
      SmallVector<int64_t> sizes = tileSizesFor(root);
      if (auto negative = llvm::find_if(sizes, [](int64_t s) { return s < 0; });
          negative != sizes.end()) {
        root->emitError("rat-tile-and-fuse: tile size ")
            << *negative << " for loop " << (negative - sizes.begin())
            << " must be >= 0 (0 leaves the loop untiled)";
        return signalPassFailure();
      }
      if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
        continue;

      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
      tiling.setLoopType(useForall ? scf::SCFTilingOptions::LoopType::ForallOp
                                   : scf::SCFTilingOptions::LoopType::ForOp);
      // Producers whose every user is the root or another such producer:
      // fusing them computes nothing twice.
      llvm::SmallPtrSet<Operation *, 16> local;
      local.insert(root);
      SetVector<Operation *> producers;
      BackwardSliceOptions sliceOptions;
      // The filter also sees the root, where the walk starts.
      Operation *rootOp = root.getOperation();
      sliceOptions.filter = [rootOp](Operation *op) {
        return op == rootOp || isFusableProducer(op);
      };
      (void)getBackwardSlice(root.getOperation(), &producers, sliceOptions);
      for (Operation *op : llvm::reverse(producers))
        if (llvm::all_of(op->getUsers(),
                         [&](Operation *user) { return local.contains(user); }))
          local.insert(op);

      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      options.setFusionControlFn(
          [&local](tensor::ExtractSliceOp slice, OpResult producer,
                   bool isDestination)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            Operation *op = producer.getOwner();
            if (!isFusableProducer(op) || feedsAttentionKeys(slice))
              return std::nullopt;
            // A producer with users outside this loop nest would be computed
            // again in each of their loops: keep it as its own (tiled) op.
            if (!isa<tensor::EmptyOp, linalg::FillOp>(op) &&
                !local.contains(op) && !isRecomputedPerStep(op))
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });

      rewriter.setInsertionPoint(root);
      FailureOr<scf::SCFTileAndFuseResult> result =
          scf::tileConsumerAndFuseProducersUsingSCF(rewriter, root, options);
      if (failed(result)) {
        std::string list;
        llvm::raw_string_ostream os(list);
        llvm::interleaveComma(sizes, os);
        InFlightDiagnostic diag =
            root->emitError("rat-tile-and-fuse: tiling failed with tile "
                            "sizes [")
            << list << "]";
        // The one shape rule the tiles themselves impose (groupTile).
        if (isa<ChunkAttentionOp, WindowAttentionOp, ChunkAttentionStepOp,
                WindowAttentionStepOp>(root) &&
            sizes.size() > 1 && sizes[1] > 1)
          diag.attachNote()
              << "head h reads query and key group h mod G: a tile of "
              << sizes[1]
              << " heads must hold whole groups or lie within one (G divides "
                 "the tile size or the tile size divides G), which needs "
                 "static group counts; tile the heads by 1, or not at all "
                 "(0)";
        return signalPassFailure();
      }
      for (OpResult r : root->getResults())
        rewriter.replaceAllUsesWith(r, result->replacements.lookup(r));
      // The strategy attribute was for this op, not for its tiles.
      for (Operation *tiled : result->tiledAndFusedOps)
        tiled->removeAttr("rat.tile_sizes");
      erased.insert(root);
      rewriter.eraseOp(root);
      // Producers fused into the loop nest are dead unless used elsewhere;
      // the driver leaves their now-unused slices behind.
      for (Operation *producer : result->fusedProducers) {
        if (erased.contains(producer))
          continue;
        for (Operation *user : llvm::make_early_inc_range(producer->getUsers()))
          if (isa<tensor::ExtractSliceOp>(user) && user->use_empty())
            rewriter.eraseOp(user);
        if (producer->use_empty()) {
          erased.insert(producer);
          rewriter.eraseOp(producer);
        }
      }
    }
  }
};
} // namespace
