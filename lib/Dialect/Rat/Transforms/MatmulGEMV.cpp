//===- MatmulGEMV.cpp - rat.matmul for few rows at bandwidth --*- C++ -*-===//
//
// The `gemv` kernel family of rat-matmul-to-mma: out[M, N] = x[M, K] *
// w[N, K]^T for a few rows (decode steps), where the product is bound by
// streaming w once and the tensor-core tiles (64 rows of x per block, split
// K and a second summing kernel) waste most of their work and bandwidth.
//
// Kernel (`tile = [rows, rowsPerBlock]`, `warps = [warps]`):
//   - one block of 32 * warps threads per `rowsPerBlock` consecutive rows n
//     of w; the threads split K in 16-byte chunks (8 elements): chunk c of
//     a row is read by thread c % threads, so a warp reads 512 contiguous
//     bytes of every row per step (coalesced) and a block streams its rows
//     from start to end (when K / 8 is not a multiple of the threads, the
//     chunks past the end are replaced by zeros);
//   - per step a thread issues all its loads first (`unroll` chunks of
//     every w row and of the `rows` x rows: x is tiny and every block reads
//     it, so it comes from L1/L2), then accumulates in f32 (rows x
//     rowsPerBlock accumulators);
//   - the accumulators are summed over the warp with butterfly shuffles and
//     over the block's warps through shared memory; thread t < rows *
//     rowsPerBlock finishes output (t / rowsPerBlock, n0 + t %
//     rowsPerBlock), applies the fused epilogue and stores it.
// The kernel is built for a static `rows`: x rows past M are read as row
// M - 1 (no memory traffic beyond L1) and not stored. No split K: with N in
// the thousands there are enough blocks to keep every SM streaming.
//
// Norm fusion: when x is the result of a rat.rms_norm read by nothing but
// this matmul (findFusedNorm), the gemv kernels read the norm's input and
// weight g instead: the block's threads cover all of K, so with the sums of
// x_k * g_k * w_nk they also sum x_k^2 (one more value per row through the
// reductions), and the finishing thread scales by rsqrt(mean + eps). The
// tensor-core variants (more rows) still run the norm kernel first: the
// norm moves into their branch. Every block re-reads x (L2), which costs
// far less than a kernel launch and a round trip of x through memory.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "MMAUtils.h"
#include "MatmulKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

GemvConfig GemvConfig::from(KernelAttr attr) {
  GemvConfig cfg;
  cfg.rows = attr.getTile()[0];
  cfg.rowsPerBlock = attr.getTile()[1];
  cfg.warps = attr.getWarps()[0];
  return cfg;
}

std::string GemvConfig::invalid(int64_t n, int64_t k) const {
  if (rows < 1 || rowsPerBlock < 1 || warps < 1)
    return "rows, rows per block and warps must be positive";
  if (rows * rowsPerBlock > threads())
    return "rows x rows per block (" + std::to_string(rows * rowsPerBlock) +
           ") exceeds the block's " + std::to_string(threads()) + " threads";
  if (n % rowsPerBlock != 0)
    return "N (" + std::to_string(n) + ") is not a multiple of the rows per "
           "block (" + std::to_string(rowsPerBlock) + ")";
  if (k % kChunk != 0)
    return "K (" + std::to_string(k) + ") is not a multiple of " +
           std::to_string(kChunk);
  return "";
}

int64_t GemvConfig::chunksPerThread(int64_t k) const {
  return (k / kChunk + threads() - 1) / threads();
}

int64_t GemvConfig::unroll(int64_t k) const {
  int64_t chunks = chunksPerThread(k);
  int64_t best = 1;
  for (int64_t u = 1; u <= chunks; ++u)
    if (chunks % u == 0 && u * (rows + rowsPerBlock) <= kLoadsInFlight)
      best = u;
  return best;
}

std::optional<RmsNormOp> mlir::rat::findFusedNorm(MatmulOp op) {
  Operation *prev = op->getPrevNode();
  while (prev && isa<memref::AllocOp>(prev))
    prev = prev->getPrevNode();
  auto norm = dyn_cast_or_null<RmsNormOp>(prev);
  if (!norm)
    return std::nullopt;
  Value buf = norm.getInit();
  if (op.getInput() != buf || op.getWeight() == buf || op.getInit() == buf ||
      norm.getInput() == buf || norm.getWeight() == buf ||
      !buf.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  auto in = dyn_cast<MemRefType>(norm.getInput().getType());
  auto g = dyn_cast<MemRefType>(norm.getWeight().getType());
  auto res = dyn_cast<MemRefType>(buf.getType());
  if (!in || !g || !res || !mma::isContiguousOrTensor(in) ||
      !mma::isContiguousOrTensor(g) || !mma::isContiguousOrTensor(res) ||
      g.getRank() != 1 || in.getShape() != res.getShape() ||
      in.getElementType() != res.getElementType() ||
      g.getElementType() != res.getElementType() ||
      res.getElementType().getIntOrFloatBitWidth() != 16)
    return std::nullopt;
  // The normalised rows are not stored: nothing may read them later.
  if (!isUnreadAfter(buf, op, {norm.getOperation(), op.getOperation()}))
    return std::nullopt;
  return norm;
}

/// Whether 16-byte vectors along the last dimension of `type` stay aligned
/// at every row: unit last stride, static offset and outer strides that are
/// multiples of 16 bytes.
static bool rowsVectorAligned(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || strides.back() != 1)
    return false;
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  auto aligned = [&](int64_t v) {
    return !ShapedType::isDynamic(v) && (v * bytes) % 16 == 0;
  };
  if (!aligned(offset))
    return false;
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    if (type.getDimSize(d) != 1 && !aligned(strides[d]))
      return false;
  return true;
}

std::optional<linalg::GenericOp> mlir::rat::findFusedProducer(MatmulOp op) {
  Operation *prev = op->getPrevNode();
  while (prev && isa<memref::AllocOp>(prev))
    prev = prev->getPrevNode();
  auto generic = dyn_cast_or_null<linalg::GenericOp>(prev);
  Value x = op.getInput();
  if (!generic || !generic.hasPureBufferSemantics() ||
      generic.getNumDpsInits() != 1 || generic.getDpsInits()[0] != x ||
      op.getWeight() == x || op.getInit() == x)
    return std::nullopt;
  auto xType = cast<MemRefType>(x.getType());
  unsigned rank = xType.getRank();
  OpOperand *init = generic.getDpsInitOperand(0);
  if (generic.getNumLoops() != rank || generic.getNumParallelLoops() != rank ||
      !generic.getMatchingIndexingMap(init).isIdentity() ||
      !generic.getMatchingBlockArgument(init).use_empty())
    return std::nullopt;
  if (!hasScalarArithBody(generic))
    return std::nullopt;
  AffineMap lastDim = AffineMap::get(
      rank, 0, getAffineDimExpr(rank - 1, op.getContext()));
  for (OpOperand *input : generic.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(input->get().getType());
    AffineMap map = generic.getMatchingIndexingMap(input);
    if (!type || type.getMemorySpace() ||
        !isa<Float16Type, BFloat16Type, Float32Type>(type.getElementType()))
      return std::nullopt;
    bool rows = map.isIdentity() && type.getShape() == xType.getShape();
    bool column = map == lastDim && type.getRank() == 1;
    if ((!rows && !column) || !rowsVectorAligned(type))
      return std::nullopt;
  }
  // x is not stored: nothing may read it later.
  if (!isUnreadAfter(x, op, {generic.getOperation(), op.getOperation()}))
    return std::nullopt;
  return generic;
}

void mlir::rat::buildGemvLaunch(Location loc, Value x, Value w, Value out,
                                Value m, const GemvConfig &cfg,
                                RewriterBase &rewriter,
                                const MatmulEpilogue *epilogue,
                                const GemvNorm *norm,
                                const GemvProducer *producer) {
  IndexMath h{rewriter, loc};
  auto wType = cast<MemRefType>(w.getType());
  Type et = wType.getElementType();
  Type f32 = rewriter.getF32Type();
  int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
  const int64_t threads = cfg.threads(), rows = cfg.rows,
                perBlock = cfg.rowsPerBlock, outputs = rows * perBlock;
  // With a fused norm, x rows are the norm's input and the kernel also sums
  // their squares (one more value per x row through the reductions).
  if (norm)
    x = norm->input;
  const int64_t sums = outputs + (norm ? rows : 0);
  const int64_t unroll = cfg.unroll(k);
  const int64_t steps = cfg.chunksPerThread(k) / unroll;
  // Whether some threads have fewer chunks than others (K / 8 is not a
  // multiple of the threads): their missing chunks read chunk 0 and count
  // as zeros.
  const int64_t chunks = k / GemvConfig::kChunk;
  const bool ragged = chunks % threads != 0;

  Value one = h.c(1);
  auto sharedType = mma::sharedBuffer({cfg.warps, sums}, f32);
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, h.c(n / perBlock), one, one, h.c(threads), one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{sharedType});
  rewriter.setInsertionPointToStart(&launch.getBody().front());
  Value partial = launch.getWorkgroupAttributions()[0];
  Value tid = launch.getThreadIds().x;
  Value lane = h.rem(tid, 32), warp = h.div(tid, 32);
  Value n0 = h.mul(launch.getBlockIds().x, perBlock);
  // x rows past M read row M - 1 (cached; their sums are not stored).
  Value lastRow = arith::SubIOp::create(rewriter, loc, m, one);
  SmallVector<Value> xRows, wRows;
  for (int64_t i = 0; i < rows; ++i)
    xRows.push_back(i == 0 ? h.c(0) : h.min(h.c(i), lastRow));
  for (int64_t r = 0; r < perBlock; ++r)
    wRows.push_back(h.add(n0, r));

  auto vecType = VectorType::get({GemvConfig::kChunk}, et);
  auto vecF32 = VectorType::get({GemvConfig::kChunk}, f32);
  llvm::MaybeAlign align(16);
  auto contract = arith::FastMathFlagsAttr::get(rewriter.getContext(),
                                                arith::FastMathFlags::contract);
  Value zeroVec = arith::ConstantOp::create(
      rewriter, loc, vecType,
      DenseElementsAttr::get(vecType, rewriter.getZeroAttr(et)));
  // One step: `unroll` chunks of every w row and x row, loads first.
  auto step = [&](Value s, ArrayRef<Value> acc) {
    SmallVector<Value> next(acc);
    SmallVector<SmallVector<Value>> wv(unroll), xv(unroll), pv(unroll);
    SmallVector<Value> valid(unroll), gv(unroll);
    for (int64_t u = 0; u < unroll; ++u) {
      Value chunk = h.add(h.mul(h.add(h.mul(s, unroll), u), threads), tid);
      if (ragged) {
        valid[u] = h.lt(chunk, h.c(chunks));
        chunk = h.select(valid[u], chunk, h.c(0));
      }
      Value col = h.mul(chunk, GemvConfig::kChunk);
      for (int64_t r = 0; r < perBlock; ++r)
        wv[u].push_back(vector::LoadOp::create(
            rewriter, loc, vecType, w, ValueRange{wRows[r], col},
            /*nontemporal=*/false, align));
      for (int64_t i = 0; i < rows; ++i) {
        if (!producer) {
          xv[u].push_back(vector::LoadOp::create(
              rewriter, loc, vecType, x, ValueRange{xRows[i], col},
              /*nontemporal=*/false, align));
          continue;
        }
        // The producer's inputs instead of x, row i's chunk of each.
        for (Value in : producer->inputs) {
          auto inType = cast<MemRefType>(in.getType());
          SmallVector<Value> at{col};
          if (inType.getRank() == 2)
            at.insert(at.begin(), xRows[i]);
          pv[u].push_back(vector::LoadOp::create(
              rewriter, loc,
              VectorType::get({GemvConfig::kChunk}, inType.getElementType()),
              in, at, /*nontemporal=*/false, align));
        }
      }
      if (norm)
        gv[u] = vector::LoadOp::create(rewriter, loc, vecType, norm->weight,
                                       ValueRange{col},
                                       /*nontemporal=*/false, align);
    }
    if (ragged)
      for (int64_t u = 0; u < unroll; ++u) {
        for (Value &v : wv[u])
          v = arith::SelectOp::create(rewriter, loc, valid[u], v, zeroVec);
        // The squares of the norm must not count chunk 0 twice.
        if (norm)
          for (Value &v : xv[u])
            v = arith::SelectOp::create(rewriter, loc, valid[u], v, zeroVec);
      }
    auto lanes = [&](Value v) {
      Value wide = arith::ExtFOp::create(rewriter, loc, vecF32, v);
      SmallVector<Value> values;
      for (int64_t e = 0; e < GemvConfig::kChunk; ++e)
        values.push_back(vector::ExtractOp::create(rewriter, loc, wide,
                                                   ArrayRef<int64_t>{e}));
      return values;
    };
    for (int64_t u = 0; u < unroll; ++u) {
      SmallVector<SmallVector<Value>> wl, xl;
      for (Value v : wv[u])
        wl.push_back(lanes(v));
      for (Value v : xv[u])
        xl.push_back(lanes(v));
      if (producer) {
        // x[i][e] = body(inputs[i][e]), in the producer's types, widened.
        linalg::GenericOp generic = producer->generic;
        size_t numInputs = producer->inputs.size();
        for (int64_t i = 0; i < rows; ++i) {
          SmallVector<Value> values;
          for (int64_t e = 0; e < GemvConfig::kChunk; ++e) {
            SmallVector<Value> args;
            for (size_t j = 0; j < numInputs; ++j)
              args.push_back(vector::ExtractOp::create(
                  rewriter, loc, pv[u][i * numInputs + j],
                  ArrayRef<int64_t>{e}));
            Value v = cloneScalarBody(rewriter, generic, args);
            if (v.getType() != f32)
              v = arith::ExtFOp::create(rewriter, loc, f32, v);
            values.push_back(v);
          }
          xl.push_back(values);
        }
      }
      if (norm) {
        // Squares of the raw x, then x * g multiplies w.
        SmallVector<Value> gl = lanes(gv[u]);
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t e = 0; e < GemvConfig::kChunk; ++e) {
            Value &sq = next[outputs + i];
            Value p = arith::MulFOp::create(rewriter, loc, xl[i][e],
                                            xl[i][e], contract);
            sq = arith::AddFOp::create(rewriter, loc, sq, p, contract);
            xl[i][e] = arith::MulFOp::create(rewriter, loc, xl[i][e], gl[e]);
          }
      }
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t r = 0; r < perBlock; ++r) {
          Value &a = next[i * perBlock + r];
          for (int64_t e = 0; e < GemvConfig::kChunk; ++e) {
            Value p = arith::MulFOp::create(rewriter, loc, xl[i][e],
                                            wl[r][e], contract);
            a = arith::AddFOp::create(rewriter, loc, a, p, contract);
          }
        }
    }
    return next;
  };

  Value fzero = mma::f32Constant(rewriter, loc, 0.0);
  SmallVector<Value> acc(sums, fzero);
  if (steps == 1) {
    acc = step(h.c(0), acc);
  } else {
    auto loop = scf::ForOp::create(rewriter, loc, h.c(0), h.c(steps), one,
                                   acc);
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> iter(loop.getRegionIterArgs());
    scf::YieldOp::create(rewriter, loc, step(loop.getInductionVar(), iter));
    acc.assign(loop.getResults().begin(), loop.getResults().end());
  }

  // Warp sums (every lane gets them), lane 0 publishes its warp's.
  for (Value &a : acc)
    a = mma::butterflyReduce(rewriter, loc, a, {16, 8, 4, 2, 1},
                             /*max=*/false);
  auto lane0 = scf::IfOp::create(rewriter, loc, h.lt(lane, one), false);
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(&lane0.getThenRegion().front());
    for (int64_t j = 0; j < sums; ++j)
      memref::StoreOp::create(rewriter, loc, acc[j], partial,
                              ValueRange{warp, h.c(j)});
  }
  gpu::BarrierOp::create(rewriter, loc);
  // Thread t < outputs: output (t / perBlock, n0 + t % perBlock).
  Value row = h.div(tid, perBlock);
  Value col = h.add(n0, h.rem(tid, perBlock));
  auto finish = scf::IfOp::create(
      rewriter, loc, h.andI(h.lt(tid, h.c(outputs)), h.lt(row, m)), false);
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(&finish.getThenRegion().front());
    Value sum;
    for (int64_t wi = 0; wi < cfg.warps; ++wi) {
      Value v = memref::LoadOp::create(rewriter, loc, partial,
                                       ValueRange{h.c(wi), tid});
      sum = sum ? arith::AddFOp::create(rewriter, loc, sum, v).getResult() : v;
    }
    if (norm) {
      // x . w * rsqrt(mean(x^2) + eps), as rat.rms_norm scales x.
      Value sq;
      for (int64_t wi = 0; wi < cfg.warps; ++wi) {
        Value v = memref::LoadOp::create(rewriter, loc, partial,
                                         ValueRange{h.c(wi), h.add(row, outputs)});
        sq = sq ? arith::AddFOp::create(rewriter, loc, sq, v).getResult() : v;
      }
      Value mean = arith::DivFOp::create(rewriter, loc, sq,
                                         mma::f32Constant(rewriter, loc, k));
      Value inv = math::RsqrtOp::create(
          rewriter, loc,
          arith::AddFOp::create(rewriter, loc, mean,
                                mma::f32Constant(rewriter, loc, norm->epsilon)));
      sum = arith::MulFOp::create(rewriter, loc, sum, inv);
    }
    if (epilogue)
      sum = epilogue->build(rewriter, loc, sum, row, col);
    Type outType = cast<MemRefType>(out.getType()).getElementType();
    if (outType != f32)
      sum = arith::TruncFOp::create(rewriter, loc, outType, sum);
    memref::StoreOp::create(rewriter, loc, sum, out, ValueRange{row, col});
  }
  rewriter.setInsertionPointAfter(finish);
  gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointAfter(launch);
}
