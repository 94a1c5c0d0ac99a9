//===- MatmulToMMA.cpp - rat.matmul to a tensor-core kernel ---*- C++ -*-===//
//
// Implements -rat-matmul-to-mma: a rat.matmul on 16-bit float buffers
// becomes a gpu.launch of a tiled mma.sync kernel.
//
// Kernel (default: one block of 8 warps per 128x256 tile of C = X * W^T):
//   - X rows [m0, m0+tileM) and W rows [n0, n0+tileN) are staged tileK
//     columns of K at a time in shared memory, in a ring of `stages`
//     buffers: cp.async copies of 16 bytes (zero-filled past M or N) for
//     the next steps are in flight while step k is multiplied. Shared rows
//     are padded by 8 elements, so the eight 16-byte rows an ldmatrix reads
//     fall in distinct banks.
//   - Warp (wm, wn) owns a (tileM/warpsM)x(tileN/warpsN) sub-tile of m16n8
//     f32 accumulators, fed per 16-wide K slice by ldmatrix.x4 of X (A
//     fragments, row-major) and of W (B fragments: W is [N, K], i.e. B =
//     W^T column-major, so no transpose is needed) and mma.sync.m16n8k16.
//   - The epilogue rounds to the destination type and stores pairs of
//     columns, skipping rows past M.
// Few rows: a 64x64-tile kernel of 4 warps, and split K (grid z) with a
// second kernel summing the f32 partial products when even those tiles
// leave the GPU short of blocks (see buildSmallLaunch). Fewer rows still
// (decode steps): the gemv family (MatmulGEMV.cpp) streams w on CUDA cores.
// A matmul's variants are chosen at run time by its row count M
// (variantDeclines).
//
// Epilogue fusion: an elementwise linalg.generic right after the matmul
// that reads its product once, at the same index (a residual add, a bias,
// GELU, a gate's sigmoid, a cast), is applied by every variant's epilogue
// before the store (MatmulEpilogueFusion.cpp: findFusedConsumer): the
// product never makes the round trip through memory that the separate
// elementwise kernel needed.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "BufferAliasing.h"
#include "MMAUtils.h"
#include "MatmulKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATMATMULTOMMA
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

MmaSyncConfig MmaSyncConfig::from(KernelAttr attr) {
  MmaSyncConfig cfg;
  cfg.tileM = attr.getTile()[0];
  cfg.tileN = attr.getTile()[1];
  cfg.tileK = attr.getTile()[2];
  cfg.warpsM = attr.getWarps()[0];
  cfg.warpsN = attr.getWarps()[1];
  cfg.stages = attr.getStages();
  cfg.splitK = attr.getSplitK();
  cfg.splitBlocks = attr.getBlocks();
  return cfg;
}

std::string MmaSyncConfig::invalid(int64_t sharedLimit) const {
  if (tileK % 16 != 0 || tileK < 16)
    return "tile K must be a multiple of 16";
  if (warpsM < 1 || warpsN < 1 || tileM % (16 * warpsM) != 0 ||
      tileN % (16 * warpsN) != 0)
    return "warp tiles must be multiples of 16x16";
  int64_t pieces = tileK / 8;
  if ((tileM * pieces) % threads() != 0 || (tileN * pieces) % threads() != 0 ||
      threads() % pieces != 0)
    return "tiles must split evenly into 16-byte copies per thread";
  if (stages < 2)
    return "at least 2 stages";
  if (sharedBytes(2) > sharedLimit)
    return "shared memory (" + std::to_string(sharedBytes(2)) +
           " bytes) exceeds the chip's " + std::to_string(sharedLimit) +
           " bytes per block";
  return "";
}

std::string mlir::rat::matmulKernelUnsupported(MatmulOp op, KernelAttr variant,
                                               int64_t sharedLimit) {
  auto x = cast<ShapedType>(op.getInput().getType());
  auto w = cast<ShapedType>(op.getWeight().getType());
  auto c = cast<ShapedType>(op.getInit().getType());
  Type et = x.getElementType();
  if (!et.isBF16() && !et.isF16())
    return "operands are not bf16/f16";
  Type ct = c.getElementType();
  if (!ct.isBF16() && !ct.isF16() && !ct.isF32())
    return "result is not bf16/f16/f32";
  if (w.isDynamicDim(0) || w.isDynamicDim(1))
    return "weight shape is dynamic";
  int64_t n = w.getDimSize(0), k = w.getDimSize(1);
  if (n % 8 != 0)
    return "N (" + std::to_string(n) + ") is not a multiple of 8";
  for (ShapedType t : {x, w, c})
    if (!mma::isContiguousOrTensor(t))
      return "a buffer is not contiguous in the default memory space";
  switch (variant.getFamily()) {
  case KernelFamily::mma_sync: {
    MmaSyncConfig cfg = MmaSyncConfig::from(variant);
    if (k % cfg.tileK != 0)
      return "K (" + std::to_string(k) + ") is not a multiple of the K tile (" +
             std::to_string(cfg.tileK) + ")";
    return cfg.invalid(sharedLimit);
  }
  case KernelFamily::gemv:
    return GemvConfig::from(variant).invalid(n, k);
  case KernelFamily::wgmma:
    // TMA zero-fills a K tail; row strides must be multiples of 16 bytes.
    if (k % 8 != 0)
      return "K (" + std::to_string(k) + ") is not a multiple of 8";
    return WgmmaConfig::from(variant).invalid(sharedLimit);
  default:
    return std::string("a rat.matmul kernel is wgmma or mma_sync, not ") +
           stringifyKernelFamily(variant.getFamily()).str();
  }
}

namespace {
using Config = MmaSyncConfig;
constexpr int64_t kStaticSharedLimit = 48 * 1024;

/// The number of `cfg` tiles of an [M, N] result.
Value blockCount(IndexMath &h, Value m, int64_t n, const Config &cfg) {
  return h.mul(arith::CeilDivUIOp::create(h.b, h.loc, m, h.c(cfg.tileM)),
               (n + cfg.tileN - 1) / cfg.tileN);
}

/// Split-K: grid z runs `splits` slices of `stepsPerSplit` K steps each and
/// stores its f32 partial product in `partials[z]` ([splits, M, N]), which
/// a second kernel sums into the result.
struct SplitK {
  Value splits, stepsPerSplit, partials;
};

/// Emits, at the insertion point, the launch of `cfg`'s kernel computing
/// out[M, N] = x[M, K] * w[N, K]^T (with `split`: the partial products).
void buildLaunch(Location loc, Value x, Value w, Value out, Value m,
                 const Config &cfg, RewriterBase &rewriter,
                 const SplitK *split = nullptr,
                 const MatmulEpilogue *epilogue = nullptr) {
  MLIRContext *ctx = rewriter.getContext();
  IndexMath h{rewriter, loc};
  auto wType = cast<MemRefType>(w.getType());
  Type et = wType.getElementType();
  int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
  Value nValue = h.c(n);
  const int64_t threads = cfg.threads(), stages = cfg.stages;
  const int64_t fragsM = cfg.warpM() / 16, fragsN = cfg.warpN() / 8;

  Value gridN = h.c((n + cfg.tileN - 1) / cfg.tileN);
  Value gridM = arith::CeilDivUIOp::create(rewriter, loc, m, h.c(cfg.tileM));
  Value one = h.c(1);
  Value gridZ = split ? split->splits : one;
  auto xTileType = mma::sharedBuffer({stages, cfg.tileM, cfg.pitch()}, et);
  auto wTileType = mma::sharedBuffer({stages, cfg.tileN, cfg.pitch()}, et);
  int64_t elementBytes = et.getIntOrFloatBitWidth() / 8;
  int64_t sharedBytes = cfg.sharedBytes(elementBytes);
  bool dynamicShared = sharedBytes > kStaticSharedLimit;
  Value smX, smW;
  gpu::LaunchOp launch;
  if (!dynamicShared) {
    launch = gpu::LaunchOp::create(
        rewriter, loc, gridN, gridM, gridZ, h.c(threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{xTileType, wTileType});
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    smX = launch.getWorkgroupAttributions()[0];
    smW = launch.getWorkgroupAttributions()[1];
  } else {
    // Above 48 KiB a kernel needs dynamic shared memory (the runtime raises
    // the kernel's limit at launch).
    Value bytes = arith::ConstantOp::create(
        rewriter, loc, rewriter.getI32IntegerAttr(sharedBytes));
    launch = gpu::LaunchOp::create(rewriter, loc, gridN, gridM, gridZ,
                                   h.c(threads), one, one, bytes);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    auto rawType = MemRefType::get({ShapedType::kDynamic},
                                   rewriter.getI8Type(), AffineMap(),
                                   xTileType.getMemorySpace());
    Value raw = gpu::DynamicSharedMemoryOp::create(rewriter, loc, rawType);
    smX = memref::ViewOp::create(rewriter, loc, xTileType, raw, h.c(0),
                                 ValueRange{});
    smW = memref::ViewOp::create(
        rewriter, loc, wTileType, raw,
        h.c(stages * cfg.tileM * cfg.pitch() * elementBytes), ValueRange{});
  }
  Value tid = launch.getThreadIds().x;
  Value m0 = h.mul(launch.getBlockIds().y, cfg.tileM);
  Value n0 = h.mul(launch.getBlockIds().x, cfg.tileN);
  Value lane = h.rem(tid, 32), warp = h.div(tid, 32);
  Value wm = h.div(warp, cfg.warpsN), wn = h.rem(warp, cfg.warpsN);

  // Global -> shared copies: piece p = tid + j * threads of a tile of
  // tileK / 8 pieces per row lands at row p / (tileK / 8), column
  // (p % (tileK / 8)) * 8; threads is a multiple of tileK / 8, so the column
  // is the same for all of a thread's pieces.
  int64_t perRow = cfg.tileK / 8;
  Value col = h.mul(h.rem(tid, perRow), 8);
  struct Piece {
    Value row, srcRow, count;
  };
  SmallVector<Piece> xPieces, wPieces;
  Value eight = h.c(8), zero = h.c(0);
  auto pieces = [&](int64_t rows, Value base, Value limit,
                    SmallVectorImpl<Piece> &list) {
    for (int64_t j = 0; j < rows * perRow / threads; ++j) {
      Value row = h.add(h.div(tid, perRow), j * threads / perRow);
      Value g = h.add(base, row);
      Value in = h.lt(g, limit);
      list.push_back({row, h.select(in, g, zero), h.select(in, eight, zero)});
    }
  };
  pieces(cfg.tileM, m0, m, xPieces);
  pieces(cfg.tileN, n0, nValue, wPieces);
  auto issue = [&](Value stage, Value k0, Value enabled) {
    SmallVector<Value> tokens;
    auto copy = [&](Value src, Value dst, const Piece &p) {
      Value count = enabled ? h.select(enabled, p.count, zero) : p.count;
      tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
          rewriter, loc, nvgpu::DeviceAsyncTokenType::get(ctx), dst,
          ValueRange{stage, p.row, col}, src,
          ValueRange{p.srcRow, h.add(k0, col)},
          rewriter.getIndexAttr(8), count, /*bypassL1=*/nullptr));
    };
    for (const Piece &p : xPieces)
      copy(x, smX, p);
    for (const Piece &p : wPieces)
      copy(w, smW, p);
    return nvgpu::DeviceAsyncCreateGroupOp::create(
        rewriter, loc, nvgpu::DeviceAsyncTokenType::get(ctx), tokens);
  };
  int64_t steps = k / cfg.tileK;
  // This block's K steps: [stepBase, stepBase + stepCount).
  Value stepCount = h.c(steps), stepBase = zero;
  if (split) {
    stepBase = h.mul(launch.getBlockIds().z, split->stepsPerSplit);
    stepCount = h.min(split->stepsPerSplit, h.sub(stepCount, stepBase));
  }
  auto kOffset = [&](Value step) {
    return h.mul(h.add(stepBase, step), cfg.tileK);
  };
  // Prologue: steps 0 .. stages-2, one group each (zero-byte past the end,
  // so that the number of groups in flight is uniform).
  Value first;
  for (int64_t s = 0; s + 1 < stages; ++s) {
    Value more = h.lt(h.c(s), stepCount);
    Value token = issue(h.c(s), h.select(more, kOffset(h.c(s)), zero), more);
    if (!first)
      first = token;
  }

  // Fragment addressing (per lane, fixed): A x4 = rows lane%16, column
  // (lane/16)*8; B x4 = rows lane%8 + (lane/16)*8, column ((lane/8)%2)*8.
  Value aRow = h.rem(lane, 16), aCol = h.mul(h.div(lane, 16), 8);
  Value bRow = h.add(h.rem(lane, 8), h.mul(h.div(lane, 16), 8));
  Value bCol = h.mul(h.rem(h.div(lane, 8), 2), 8);
  Value warpRowX = h.mul(wm, cfg.warpM()), warpRowW = h.mul(wn, cfg.warpN());

  Value fzero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
  SmallVector<Value> accInit(fragsM * fragsN * 4, fzero);

  auto loop = scf::ForOp::create(rewriter, loc, zero, stepCount, one, accInit);
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    SmallVector<Value> acc(loop.getRegionIterArgs());
    // Step kt has landed once at most stages-2 younger groups are pending;
    // after the barrier every warp is done with step kt-1, whose stage the
    // prefetch of step kt+stages-1 then overwrites.
    nvgpu::DeviceAsyncWaitOp::create(rewriter, loc, first,
                                     rewriter.getI32IntegerAttr(stages - 2));
    gpu::BarrierOp::create(rewriter, loc);
    Value ahead = h.add(kt, stages - 1);
    Value more = h.lt(ahead, stepCount);
    issue(h.rem(ahead, stages), h.select(more, kOffset(ahead), zero), more);
    Value stage = h.rem(kt, stages);

    for (int64_t kk = 0; kk < cfg.tileK; kk += 16) {
      SmallVector<SmallVector<Value>> a(fragsM), bf(fragsN);
      for (int64_t mi = 0; mi < fragsM; ++mi)
        a[mi] = mma::loadMatrixX4(
            rewriter, loc, smX,
            ValueRange{stage, h.add(warpRowX, h.add(aRow, mi * 16)),
                       h.add(aCol, kk)},
            /*transpose=*/false);
      for (int64_t np = 0; np < fragsN / 2; ++np) {
        SmallVector<Value> regs = mma::loadMatrixX4(
            rewriter, loc, smW,
            ValueRange{stage, h.add(warpRowW, h.add(bRow, np * 16)),
                       h.add(bCol, kk)},
            /*transpose=*/false);
        bf[2 * np] = {regs[0], regs[1]};
        bf[2 * np + 1] = {regs[2], regs[3]};
      }
      for (int64_t mi = 0; mi < fragsM; ++mi)
        for (int64_t ni = 0; ni < fragsN; ++ni) {
          int64_t base = (mi * fragsN + ni) * 4;
          SmallVector<Value> next = mma::mmaSync(
              rewriter, loc, et, a[mi], bf[ni],
              ArrayRef<Value>(acc.data() + base, 4));
          std::copy(next.begin(), next.end(), acc.begin() + base);
        }
    }
    scf::YieldOp::create(rewriter, loc, acc);
  }
  nvgpu::DeviceAsyncWaitOp::create(rewriter, loc, first,
                                   rewriter.getI32IntegerAttr(0));

  // Epilogue: lane holds rows lane/4 and lane/4+8, columns (lane%4)*2 + {0,1}
  // of each m16n8 accumulator.
  Value rowInFrag = h.div(lane, 4), colInFrag = h.mul(h.rem(lane, 4), 2);
  for (int64_t mi = 0; mi < fragsM; ++mi)
    for (int64_t ni = 0; ni < fragsN; ++ni) {
      int64_t base = (mi * fragsN + ni) * 4;
      Value row = h.add(h.add(m0, warpRowX), h.add(rowInFrag, mi * 16));
      Value column =
          h.add(h.add(n0, warpRowW), h.add(colInFrag, ni * 8));
      Value colOk = h.lt(column, nValue);
      for (int64_t half = 0; half < 2; ++half) {
        Value r = h.add(row, half * 8);
        auto ifOp = scf::IfOp::create(rewriter, loc,
                                      h.andI(colOk, h.lt(r, m)), false);
        OpBuilder::InsertionGuard g(rewriter);
        rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
        SmallVector<Value> at{r, column};
        if (split)
          at.insert(at.begin(), launch.getBlockIds().z);
        Value lo = loop.getResult(base + 2 * half);
        Value hi = loop.getResult(base + 2 * half + 1);
        // Split K: the epilogue applies to the sum (buildSplitReduce).
        if (epilogue && !split) {
          lo = epilogue->build(rewriter, loc, lo, r, column);
          hi = epilogue->build(rewriter, loc, hi, r, h.add(column, 1));
        }
        mma::storePair(rewriter, loc, lo, hi,
                       split ? split->partials : out, at);
      }
    }
  gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointAfter(launch);
}

/// Emits the launch of the kernel that sums the `splits` f32 partial
/// products `partials` [splits, M, N] into `out` [M, N] (rounded to its
/// element type): one thread per 4 consecutive columns.
void buildSplitReduce(Location loc, Value partials, Value out, Value splits,
                      Value m, int64_t n, RewriterBase &rewriter,
                      const MatmulEpilogue *epilogue) {
  IndexMath h{rewriter, loc};
  constexpr int64_t kThreads = 256;
  int64_t quadsPerRow = n / 4;
  Value quads = h.mul(m, quadsPerRow);
  Value one = h.c(1);
  auto launch = gpu::LaunchOp::create(
      rewriter, loc,
      arith::CeilDivUIOp::create(rewriter, loc, quads, h.c(kThreads)), one,
      one, h.c(kThreads), one, one);
  rewriter.setInsertionPointToStart(&launch.getBody().front());
  Value q = h.add(h.mul(launch.getBlockIds().x, kThreads),
                  launch.getThreadIds().x);
  auto inRange = scf::IfOp::create(rewriter, loc, h.lt(q, quads), false);
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(&inRange.getThenRegion().front());
    Value row = h.div(q, quadsPerRow), col = h.mul(h.rem(q, quadsPerRow), 4);
    auto v4 = VectorType::get({4}, rewriter.getF32Type());
    Value init = arith::ConstantOp::create(
        rewriter, loc, v4, DenseElementsAttr::get(v4, 0.0f));
    auto sum = scf::ForOp::create(rewriter, loc, h.c(0), splits, one,
                                  ValueRange{init});
    {
      OpBuilder::InsertionGuard g2(rewriter);
      rewriter.setInsertionPointToStart(sum.getBody());
      Value part = vector::LoadOp::create(
          rewriter, loc, v4, partials,
          ValueRange{sum.getInductionVar(), row, col});
      scf::YieldOp::create(rewriter, loc,
                           ValueRange{arith::AddFOp::create(
                               rewriter, loc, sum.getRegionIterArgs()[0],
                               part)});
    }
    Value total = sum.getResult(0);
    if (epilogue) {
      SmallVector<Value> lanes;
      for (int64_t e = 0; e < 4; ++e)
        lanes.push_back(epilogue->build(
            rewriter, loc,
            vector::ExtractOp::create(rewriter, loc, total,
                                      ArrayRef<int64_t>{e}),
            row, h.add(col, e)));
      total = vector::FromElementsOp::create(rewriter, loc, v4, lanes);
    }
    Type et = cast<MemRefType>(out.getType()).getElementType();
    if (!et.isF32())
      total = arith::TruncFOp::create(rewriter, loc,
                                      VectorType::get({4}, et), total);
    vector::StoreOp::create(rewriter, loc, total, out, ValueRange{row, col});
  }
  rewriter.setInsertionPointAfter(inRange);
  gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointAfter(launch);
}

/// Few rows: `small`'s tiles, and when they still leave the GPU short of
/// blocks (a decode step's weight matrices are streamed by a few dozen
/// blocks otherwise), K split over grid z (at most `small.splitK` slices)
/// until about `small.splitBlocks` blocks run; a second kernel sums the f32
/// partial products. N is a multiple of 8 (matmulKernelUnsupported), so the
/// summing kernel's 4-column groups tile a row.
void buildSmallLaunch(Location loc, Value x, Value w, Value out, Value m,
                      const Config &small, RewriterBase &rewriter,
                      const MatmulEpilogue *epilogue) {
  IndexMath h{rewriter, loc};
  auto wType = cast<MemRefType>(w.getType());
  int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
  int64_t steps = k / small.tileK;
  // At least 4 K steps per slice.
  int64_t maxSplits = std::min<int64_t>(small.splitK, steps / 4);
  if (maxSplits < 2 || small.splitBlocks < 1) {
    buildLaunch(loc, x, w, out, m, small, rewriter, nullptr, epilogue);
    return;
  }
  Value blocks = blockCount(h, m, n, small);
  Value wanted = h.min(arith::CeilDivUIOp::create(
                           rewriter, loc, h.c(small.splitBlocks), blocks),
                       h.c(maxSplits));
  Value perSplit =
      arith::CeilDivUIOp::create(rewriter, loc, h.c(steps), wanted);
  Value splits =
      arith::CeilDivUIOp::create(rewriter, loc, h.c(steps), perSplit);
  auto choice =
      scf::IfOp::create(rewriter, loc, h.lt(h.c(1), splits), true);
  rewriter.setInsertionPointToStart(&choice.getThenRegion().front());
  auto partialsType = MemRefType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, n}, rewriter.getF32Type());
  Value partials = memref::AllocOp::create(rewriter, loc, partialsType,
                                           ValueRange{splits, m});
  SplitK split{splits, perSplit, partials};
  buildLaunch(loc, x, w, out, m, small, rewriter, &split);
  buildSplitReduce(loc, partials, out, splits, m, n, rewriter, epilogue);
  memref::DeallocOp::create(rewriter, loc, partials);
  rewriter.setInsertionPointToStart(&choice.getElseRegion().front());
  buildLaunch(loc, x, w, out, m, small, rewriter, nullptr, epilogue);
}

/// The number of blocks `variant`'s tiles give for M = `m` rows.
Value variantBlocks(IndexMath &h, Value m, int64_t n, KernelAttr variant) {
  int64_t tileM = variant.getTile()[0], tileN = variant.getTile()[1];
  return h.mul(arith::CeilDivUIOp::create(h.b, h.loc, m, h.c(tileM)),
               (n + tileN - 1) / tileN);
}

/// Emits the launch of one variant.
void buildVariant(Location loc, Value x, Value w, Value out, Value m,
                  KernelAttr variant, RewriterBase &rewriter,
                  const MatmulEpilogue *epilogue, const GemvNorm *norm,
                  const GemvProducer *producer) {
  if (variant.getFamily() == KernelFamily::gemv) {
    buildGemvLaunch(loc, x, w, out, m, GemvConfig::from(variant), rewriter,
                    epilogue, norm, producer);
    return;
  }
  if (variant.getFamily() == KernelFamily::wgmma) {
    buildWgmmaMatmulLaunch(loc, x, w, out, m, WgmmaConfig::from(variant),
                           rewriter, epilogue);
    return;
  }
  Config cfg = Config::from(variant);
  if (cfg.splitK > 1)
    buildSmallLaunch(loc, x, w, out, m, cfg, rewriter, epilogue);
  else
    buildLaunch(loc, x, w, out, m, cfg, rewriter, nullptr, epilogue);
}

/// Whether `variant` declines M = `m` rows at run time: a gemv kernel built
/// for fewer rows, a tiled one whose tiles give fewer than its `min_blocks`
/// blocks.
Value variantDeclines(IndexMath &h, Value m, int64_t n, KernelAttr variant) {
  if (variant.getFamily() == KernelFamily::gemv)
    return h.lt(h.c(variant.getTile()[0]), m);
  return h.lt(variantBlocks(h, m, n, variant), h.c(variant.getMinBlocks()));
}

/// Replaces `op` by the launches of its kernel variants: at run time, the
/// first variant that does not decline the row count (variantDeclines; the
/// last one unconditionally).
void buildKernel(MatmulOp op, ArrayRef<KernelAttr> variants,
                 RewriterBase &rewriter) {
  Location loc = op.getLoc();
  // An rms_norm that only this matmul reads: the gemv variants apply it,
  // the others run it first (it moves into their branch). Decided before
  // any op is inserted next to the matmul.
  // Likewise an elementwise producer of its input (the output gate before
  // out_proj).
  std::optional<RmsNormOp> normOp;
  std::optional<linalg::GenericOp> producerOp;
  if (variants.front().getFamily() == KernelFamily::gemv) {
    normOp = findFusedNorm(op);
    if (!normOp)
      producerOp = findFusedProducer(op);
  }
  std::optional<FusedConsumer> fused = findFusedConsumer(op);
  // The gemv kernel reads the norm's or the producer's inputs while other
  // blocks store the result: it must not be written over any of them.
  Value stored =
      viewRoot(fused ? fused->generic.getDpsInits()[0] : op.getInit());
  auto overwritten = [&](ValueRange inputs) {
    return llvm::any_of(inputs,
                        [&](Value v) { return viewRoot(v) == stored; });
  };
  if (normOp && overwritten(normOp->getDpsInputs()))
    normOp.reset();
  if (producerOp && overwritten(producerOp->getDpsInputs()))
    producerOp.reset();
  // With a fused consumer the kernel goes where the consumer was: its
  // output may be allocated after the matmul.
  rewriter.setInsertionPoint(fused ? fused->generic.getOperation()
                                   : op.getOperation());
  IndexMath h{rewriter, loc};
  Value x = mma::collapseToRows(rewriter, loc, op.getInput());
  Value w = op.getWeight();
  Value product = op.getInit();
  std::optional<MatmulEpilogue> epilogue;
  Value out;
  if (fused) {
    linalg::GenericOp generic = fused->generic;
    SmallVector<Value> operands;
    for (OpOperand *input : generic.getDpsInputOperands()) {
      Value v = input->get();
      operands.push_back(
          cast<MemRefType>(v.getType()).getRank() == 1 ||
                  input->getOperandNumber() == fused->productInput
              ? v
              : mma::collapseToRows(rewriter, loc, v));
    }
    epilogue = fusedEpilogue(
        *fused, operands,
        cast<MemRefType>(product.getType()).getElementType());
    out = mma::collapseToRows(rewriter, loc, generic.getDpsInits()[0]);
  } else {
    out = mma::collapseToRows(rewriter, loc, product);
  }
  const MatmulEpilogue *fusedPtr = epilogue ? &*epilogue : nullptr;
  std::optional<GemvNorm> norm;
  if (normOp)
    norm = GemvNorm{*normOp,
                    mma::collapseToRows(rewriter, loc, normOp->getInput()),
                    normOp->getWeight(),
                    normOp->getEpsilon().convertToDouble()};
  const GemvNorm *normPtr = norm ? &*norm : nullptr;
  std::optional<GemvProducer> producer;
  if (producerOp) {
    producer.emplace();
    producer->generic = *producerOp;
    for (Value v : producerOp->getDpsInputs())
      producer->inputs.push_back(cast<MemRefType>(v.getType()).getRank() == 1
                                     ? v
                                     : mma::collapseToRows(rewriter, loc, v));
  }
  const GemvProducer *producerPtr = producer ? &*producer : nullptr;
  Operation *unfused = normOp ? normOp->getOperation()
                              : producerOp ? producerOp->getOperation()
                                           : nullptr;
  bool unfusedPlaced = false;
  Value m = memref::DimOp::create(rewriter, loc, x, 0);
  int64_t n = cast<MemRefType>(w.getType()).getDimSize(0);
  auto guard = scf::IfOp::create(rewriter, loc, h.lt(h.c(0), m), false);
  rewriter.setInsertionPointToStart(&guard.getThenRegion().front());
  for (auto [i, variant] : llvm::enumerate(variants)) {
    bool gemv = variant.getFamily() == KernelFamily::gemv;
    if (unfused && !gemv && !unfusedPlaced) {
      rewriter.clone(*unfused);
      unfusedPlaced = true;
    }
    if (i + 1 == variants.size() || (!gemv && variant.getMinBlocks() == 0)) {
      buildVariant(loc, x, w, out, m, variant, rewriter, fusedPtr, normPtr,
                   producerPtr);
      break;
    }
    auto choice = scf::IfOp::create(
        rewriter, loc, variantDeclines(h, m, n, variant), true);
    rewriter.setInsertionPointToStart(&choice.getElseRegion().front());
    buildVariant(loc, x, w, out, m, variant, rewriter, fusedPtr, normPtr,
                 producerPtr);
    rewriter.setInsertionPointToStart(&choice.getThenRegion().front());
  }
  if (unfused)
    rewriter.eraseOp(unfused);
  rewriter.eraseOp(op);
  if (!fused)
    return;
  Value result = fused->generic.getDpsInits()[0];
  rewriter.eraseOp(fused->generic);
  // A product buffer that only the consumer read is not needed any more.
  if (product != result) {
    if (auto alloc = product.getDefiningOp<memref::AllocOp>()) {
      if (llvm::all_of(product.getUsers(),
                       [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
        for (Operation *user : llvm::make_early_inc_range(product.getUsers()))
          rewriter.eraseOp(user);
        rewriter.eraseOp(alloc);
      }
    }
  }
}

struct RatMatmulToMMAPass
    : rat::impl::RatMatmulToMMABase<RatMatmulToMMAPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<std::pair<MatmulOp, SmallVector<KernelAttr>>> matmuls;
    getOperation().walk([&](MatmulOp op) {
      SmallVector<KernelAttr> variants = getKernelVariants(op);
      if (variants.empty() || !op.hasPureBufferSemantics() ||
          !mma::isHostLevel(op))
        return;
      // rat-select-kernels checked the decision on tensors; buffers that
      // bufferization left strided keep the loop lowering.
      for (KernelAttr variant : variants)
        if (!matmulKernelUnsupported(op, variant,
                                     std::numeric_limits<int64_t>::max())
                 .empty())
          return;
      matmuls.push_back({op, std::move(variants)});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, variants] : matmuls)
      buildKernel(op, variants, rewriter);
  }
};
} // namespace
