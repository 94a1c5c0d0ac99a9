//===- MatmulWGMMA.cpp - rat.matmul as a Hopper wgmma kernel --*- C++ -*-===//
//
// The sm_90a kernel family of rat-matmul-to-mma: a warp-specialised GEMM
// computing out[M, N] = epilogue(x[M, K] * w[N, K]^T) with
//   - TMA (cp.async.bulk.tensor) loads of x and w tiles, 128-byte swizzled,
//     into a ring of `stages` shared-memory buffers, issued by one thread of
//     a producer warpgroup and completed on "full" mbarriers;
//   - `consumerGroups` consumer warpgroups, each owning 64 rows of the
//     block tile, issuing wgmma.mma_async m64nNk16 (bf16/f16 in, f32
//     accumulators in registers) straight from the swizzled buffers, and
//     releasing a buffer through its "empty" mbarrier once the wgmma group
//     that read it has retired (wgmma.wait_group 1);
//   - setmaxnreg moving registers from the producer to the consumers;
//   - an epilogue through shared memory: the accumulators are written to an
//     f32 staging tile (reusing the ring, which is idle by then), then read
//     back row by row so that each warp stores whole rows of the result
//     with 16-byte stores, after the fused elementwise epilogue.
// Block tiles are visited in groups of `groupM` tile rows so that the tiles
// of w stay in L2 while x streams (the grouped order of Triton's matmul).
//
// Layouts (PTX ISA, "asynchronous warpgroup matrix"): both operands are
// K-major; a 128-byte-swizzled K-major tile of R rows x 64 elements is R/8
// "core matrix" groups of 8 rows x 128 bytes, 1024 bytes apart (the stride
// byte offset); the k16 slices of a 64-wide tile start 32 bytes apart, and
// the hardware applies the swizzle on the absolute shared address, which is
// why every tile starts at a multiple of 1024 bytes. Accumulator fragment of
// m64nN, thread t of the warpgroup: registers 4j+{0,1} hold row
// 16(t/32) + (t%32)/4, columns 8j + 2(t%4) + {0,1}; 4j+{2,3} the row +8.
//
//===----------------------------------------------------------------------===//

#include "MatmulKernels.h"
#include "MMAUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <tuple>

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

namespace {
constexpr int64_t kSwizzleBytes = 128;    // one swizzled row: 64 bf16/f16
constexpr int64_t kCoreGroupBytes = 1024; // 8 swizzled rows
constexpr int64_t kWarpgroupThreads = 128;
constexpr int64_t kInstrK = 16;
constexpr int32_t kProducerRegisters = 40;
constexpr int32_t kConsumerRegisters = 232;
constexpr int64_t kConsumerBarrierId = 1;
} // namespace

WgmmaConfig mlir::rat::WgmmaConfig::from(KernelAttr attr) {
  WgmmaConfig cfg;
  cfg.tileM = attr.getTile()[0];
  cfg.tileN = attr.getTile()[1];
  cfg.tileK = attr.getTile()[2];
  cfg.stages = attr.getStages();
  cfg.consumerGroups = attr.getWarpgroups();
  cfg.groupM = attr.getGroupM();
  cfg.grid = attr.getBlocks();
  return cfg;
}

std::string mlir::rat::WgmmaConfig::invalid(int64_t sharedLimit) const {
  if (tileK != kSwizzleBytes / 2)
    return "the wgmma kernel takes K tiles of 64 (one 128-byte swizzle row)";
  if (consumerGroups < 1 || consumerGroups > 2)
    return "1 or 2 consumer warpgroups";
  if (tileM != 64 * consumerGroups)
    return "tile M must be 64 per consumer warpgroup";
  if (tileN < 8 || tileN > 256 || tileN % 8 != 0)
    return "tile N must be a multiple of 8 up to 256 (wgmma m64nNk16, and "
           "a TMA box of at most 256 rows)";
  if (stages < 2)
    return "at least 2 stages";
  if (groupM < 1)
    return "group M must be at least 1";
  if (sharedBytes() > sharedLimit)
    return "shared memory (" + std::to_string(sharedBytes()) +
           " bytes) exceeds the chip's " + std::to_string(sharedLimit) +
           " bytes per block";
  return "";
}

int64_t mlir::rat::WgmmaConfig::stageBytes() const {
  return (tileM + tileN) * kSwizzleBytes;
}

int64_t mlir::rat::WgmmaConfig::stagingPitch() const {
  // 8 floats of padding: the float2 stores of a half-warp (4 rows x 4 column
  // pairs) then fall in 32 distinct banks.
  return tileN + 8;
}

int64_t mlir::rat::WgmmaConfig::sharedBytes() const {
  // The ring (reused by the f32 staging tile of a one-tile block's
  // epilogue), plus 1024 bytes so that the ring can start on a 1024-byte
  // boundary whatever the toolchain's placement of the dynamic segment.
  int64_t ring = stages * stageBytes();
  int64_t staging = grid > 0 ? 0 : tileM * stagingPitch() * 4;
  return std::max(ring, staging) + kCoreGroupBytes;
}

namespace {
/// A wgmma shared-memory matrix descriptor for a K-major 128-byte-swizzled
/// tile at shared address `address` (bytes): start address >> 4 in bits
/// [0, 14), leading byte offset 1 (unused by swizzled K-major layouts) in
/// [16, 30), stride byte offset 1024 >> 4 in [32, 46), swizzle mode 1
/// (128B) in [62, 64).
Value matrixDescriptor(OpBuilder &b, Location loc, Value address) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  Value a = arith::IndexCastUIOp::create(b, loc, i64, address);
  a = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, a, c(4)),
                            c(0x3FFF));
  uint64_t fixed = (uint64_t(1) << 16) |
                   (uint64_t(kCoreGroupBytes >> 4) << 32) |
                   (uint64_t(1) << 62);
  return arith::OrIOp::create(b, loc, a, c(fixed));
}

/// Applies the epilogue to one f32 value of the product at (row, col):
/// without a region, the value itself.
Value applyEpilogue(OpBuilder &b, Location loc, const MatmulEpilogue *epilogue,
                    Value acc, Value row, Value col) {
  if (!epilogue || !epilogue->build)
    return acc;
  return epilogue->build(b, loc, acc, row, col);
}
} // namespace

void mlir::rat::buildWgmmaMatmulLaunch(Location loc, Value x, Value w,
                                       Value out, Value m,
                                       const WgmmaConfig &cfg,
                                       RewriterBase &rewriter,
                                       const MatmulEpilogue *epilogue) {
  MLIRContext *ctx = rewriter.getContext();
  IndexMath h{rewriter, loc};
  auto wType = cast<MemRefType>(w.getType());
  Type et = wType.getElementType();
  Type f32 = rewriter.getF32Type();
  int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
  const int64_t stages = cfg.stages, tileM = cfg.tileM, tileN = cfg.tileN;
  const int64_t tilesN = (n + tileN - 1) / tileN;
  const int64_t steps = (k + cfg.tileK - 1) / cfg.tileK;
  const int64_t threads = (cfg.consumerGroups + 1) * kWarpgroupThreads;
  const int64_t consumerThreads = cfg.consumerGroups * kWarpgroupThreads;
  const bool persistent = cfg.grid > 0;
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);

  //===--------------------------------------------------------------------===//
  // Host: TMA descriptors of x and w, and the grid.
  //===--------------------------------------------------------------------===//
  auto tileType = [&](int64_t rows) {
    return MemRefType::get({rows, cfg.tileK}, et, AffineMap(), workgroup);
  };
  // The descriptors (pointers to device memory) cross into the kernel as
  // i64: a kernel signature must be convertible by the GPU-to-NVVM type
  // converter, which knows no nvgpu types. The unrealized casts around the
  // ptrtoint/inttoptr pair fold away when the nvgpu ops are lowered.
  auto tensorMapType = [&](int64_t boxRows) {
    return nvgpu::TensorMapDescriptorType::get(
        ctx, tileType(boxRows), nvgpu::TensorMapSwizzleKind::SWIZZLE_128B,
        nvgpu::TensorMapL2PromoKind::L2PROMO_256B,
        nvgpu::TensorMapOOBKind::OOB_ZERO,
        nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
  };
  auto pointerType = LLVM::LLVMPointerType::get(ctx);
  auto descriptor = [&](Value buffer, int64_t boxRows) -> Value {
    Value unranked = memref::CastOp::create(
        rewriter, loc, UnrankedMemRefType::get(et, Attribute()), buffer);
    Value desc = nvgpu::TmaCreateDescriptorOp::create(
        rewriter, loc, tensorMapType(boxRows), unranked,
        ValueRange{h.c(boxRows), h.c(cfg.tileK)});
    Value ptr =
        UnrealizedConversionCastOp::create(rewriter, loc, pointerType, desc)
            .getResult(0);
    return LLVM::PtrToIntOp::create(rewriter, loc, rewriter.getI64Type(), ptr);
  };
  Value hostDescX = descriptor(x, 64);
  Value hostDescW = descriptor(w, tileN);

  Value tilesM = arith::CeilDivUIOp::create(rewriter, loc, m, h.c(tileM));
  Value tiles = h.mul(tilesM, tilesN);
  Value gridSize = persistent ? h.min(tiles, h.c(cfg.grid)) : tiles;
  Value one = h.c(1);
  Value sharedSize = arith::ConstantOp::create(
      rewriter, loc, rewriter.getI32IntegerAttr(cfg.sharedBytes()));
  auto launch = gpu::LaunchOp::create(rewriter, loc, gridSize, one, one,
                                      h.c(threads), one, one, sharedSize);
  rewriter.setInsertionPointToStart(&launch.getBody().front());

  //===--------------------------------------------------------------------===//
  // Kernel prologue: shared memory, barriers.
  //===--------------------------------------------------------------------===//
  auto kernelDescriptor = [&](Value address, int64_t boxRows) {
    Value ptr = LLVM::IntToPtrOp::create(rewriter, loc, pointerType, address);
    return UnrealizedConversionCastOp::create(rewriter, loc,
                                              tensorMapType(boxRows), ptr)
        .getResult(0);
  };
  Value descX = kernelDescriptor(hostDescX, 64);
  Value descW = kernelDescriptor(hostDescW, tileN);
  Value tid = launch.getThreadIds().x;
  Value bid = launch.getBlockIds().x;
  // The grid size itself (a host value, not gridDim: a launch that static
  // shapes make empty must not become a kernel reading %nctaid).
  Value blockStep = gridSize;
  // Tile t in the grouped order: groupM tile rows x all tile columns per
  // group, rows fastest.
  auto tileOrigin = [&](Value t) {
    int64_t group = cfg.groupM * tilesN;
    Value firstM = h.mul(h.div(t, group), cfg.groupM);
    Value groupRows = h.min(h.sub(tilesM, firstM), h.c(cfg.groupM));
    Value inGroup = h.rem(t, group);
    Value tm = h.add(firstM, arith::RemUIOp::create(rewriter, loc, inGroup,
                                                    groupRows));
    Value tn = arith::DivUIOp::create(rewriter, loc, inGroup, groupRows);
    return std::make_pair(h.mul(tm, tileM), h.mul(tn, tileN));
  };

  auto rawType = MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                                 AffineMap(), workgroup);
  Value raw = gpu::DynamicSharedMemoryOp::create(rewriter, loc, rawType);
  // The ring starts at the first 1024-byte boundary of the segment.
  Value rawAddress =
      memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, raw);
  Value pad = h.rem(h.sub(h.c(kCoreGroupBytes), h.rem(rawAddress,
                                                       kCoreGroupBytes)),
                    kCoreGroupBytes);
  Value ringAddress = h.add(rawAddress, pad);
  const int64_t aBytes = tileM * kSwizzleBytes;
  auto view = [&](Value offset, MemRefType type) {
    return memref::ViewOp::create(rewriter, loc, type, raw,
                                  h.add(pad, offset), ValueRange{})
        .getResult();
  };

  auto barrierType = nvgpu::MBarrierGroupType::get(ctx, workgroup, stages);
  Value full = nvgpu::MBarrierCreateOp::create(rewriter, loc, barrierType);
  Value empty = nvgpu::MBarrierCreateOp::create(rewriter, loc, barrierType);
  {
    auto first = scf::IfOp::create(rewriter, loc, h.lt(tid, one), false);
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(&first.getThenRegion().front());
    for (int64_t s = 0; s < stages; ++s) {
      nvgpu::MBarrierInitOp::create(rewriter, loc, full, one, h.c(s),
                                    Value());
      nvgpu::MBarrierInitOp::create(rewriter, loc, empty,
                                    h.c(cfg.consumerGroups), h.c(s), Value());
    }
    mma::fenceBarrierInitsForTma(rewriter, loc);
    nvgpu::TmaPrefetchOp::create(rewriter, loc, descX, Value());
    nvgpu::TmaPrefetchOp::create(rewriter, loc, descW, Value());
  }
  gpu::BarrierOp::create(rewriter, loc);

  // Ring position `step` (counted over all the block's tiles): buffer
  // step % stages, in round step / stages, whose parity the barriers track.
  auto parityOf = [&](Value step, bool flip) {
    return mma::ringParity(h, step, stages, flip);
  };
  Value ticks = h.c(10000000);
  auto eq = [&](Value a, Value b) {
    return arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, a, b)
        .getResult();
  };

  Value myGroup = h.div(tid, kWarpgroupThreads);
  auto roles = scf::IfOp::create(
      rewriter, loc, h.lt(myGroup, h.c(cfg.consumerGroups)), true);

  //===--------------------------------------------------------------------===//
  // Producer warpgroup (the last): one thread issues the TMA loads of every
  // tile of the block, running ahead of the consumers by the ring's depth.
  //===--------------------------------------------------------------------===//
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(&roles.getElseRegion().front());
    NVVM::SetMaxRegisterOp::create(rewriter, loc, kProducerRegisters,
                                   NVVM::SetMaxRegisterAction::decrease);
    auto leader =
        scf::IfOp::create(rewriter, loc, eq(tid, h.c(consumerThreads)), false);
    rewriter.setInsertionPointToStart(&leader.getThenRegion().front());
    auto tileLoop = scf::ForOp::create(rewriter, loc, bid, tiles, blockStep,
                                       ValueRange{h.c(0)});
    rewriter.setInsertionPointToStart(tileLoop.getBody());
    auto [m0, n0] = tileOrigin(tileLoop.getInductionVar());
    Value base = tileLoop.getRegionIterArgs()[0];
    auto loop = scf::ForOp::create(rewriter, loc, h.c(0), h.c(steps), one);
    {
      OpBuilder::InsertionGuard g2(rewriter);
      rewriter.setInsertionPointToStart(loop.getBody());
      Value kk = loop.getInductionVar();
      Value step = h.add(base, kk);
      Value s = h.rem(step, stages);
      nvgpu::MBarrierTryWaitParityOp::create(rewriter, loc, empty,
                                             parityOf(step, /*flip=*/true),
                                             ticks, s);
      nvgpu::MBarrierArriveExpectTxOp::create(
          rewriter, loc, full, h.c(cfg.stageBytes()), s, Value());
      Value stageOffset = h.mul(s, cfg.stageBytes());
      Value k0 = h.mul(kk, cfg.tileK);
      // x arrives as 64-row boxes (one per consumer warpgroup).
      for (int64_t r = 0; r < tileM; r += 64)
        nvgpu::TmaAsyncLoadOp::create(
            rewriter, loc,
            view(h.add(stageOffset, r * kSwizzleBytes), tileType(64)), full,
            descX, ValueRange{k0, h.add(m0, r)}, s, Value(), Value());
      nvgpu::TmaAsyncLoadOp::create(
          rewriter, loc, view(h.add(stageOffset, aBytes), tileType(tileN)),
          full, descW, ValueRange{k0, n0}, s, Value(), Value());
    }
    scf::YieldOp::create(rewriter, loc, ValueRange{h.add(base, steps)});
  }

  //===--------------------------------------------------------------------===//
  // Consumer warpgroups: wgmma over the ring, then the epilogue, per tile.
  //===--------------------------------------------------------------------===//
  rewriter.setInsertionPointToStart(&roles.getThenRegion().front());
  NVVM::SetMaxRegisterOp::create(rewriter, loc, kConsumerRegisters,
                                 NVVM::SetMaxRegisterAction::increase);
  Value threadInGroup = h.rem(tid, kWarpgroupThreads);
  Value groupLeader = eq(threadInGroup, h.c(0));
  const int64_t accRegs = tileN / 2; // 64 x tileN f32 over 128 threads
  auto accType =
      LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(accRegs, f32));
  NVVM::WGMMATypes wgmmaType =
      et.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
  auto typeAttr = NVVM::WGMMATypesAttr::get(ctx, wgmmaType);
  auto shape = NVVM::MMAShapeAttr::get(ctx, 64, tileN, kInstrK);
  Value myRows = h.mul(myGroup, 64 * kSwizzleBytes);
  auto release = [&](Value step) {
    Value s = h.rem(step, stages);
    nvgpu::MBarrierArriveOp::create(
        rewriter, loc, nvgpu::MBarrierTokenType::get(ctx), empty, s);
  };

  auto tileLoop = scf::ForOp::create(rewriter, loc, bid, tiles, blockStep,
                                     ValueRange{h.c(0)});
  rewriter.setInsertionPointToStart(tileLoop.getBody());
  // Plain values, not a structured binding: the epilogue's lambdas capture
  // them.
  Value m0, n0;
  std::tie(m0, n0) = tileOrigin(tileLoop.getInductionVar());
  Value base = tileLoop.getRegionIterArgs()[0];
  Value accInit = LLVM::ZeroOp::create(rewriter, loc, accType);
  auto mainLoop =
      scf::ForOp::create(rewriter, loc, h.c(0), h.c(steps), one, accInit);
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(mainLoop.getBody());
    Value kk = mainLoop.getInductionVar();
    Value step = h.add(base, kk);
    Value acc = mainLoop.getRegionIterArgs()[0];
    Value s = h.rem(step, stages);
    nvgpu::MBarrierTryWaitParityOp::create(rewriter, loc, full,
                                           parityOf(step, false), ticks, s);
    Value stageAddress = h.add(ringAddress, h.mul(s, cfg.stageBytes()));
    Value aAddress = h.add(stageAddress, myRows);
    Value bAddress = h.add(stageAddress, aBytes);
    NVVM::WgmmaFenceAlignedOp::create(rewriter, loc);
    for (int64_t kq = 0; kq < cfg.tileK / kInstrK; ++kq) {
      int64_t offset = kq * kInstrK * 2;
      Value descA = matrixDescriptor(rewriter, loc, h.add(aAddress, offset));
      Value descB = matrixDescriptor(rewriter, loc, h.add(bAddress, offset));
      acc = NVVM::WgmmaMmaAsyncOp::create(
          rewriter, loc, accType, acc, descA, descB, shape, typeAttr, typeAttr,
          NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::f32),
          NVVM::WGMMAScaleOutAttr::get(ctx, NVVM::WGMMAScaleOut::one),
          NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one),
          NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one),
          NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::row),
          NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::col),
          /*satfinite=*/nullptr);
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(rewriter, loc);
    // The group of the previous step of this tile has retired: its buffer
    // goes back to the producer.
    NVVM::WgmmaWaitGroupSyncOp::create(rewriter, loc, 1);
    auto ifRelease = scf::IfOp::create(
        rewriter, loc, h.andI(h.lt(h.c(0), kk), groupLeader), false);
    {
      OpBuilder::InsertionGuard g2(rewriter);
      rewriter.setInsertionPointToStart(&ifRelease.getThenRegion().front());
      release(h.sub(step, one));
    }
    scf::YieldOp::create(rewriter, loc, acc);
  }
  NVVM::WgmmaWaitGroupSyncOp::create(rewriter, loc, 0);
  Value acc = mainLoop.getResult(0);
  Value next = h.add(base, steps);
  {
    // The tile's last buffer is free too: the producer may fill it for the
    // next tile while this one is stored.
    auto ifRelease = scf::IfOp::create(rewriter, loc, groupLeader, false);
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(&ifRelease.getThenRegion().front());
    release(h.sub(next, one));
  }

  Value warpInGroup = h.div(threadInGroup, 32);
  Value lane = h.rem(tid, 32);
  Value fragRow = h.add(h.add(h.mul(myGroup, 64), h.mul(warpInGroup, 16)),
                        h.div(lane, 4));
  Value fragCol = h.mul(h.rem(lane, 4), 2);
  Value nValue = h.c(n);
  Type outType = cast<MemRefType>(out.getType()).getElementType();
  auto accPair = [&](int64_t j, int64_t half) {
    Value lo = LLVM::ExtractValueOp::create(rewriter, loc, acc,
                                            ArrayRef<int64_t>{4 * j + 2 * half});
    Value hi = LLVM::ExtractValueOp::create(
        rewriter, loc, acc, ArrayRef<int64_t>{4 * j + 2 * half + 1});
    return std::make_pair(lo, hi);
  };

  if (persistent) {
    // Straight from the accumulators: thread (lane) holds 2 consecutive
    // columns of rows fragRow and fragRow + 8 per 8-column group.
    for (int64_t j = 0; j < tileN / 8; ++j)
      for (int64_t half = 0; half < 2; ++half) {
        Value row = h.add(m0, h.add(fragRow, half * 8));
        Value col = h.add(n0, h.add(fragCol, 8 * j));
        auto ifOk = scf::IfOp::create(
            rewriter, loc, h.andI(h.lt(row, m), h.lt(col, nValue)), false);
        OpBuilder::InsertionGuard g(rewriter);
        rewriter.setInsertionPointToStart(&ifOk.getThenRegion().front());
        auto [lo, hi] = accPair(j, half);
        lo = applyEpilogue(rewriter, loc, epilogue, lo, row, col);
        hi = applyEpilogue(rewriter, loc, epilogue, hi, row, h.add(col, 1));
        mma::storePair(rewriter, loc, lo, hi, out, ValueRange{row, col});
      }
    scf::YieldOp::create(rewriter, loc, ValueRange{next});
    rewriter.setInsertionPointAfter(roles);
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.setInsertionPointAfter(launch);
    return;
  }

  // One tile per block: the ring is idle now (every load was consumed) and
  // becomes an f32 staging tile, so that whole rows leave with 16-byte
  // stores. Every consumer must be done reading the ring first.
  auto i32c = [&](int64_t v) {
    return arith::ConstantOp::create(rewriter, loc,
                                     rewriter.getI32IntegerAttr(v));
  };
  auto consumerBarrier = [&]() {
    NVVM::BarrierOp::create(rewriter, loc, TypeRange{},
                            i32c(kConsumerBarrierId), i32c(consumerThreads),
                            nullptr, Value());
  };
  consumerBarrier();
  const int64_t pitch = cfg.stagingPitch();
  auto stagingType = MemRefType::get({tileM, pitch}, f32, AffineMap(),
                                     workgroup);
  Value staging = view(h.c(0), stagingType);
  auto v2 = VectorType::get({2}, f32);
  for (int64_t j = 0; j < tileN / 8; ++j)
    for (int64_t half = 0; half < 2; ++half) {
      auto [lo, hi] = accPair(j, half);
      Value pair =
          vector::FromElementsOp::create(rewriter, loc, v2, ValueRange{lo, hi});
      vector::StoreOp::create(
          rewriter, loc, pair, staging,
          ValueRange{h.add(fragRow, half * 8), h.add(fragCol, 8 * j)},
          /*nontemporal=*/false, llvm::MaybeAlign(8));
    }
  consumerBarrier();

  // Rows back out: warp w of the consumers takes rows w, w + warps, ...;
  // lane l the 8 columns from 8l (several passes when tileN > 256).
  const int64_t warps = consumerThreads / 32;
  const int64_t columnsPerPass = 32 * 8;
  Value warp = h.div(tid, 32);
  auto v4 = VectorType::get({4}, f32);
  // One row pass of 8 columns: the staged accumulators through the epilogue
  // (`apply`, given the 8 values and their row and first column) to the
  // output.
  using ApplyFn =
      function_ref<SmallVector<Value>(ArrayRef<Value>, Value, Value)>;
  auto storeRowPass = [&](Value r, int64_t c0, ApplyFn apply) {
    Value row = h.add(m0, r);
    Value c = h.add(h.mul(lane, 8), c0);
    Value col = h.add(n0, c);
    Value ok = h.andI(h.lt(row, m), h.lt(col, nValue));
    if (tileN - c0 < columnsPerPass)
      ok = h.andI(ok, h.lt(c, h.c(tileN)));
    auto ifOk = scf::IfOp::create(rewriter, loc, ok, false);
    OpBuilder::InsertionGuard g2(rewriter);
    rewriter.setInsertionPointToStart(&ifOk.getThenRegion().front());
    SmallVector<Value> values;
    for (int64_t q = 0; q < 2; ++q) {
      Value quad = vector::LoadOp::create(
          rewriter, loc, v4, staging, ValueRange{r, h.add(c, 4 * q)},
          /*nontemporal=*/false, llvm::MaybeAlign(16));
      for (int64_t e = 0; e < 4; ++e)
        values.push_back(vector::ExtractOp::create(rewriter, loc, quad,
                                                   ArrayRef<int64_t>{e}));
    }
    values = apply(values, row, col);
    Value vec = vector::FromElementsOp::create(
        rewriter, loc, VectorType::get({8}, f32), values);
    if (outType != f32)
      vec = arith::TruncFOp::create(rewriter, loc,
                                    VectorType::get({8}, outType), vec);
    // 8 consecutive elements at a multiple of 8 of a row whose length is
    // a multiple of 8 (N % 8 == 0): 16-byte aligned for 16-bit outputs.
    vector::StoreOp::create(
        rewriter, loc, vec, out, ValueRange{row, col},
        /*nontemporal=*/false,
        llvm::MaybeAlign(std::min<int64_t>(
            16, 8 * outType.getIntOrFloatBitWidth() / 8)));
  };
  if (epilogue && epilogue->loadRow) {
    // An epilogue that reads memory (out_proj's residual): a loop would
    // wait on each row's loads in turn (tileM / warps round trips to memory
    // per tile, none overlapped). Unrolled instead: the operands of every
    // row of the warp are loaded first, at indices clamped into bounds
    // (rows past M and columns past N are loaded but not stored), then
    // every row is computed and stored.
    const int64_t rowsPerWarp = tileM / warps;
    Value lastRow = h.sub(m, h.c(1)), lastCol = h.c(n - 8);
    SmallVector<SmallVector<Value>> loaded;
    for (int64_t i = 0; i < rowsPerWarp; ++i)
      for (int64_t c0 = 0; c0 < tileN; c0 += columnsPerPass) {
        Value row = h.min(h.add(m0, h.add(warp, h.c(i * warps))), lastRow);
        Value col =
            h.min(h.add(n0, h.add(h.mul(lane, 8), h.c(c0))), lastCol);
        loaded.push_back(epilogue->loadRow(rewriter, loc, row, col, 8));
      }
    int64_t pass = 0;
    for (int64_t i = 0; i < rowsPerWarp; ++i)
      for (int64_t c0 = 0; c0 < tileN; c0 += columnsPerPass, ++pass)
        storeRowPass(h.add(warp, h.c(i * warps)), c0,
                     [&](ArrayRef<Value> values, Value row, Value col) {
                       return epilogue->applyRow(rewriter, loc, values,
                                                 loaded[pass], row, col);
                     });
  } else {
    auto rowLoop = scf::ForOp::create(rewriter, loc, warp, h.c(tileM),
                                      h.c(warps));
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(rowLoop.getBody());
    for (int64_t c0 = 0; c0 < tileN; c0 += columnsPerPass)
      storeRowPass(rowLoop.getInductionVar(), c0,
                   [&](ArrayRef<Value> values, Value row, Value col) {
                     SmallVector<Value> result;
                     for (int64_t e = 0; e < 8; ++e)
                       result.push_back(applyEpilogue(rewriter, loc, epilogue,
                                                      values[e], row,
                                                      h.add(col, e)));
                     return result;
                   });
  }
  scf::YieldOp::create(rewriter, loc, ValueRange{next});
  rewriter.setInsertionPointAfter(roles);
  gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointAfter(launch);
}
