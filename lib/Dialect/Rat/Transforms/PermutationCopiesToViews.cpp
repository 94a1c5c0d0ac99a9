//===- PermutationCopiesToViews.cpp - layout copies as addressing -*- C++ -*-//
//
// Implements -rat-permutation-copies-to-views: a linalg.generic on buffers
// that only copies its input through a permutation (a head split
// `[B, T, H, Dh] -> [B, H, T, Dh]`) into a fresh allocation is replaced by
// a memref.transpose view of its input when every reader of the copy
// accepts a strided buffer: loops address any layout, and a dedicated
// kernel (rat.kernel) must still accept its operands with the view in place
// (the same check its kernel pass makes). The readers then read the
// producer's buffer directly; the copy's round trip through memory is gone.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "BufferAliasing.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATPERMUTATIONCOPIESTOVIEWS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

namespace {

/// For a linalg op on buffers (linalg.generic, linalg.transpose) that copies
/// its one input into its identity-indexed output: how the output's
/// indices map to the input's, if that is a permutation (the identity where
/// the map differs from it only in dimensions of extent 1 on both sides:
/// `(d0, d1, d2 mod 256)` over a [1, L, 1] tile of a key tiling copy).
std::optional<AffineMap> copyPermutation(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != op.getNumParallelLoops())
    return std::nullopt;
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (body->getOperations().size() != 1 ||
      yield.getValues()[0] != body->getArgument(0) || !maps[1].isIdentity())
    return std::nullopt;
  AffineMap map = maps[0];
  if (map.isPermutation())
    return map;
  // Dimensions of extent 1 in the output and the input index 0 alone.
  auto inType = cast<MemRefType>(op.getDpsInputOperand(0)->get().getType());
  auto outType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  if (inType.getShape() != outType.getShape() ||
      map.getNumResults() != map.getNumDims())
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  SmallVector<AffineExpr> dims;
  for (int64_t d = 0; d < outType.getRank(); ++d)
    dims.push_back(outType.getDimSize(d) == 1 ? getAffineConstantExpr(0, ctx)
                                              : getAffineDimExpr(d, ctx));
  AffineMap folded = simplifyAffineMap(
      map.replaceDimsAndSymbols(dims, {}, map.getNumDims(), 0));
  for (auto [d, result] : llvm::enumerate(folded.getResults()))
    if (result != dims[d])
      return std::nullopt;
  return AffineMap::getMultiDimIdentityMap(map.getNumDims(), ctx);
}

/// Whether `op`, with a strided view in place of a contiguous operand, is
/// still implemented by the kernel recorded for it. Loops (no rat.kernel,
/// or the loops family) address any layout.
bool keepsItsKernel(Operation *op) {
  std::optional<KernelFamily> family = getKernelFamily(op);
  if (!family || *family == KernelFamily::loops)
    return true;
  if (auto attn = dyn_cast<ChunkAttentionOp>(op))
    return *family == KernelFamily::attention_mma &&
           canLowerChunkAttentionToMMA(attn);
  if (auto attn = dyn_cast<WindowAttentionOp>(op))
    return *family == KernelFamily::attention_mma &&
           canLowerWindowAttentionToMMA(attn);
  if (isa<RmsNormOp, RopeOp, SampleOp>(op))
    return *family == KernelFamily::row && canLowerRowOpToGPU(op);
  if (*family == KernelFamily::step)
    return canLowerStepOpToGPU(op);
  return false; // matmul kernels take dense rows
}

/// The uses of a copy's destination (directly or through subviews), by
/// kind.
struct DestinationUses {
  SmallVector<OpOperand *> reads;  // operands of ops that only read it
  SmallVector<OpOperand *> writes; // init operands (the buffer reused)
  SmallVector<Operation *> others; // any other user (return, calls, ...)
  SmallVector<memref::SubViewOp> subviews;
  SmallVector<memref::DimOp> dims;
};

/// Collects the uses of `buffer` (and of subviews of it) other than `copy`.
void collectUses(Value buffer, Operation *copy, DestinationUses &uses) {
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (user == copy)
      continue;
    if (auto dim = dyn_cast<memref::DimOp>(user)) {
      uses.dims.push_back(dim);
      continue;
    }
    if (auto subview = dyn_cast<memref::SubViewOp>(user)) {
      uses.subviews.push_back(subview);
      collectUses(subview.getResult(), copy, uses);
      continue;
    }
    auto dps = dyn_cast<DestinationStyleOpInterface>(user);
    if (!dps || !dps.hasPureBufferSemantics())
      uses.others.push_back(user);
    else
      (dps.isDpsInput(&use) ? uses.reads : uses.writes).push_back(&use);
  }
}

/// The ancestor of `op` in `block`, if any.
Operation *ancestorIn(Block *block, Operation *op) {
  return block->findAncestorOpInBlock(*op);
}

/// Replaces `copy` by a view of its input if that is safe; returns whether
/// it did. The uses of the destination up to the first op with buffer
/// semantics that writes it again (bufferization reuses dead buffers) take
/// the view; the allocation stays for that op and the uses after it.
bool replaceByView(linalg::LinalgOp copy, AffineMap permutation,
                   RewriterBase &rewriter) {
  Value source = copy.getDpsInputOperand(0)->get();
  Value dest = copy.getDpsInitOperand(0)->get();
  auto alloc = dest.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return false;
  DestinationUses uses;
  collectUses(dest, copy, uses);
  // Every use comes after the copy, in its block (so the view, made at the
  // copy, dominates what takes it).
  Block *block = copy->getBlock();
  auto position = [&](Operation *user) -> Operation * {
    Operation *inBlock = ancestorIn(block, user);
    return inBlock && copy->isBeforeInBlock(inBlock) ? inBlock : nullptr;
  };
  Operation *reuse = nullptr; // the first op writing the buffer again
  for (OpOperand *write : uses.writes) {
    Operation *at = position(write->getOwner());
    if (!at)
      return false;
    if (!reuse || at->isBeforeInBlock(reuse))
      reuse = at;
  }
  auto beforeReuse = [&](Operation *at) {
    return !reuse || at->isBeforeInBlock(reuse);
  };
  // Other users (a return of the buffer, a call) only see what the reuse
  // wrote.
  for (Operation *user : uses.others) {
    Operation *at = position(user);
    if (!at || beforeReuse(at))
      return false;
  }
  DestinationUses moved; // the uses that take the view
  Operation *last = copy;
  auto take = [&](Operation *user) -> FailureOr<bool> {
    Operation *at = position(user);
    if (!at)
      return failure();
    if (!beforeReuse(at))
      return false;
    if (last->isBeforeInBlock(at))
      last = at;
    return true;
  };
  // Splits `all` into the uses that take the view (`into`) and those after
  // the reuse; fails on a use before the copy.
  auto split = [&](auto &all, auto &into, auto ownerOf) {
    for (auto use : all) {
      FailureOr<bool> moves = take(ownerOf(use));
      if (failed(moves))
        return false;
      if (*moves)
        into.push_back(use);
    }
    return true;
  };
  if (!split(uses.reads, moved.reads,
             [](OpOperand *read) { return read->getOwner(); }) ||
      !split(uses.dims, moved.dims,
             [](memref::DimOp dim) { return dim.getOperation(); }))
    return false;
  for (memref::SubViewOp subview : uses.subviews) {
    FailureOr<bool> moves = take(subview);
    if (failed(moves))
      return false;
    if (!*moves)
      continue;
    // A subview taken before the reuse serves no use after it.
    for (Operation *user : subview->getUsers()) {
      Operation *at = position(user);
      if (!at || !beforeReuse(at))
        return false;
    }
    moved.subviews.push_back(subview);
  }
  if (moved.reads.empty())
    return false;
  // Nothing between the copy and the last read writes the source's memory.
  Value root = viewRoot(source);
  for (Operation *op = copy->getNextNode(); op; op = op->getNextNode()) {
    if (mayWrite(op, root))
      return false;
    if (op == last)
      break;
  }

  // The view: view[i] = source[map(i)], the copy's indexing of its input
  // (the source itself for the identity).
  rewriter.setInsertionPoint(copy);
  Value view = source;
  if (!permutation.isIdentity())
    view = memref::TransposeOp::create(rewriter, copy.getLoc(), source,
                                       AffineMapAttr::get(permutation));
  // Subviews are rebuilt on the view (their result layouts change).
  SmallVector<std::pair<memref::SubViewOp, memref::SubViewOp>> rebuilt;
  auto dropRebuilt = [&] {
    for (auto &entry : llvm::reverse(rebuilt))
      rewriter.eraseOp(entry.second);
    if (view != source)
      rewriter.eraseOp(view.getDefiningOp());
  };
  llvm::DenseMap<Value, Value> replacement{{dest, view}};
  for (memref::SubViewOp subview : moved.subviews) {
    rewriter.setInsertionPoint(subview);
    Value newSource = replacement.lookup(subview.getSource());
    auto newSubview = memref::SubViewOp::create(
        rewriter, subview.getLoc(), newSource, subview.getMixedOffsets(),
        subview.getMixedSizes(), subview.getMixedStrides());
    if (newSubview.getType().getRank() != subview.getType().getRank()) {
      rewriter.eraseOp(newSubview);
      dropRebuilt();
      return false;
    }
    replacement[subview.getResult()] = newSubview.getResult();
    rebuilt.push_back({subview, newSubview});
  }
  // Try the view on every reader; keep it only if each keeps its kernel.
  SmallVector<std::pair<OpOperand *, Value>> undo;
  for (OpOperand *read : moved.reads) {
    undo.push_back({read, read->get()});
    Value to = replacement.lookup(read->get());
    rewriter.modifyOpInPlace(read->getOwner(), [&] { read->set(to); });
  }
  bool accepted = llvm::all_of(moved.reads, [](OpOperand *read) {
    return keepsItsKernel(read->getOwner());
  });
  if (!accepted) {
    for (std::pair<OpOperand *, Value> &entry : llvm::reverse(undo))
      rewriter.modifyOpInPlace(entry.first->getOwner(),
                               [&] { entry.first->set(entry.second); });
    dropRebuilt();
    return false;
  }
  for (memref::DimOp dim : moved.dims)
    rewriter.modifyOpInPlace(dim, [&] {
      dim.getSourceMutable().set(replacement.lookup(dim.getSource()));
    });
  for (auto &entry : llvm::reverse(rebuilt))
    rewriter.eraseOp(entry.first);
  rewriter.eraseOp(copy);
  if (alloc->use_empty())
    rewriter.eraseOp(alloc);
  return true;
}

struct RatPermutationCopiesToViewsPass
    : rat::impl::RatPermutationCopiesToViewsBase<
          RatPermutationCopiesToViewsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, AffineMap>> copies;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<AffineMap> permutation = copyPermutation(op))
        copies.push_back({op, *permutation});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[copy, permutation] : copies)
      (void)replaceByView(copy, permutation, rewriter);
  }
};
} // namespace
