//===- MMAUtils.h - helpers for building tensor-core kernels --*- C++ -*-===//
//
// Index and f32 arithmetic, ldmatrix fragments, mma.sync m16n8k16 emission
// and the mbarrier ring helpers of the wgmma kernels, shared by
// rat-matmul-to-mma and rat-chunk-attention-to-mma.
//
// Fragment layouts (PTX ISA, mma.m16n8k16 with 16-bit inputs), lane l:
//   A (16x16, row-major): a0 (l/4, 2(l%4)+{0,1}), a1 rows +8, a2 cols +8,
//     a3 rows and cols +8. ldmatrix.x4 from rows l%16, column (l/16)*8.
//   B (16x8, "col"): b0 (k 2(l%4)+{0,1}, n l/4), b1 k +8. From an [n][k]
//     buffer: ldmatrix.x4 of rows l%8 + (l/16)*8, column ((l/8)%2)*8 gives
//     b0,b1 of n-tile 0 and b0,b1 of n-tile 1. From a [k][n] buffer:
//     ldmatrix.x4.trans of rows l%16, column (l/16)*8.
//   C (16x8, f32): c0,c1 (l/4, 2(l%4)+{0,1}), c2,c3 row +8.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_TRANSFORMS_MMAUTILS_H
#define RAT_LIB_TRANSFORMS_MMAUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::rat::mma {

/// `op` runs on the host: it is not inside a parallel loop (a tile loop that
/// becomes a kernel) or a kernel, so it may become a launch of its own.
inline bool isHostLevel(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (isa<scf::ParallelOp, scf::ForallOp, gpu::LaunchOp>(p))
      return false;
  return true;
}

/// A tensor (not yet bufferized: it will be contiguous), or a memref with the
/// identity layout in the default memory space, i.e. a buffer the dedicated
/// kernels can address as dense rows.
inline bool isContiguousOrTensor(Type type) {
  auto m = dyn_cast<MemRefType>(type);
  return !m || (m.getLayout().isIdentity() && !m.getMemorySpace());
}

/// A tensor, or a memref in the default memory space whose last dimension
/// has unit stride (rows of any stride: a transposed view of a buffer).
inline bool hasUnitStrideRowsOrTensor(Type type) {
  auto m = dyn_cast<MemRefType>(type);
  return !m || (m.isLastDimUnitStride() && !m.getMemorySpace());
}

/// A tensor, or a memref in the default memory space with unit-stride rows
/// whose offset and outer strides are provably multiples of `width`
/// elements, so that `width`-element pieces at multiples of `width` along a
/// row are as aligned as the buffer's start: from the type's static strides
/// and offset, or, for an identity-layout buffer or a memref.transpose view
/// of one (a head split read in place), from the static sizes (every stride
/// is a product of inner sizes). Dimensions of size 1 are never stepped.
inline bool hasAlignedRowsOrTensor(Value v, int64_t width) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type)
    return true;
  if (!hasUnitStrideRowsOrTensor(type) || type.getRank() == 0)
    return false;
  int64_t rank = type.getRank();
  // The identity-layout buffer the value is (a view of), and which of its
  // dimensions each of the value's is.
  Value root = v;
  AffineMap permutation =
      AffineMap::getMultiDimIdentityMap(rank, v.getContext());
  if (auto transpose = v.getDefiningOp<memref::TransposeOp>()) {
    root = transpose.getIn();
    permutation = transpose.getPermutation();
  }
  auto rootType = cast<MemRefType>(root.getType());
  if (rootType.getLayout().isIdentity() && !rootType.getMemorySpace()) {
    for (int64_t d = 0; d + 1 < rank; ++d) {
      if (type.getDimSize(d) == 1)
        continue;
      int64_t inner = 1; // the static part of the stride
      for (int64_t r = permutation.getDimPosition(d) + 1; r < rank; ++r)
        if (!ShapedType::isDynamic(rootType.getDimSize(r)))
          inner *= rootType.getDimSize(r);
      if (inner % width != 0)
        return false;
    }
    return true;
  }
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) || offset % width != 0)
    return false;
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (type.getDimSize(d) != 1 &&
        (ShapedType::isDynamic(strides[d]) || strides[d] % width != 0))
      return false;
  return true;
}

/// Host code: whether vectors of `width` elements at multiples of `width`
/// along the last dimension of each of `buffers` are aligned to their size
/// (start address and every outer stride), so that they may be accessed
/// with aligned vector instructions.
inline Value vectorAccessesAligned(OpBuilder &b, Location loc,
                                   ValueRange buffers, int64_t width) {
  Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
  auto isMultiple = [&](Value v, int64_t m) {
    Value rem = arith::RemUIOp::create(
        b, loc, v, arith::ConstantIndexOp::create(b, loc, m));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rem,
                                 arith::ConstantIndexOp::create(b, loc, 0));
  };
  for (Value buffer : buffers) {
    auto type = cast<MemRefType>(buffer.getType());
    int64_t bytes = type.getElementTypeBitWidth() / 8;
    SmallVector<int64_t> strides;
    int64_t offset;
    (void)type.getStridesAndOffset(strides, offset);
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
    Value base =
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
    Value start = arith::AddIOp::create(
        b, loc, base,
        arith::MulIOp::create(b, loc, meta.getOffset(),
                              arith::ConstantIndexOp::create(b, loc, bytes)));
    ok = arith::AndIOp::create(b, loc, ok, isMultiple(start, width * bytes));
    for (auto [d, stride] :
         llvm::enumerate(ArrayRef<int64_t>(strides).drop_back())) {
      if (!ShapedType::isDynamic(stride)) {
        if (stride % width != 0)
          return arith::ConstantIntOp::create(b, loc, 0, 1);
        continue;
      }
      ok = arith::AndIOp::create(b, loc, ok,
                                 isMultiple(meta.getStrides()[d], width));
    }
  }
  return ok;
}

/// A contiguous `[..., last]` buffer viewed as `[rows, last]`.
inline Value collapseToRows(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return v;
  ReassociationIndices rows;
  for (int64_t d = 0; d + 1 < rank; ++d)
    rows.push_back(d);
  SmallVector<ReassociationIndices> groups{rows, {rank - 1}};
  return memref::CollapseShapeOp::create(b, loc, v, groups);
}

inline Value f32Constant(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// f32 arithmetic at one location: the online softmax of the attention
/// kernels (mma.sync and wgmma) is written with these.
struct F32Math {
  OpBuilder &b;
  Location loc;
  Value fconst(double v) { return f32Constant(b, loc, v); }
  Value fmax(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value fadd(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value fmul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value fsub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value fma(Value x, Value y, Value z) {
    return math::FmaOp::create(b, loc, x, y, z);
  }
  Value exp2(Value x) { return math::Exp2Op::create(b, loc, x); }
};

/// Butterfly reduction of `v` over the lanes whose ids differ in the bits
/// of `offsets` (xor shuffles): {16, 8, 4, 2, 1} is a whole warp, {1, 2}
/// the 4 lanes of an mma quad. Every participating lane gets the result.
inline Value butterflyReduce(OpBuilder &b, Location loc, Value v,
                             ArrayRef<int32_t> offsets, bool max) {
  for (int32_t offset : offsets) {
    Value other =
        gpu::ShuffleOp::create(b, loc, v, offset, 32, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    v = max ? arith::MaximumFOp::create(b, loc, v, other).getResult()
            : arith::AddFOp::create(b, loc, v, other).getResult();
  }
  return v;
}

/// Index arithmetic shorthand.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return y ? add(x, c(y)) : x; }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, c(y));
  }
  Value div(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, c(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, c(y));
  }
  Value min(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
};

/// The phase bit that the mbarriers of a ring of `stages` buffers wait for
/// at ring position `step` (buffer step % stages, round step / stages; a
/// barrier completes one phase per round), inverted with `flip` (a
/// producer waiting for the consumers to release the previous round).
inline Value ringParity(IndexMath &h, Value step, int64_t stages, bool flip) {
  OpBuilder &b = h.b;
  Type i1 = b.getI1Type();
  Value round = h.rem(h.div(step, stages), 2);
  Value bit = arith::IndexCastUIOp::create(b, h.loc, i1, round);
  if (!flip)
    return bit;
  Value t = arith::ConstantOp::create(b, h.loc, b.getIntegerAttr(i1, 1));
  return arith::XOrIOp::create(b, h.loc, bit, t).getResult();
}

/// Makes the mbarriers just initialised visible to the copy engine (the
/// async proxy) before any TMA completes on them.
inline void fenceBarrierInitsForTma(OpBuilder &b, Location loc) {
  MLIRContext *ctx = b.getContext();
  NVVM::FenceProxyOp::create(
      b, loc, NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared),
      NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
}

/// The 32-bit registers of an ldmatrix.x4 result (`vector<4x2xT>`): i32 for
/// bf16 (as nvvm.mma.sync takes them), `vector<2xf16>` for f16.
inline SmallVector<Value> fragmentRegisters(OpBuilder &b, Location loc,
                                            Value frag) {
  auto type = cast<VectorType>(frag.getType());
  bool bf16 = type.getElementType().isBF16();
  SmallVector<Value> regs;
  for (int64_t i = 0; i < type.getDimSize(0); ++i) {
    Value pair =
        vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{i});
    if (bf16) {
      Value asInt = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), pair);
      pair = vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
    }
    regs.push_back(pair);
  }
  return regs;
}

/// ldmatrix.x4 at `indices` of a shared-memory buffer, as registers.
inline SmallVector<Value> loadMatrixX4(OpBuilder &b, Location loc, Value smem,
                                       ValueRange indices, bool transpose) {
  Type et = cast<MemRefType>(smem.getType()).getElementType();
  Value frag = nvgpu::LdMatrixOp::create(b, loc, VectorType::get({4, 2}, et),
                                         smem, indices, transpose,
                                         /*numTiles=*/4);
  return fragmentRegisters(b, loc, frag);
}

/// Packs two f32 values into one A/B register of element type `et`.
inline Value packPair(OpBuilder &b, Location loc, Value lo, Value hi,
                      Type et) {
  Value v = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, b.getF32Type()), ValueRange{lo, hi});
  v = arith::TruncFOp::create(b, loc, VectorType::get({2}, et), v);
  if (!et.isBF16())
    return v;
  Value asInt = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), v);
  return vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
}

/// acc (4 f32) += A (4 regs) * B (2 regs), mma.sync.m16n8k16 row.col with
/// f32 accumulation; returns the 4 new accumulators.
inline SmallVector<Value> mmaSync(OpBuilder &b, Location loc, Type et,
                                  ArrayRef<Value> a, ArrayRef<Value> bReg,
                                  ArrayRef<Value> acc) {
  Type f32 = b.getF32Type();
  auto accStruct =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes type = et.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  auto mma = NVVM::MmaOp::create(
      b, loc, accStruct, a, bReg, acc, ArrayRef<int64_t>{16, 8, 16},
      std::nullopt, std::nullopt, std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, loc, mma.getResult(),
                                               ArrayRef<int64_t>{i}));
  return out;
}

/// A shared-memory (workgroup) buffer type.
inline MemRefType sharedBuffer(ArrayRef<int64_t> shape, Type et) {
  MLIRContext *ctx = et.getContext();
  return MemRefType::get(
      shape, et, AffineMap(),
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
}

/// Stores two f32 values, rounded to the element type of `out`, at
/// `indices` (the second value at the next element of the last dimension).
inline void storePair(OpBuilder &b, Location loc, Value lo, Value hi,
                      Value out, ValueRange indices) {
  Type f32 = b.getF32Type();
  Type et = cast<MemRefType>(out.getType()).getElementType();
  Value v = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, f32), ValueRange{lo, hi});
  if (et != f32)
    v = arith::TruncFOp::create(b, loc, VectorType::get({2}, et), v);
  vector::StoreOp::create(b, loc, v, out, indices);
}

} // namespace mlir::rat::mma

#endif // RAT_LIB_TRANSFORMS_MMAUTILS_H
