//===- MatmulKernels.h - rat.matmul kernel builders -----------*- C++ -*-===//
//
// The kernel families that implement rat.matmul on NVIDIA GPUs, one builder
// per tensor-core generation (mma.sync in MatmulToMMA.cpp, wgmma in
// MatmulWGMMA.cpp) and one for few rows (gemv in MatmulGEMV.cpp), and the
// fused epilogue they share (an elementwise consumer of the product, found
// and built in MatmulEpilogueFusion.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_TRANSFORMS_MATMULKERNELS_H
#define RAT_LIB_TRANSFORMS_MATMULKERNELS_H

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <optional>
#include <string>

namespace mlir::rat {

/// What a GEMM kernel applies to each f32 product element before the store:
/// `build(b, loc, acc, row, col)` returns the value to store (still f32; the
/// kernel rounds it to the destination type). `row` and `col` are the
/// element's indices in the [M, N] result.
struct MatmulEpilogue {
  std::function<Value(OpBuilder &, Location, Value, Value, Value)> build;
  /// The same for `width` consecutive elements of one row in two steps, so
  /// that a kernel can issue the loads of many rows before it waits on any:
  /// `loadRow(b, loc, row, col, width)` loads the operands that elements
  /// [row, col .. col + width) need (one vector load per operand buffer; the
  /// indices must be in bounds and `col` a multiple of `width`, with rows of
  /// a multiple of `width` elements, for the loads' alignment);
  /// `applyRow(b, loc, accs, loaded, row, col)` returns the `width` values
  /// to store. Both are set or neither.
  std::function<SmallVector<Value>(OpBuilder &, Location, Value, Value,
                                   int64_t)>
      loadRow;
  std::function<SmallVector<Value>(OpBuilder &, Location, ArrayRef<Value>,
                                   ArrayRef<Value>, Value, Value)>
      applyRow;
};

/// Whether the body of `generic` is scalar arith/math ops alone (no
/// regions, no linalg.index): what a kernel can clone for each element.
inline bool hasScalarArithBody(linalg::GenericOp generic) {
  for (Operation &op : generic.getRegion().front().without_terminator())
    if (op.getNumRegions() != 0 || isa<linalg::IndexOp>(op) ||
        !isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
      return false;
  return true;
}

/// Clones the body of `generic` (hasScalarArithBody) at `b`'s insertion
/// point with its first block arguments bound to `args`, in order, and
/// returns the value it yields (in the body's type). What the fused
/// epilogues and prologues apply to each element.
inline Value cloneScalarBody(OpBuilder &b, linalg::GenericOp generic,
                             ValueRange args) {
  Block &body = generic.getRegion().front();
  IRMapping mapping;
  mapping.map(body.getArguments().take_front(args.size()), args);
  for (Operation &op : body.without_terminator())
    b.clone(op, mapping);
  return mapping.lookupOrDefault(
      cast<linalg::YieldOp>(body.getTerminator()).getOperand(0));
}

/// An elementwise consumer of a matmul's product applied in its epilogue.
struct FusedConsumer {
  linalg::GenericOp generic;
  /// The generic's input operand that reads the product.
  unsigned productInput;
};

/// The op after `op` (allocations aside), when it is an elementwise
/// linalg.generic on buffers that the matmul's epilogue can apply instead:
/// all loops parallel, one per dimension of the product; the product read by
/// exactly one input at the identity index; its other inputs contiguous
/// buffers read at the identity index or along the last dimension only (a
/// bias); one output, contiguous, written at the identity index, whose
/// current value the body does not read; a body of scalar arith/math ops.
/// Unless the output is the product itself (the residual add in place), the
/// product buffer must not be observed by anything else: nothing reads it
/// after the consumer (isUnreadAfter), or its other users are
/// deallocations, and matmuls that overwrite it each followed by their own
/// consumer (a buffer that bufferization shares between layers).
std::optional<FusedConsumer> findFusedConsumer(MatmulOp op);

/// Whether the contents of `buffer` after `op` are never read, so that a
/// kernel that fuses `fusedUsers` (ops of `op`'s block that use `buffer`
/// directly, `op` among them or not) may leave them unwritten: `buffer` is
/// a memref.alloc of that block, and the first other op of the block after
/// `op` that touches it or a view of it (memref.dim aside) overwrites it
/// whole without reading it (a matmul's or rms_norm's output, an
/// elementwise generic's output at the identity index whose value the body
/// ignores) or deallocates it. BufferReads.cpp.
bool isUnreadAfter(Value buffer, Operation *op,
                   ArrayRef<Operation *> fusedUsers);

/// The epilogue that applies `fused` to each product element at [row, col]
/// of the [M, N] product: the product rounded to its buffer's type (as the
/// unfused program stores it), the other inputs loaded from `operands`
/// (collapsed to [M, N] or the bias [N]), the body, widened back to f32 for
/// the kernel's final rounding to the output type (exact).
MatmulEpilogue fusedEpilogue(const FusedConsumer &fused,
                             SmallVector<Value> operands, Type productType);

/// Configuration of the mma.sync kernel (sm_80+).
/// Both configurations are read from the op's #rat.kernel decision (`from`);
/// their defaults are rat-select-kernels'.
struct MmaSyncConfig {
  int64_t tileM = 0, tileN = 0, tileK = 0;
  int64_t warpsM = 0, warpsN = 0, stages = 0;
  /// Split K over at most this many slices when the tiles alone give fewer
  /// than `splitBlocks` blocks (1: never).
  int64_t splitK = 1, splitBlocks = 0;

  static MmaSyncConfig from(KernelAttr attr);
  int64_t threads() const { return 32 * warpsM * warpsN; }
  int64_t warpM() const { return tileM / warpsM; }
  int64_t warpN() const { return tileN / warpsN; }
  int64_t pitch() const { return tileK + 8; } // padded shared-memory row
  int64_t sharedBytes(int64_t elementBytes) const {
    return stages * (tileM + tileN) * pitch() * elementBytes;
  }
  /// Why the configuration cannot be built within `sharedLimit` bytes of
  /// shared memory per block, or empty.
  std::string invalid(int64_t sharedLimit) const;
};

/// Configuration of the warp-specialised wgmma kernel (sm_90a).
struct WgmmaConfig {
  int64_t tileM = 0, tileN = 0, tileK = 0;
  int64_t stages = 0;
  int64_t consumerGroups = 0;
  /// Block tiles are visited in groups of this many tile rows (L2 reuse).
  int64_t groupM = 0;
  /// A persistent grid of at most this many blocks, each looping over tiles
  /// (0: one block per tile).
  int64_t grid = 0;

  static WgmmaConfig from(KernelAttr attr);

  int64_t stageBytes() const;
  int64_t stagingPitch() const;
  /// Dynamic shared memory of one block.
  int64_t sharedBytes() const;
  /// Why the configuration cannot be built within `sharedLimit` bytes of
  /// shared memory per block, or empty.
  std::string invalid(int64_t sharedLimit) const;
};

/// Configuration of the GEMV kernel for few rows (MatmulGEMV.cpp): a block
/// of `warps` warps per `rowsPerBlock` rows of w, the threads splitting K.
struct GemvConfig {
  /// The rows of x the kernel is built for (it applies when M <= rows).
  int64_t rows = 1;
  int64_t rowsPerBlock = 4, warps = 8;
  /// Elements per thread access (16 bytes of a 16-bit type).
  static constexpr int64_t kChunk = 8;
  /// At most this many 16-byte loads per thread in flight per step.
  static constexpr int64_t kLoadsInFlight = 24;

  static GemvConfig from(KernelAttr attr);
  int64_t threads() const { return 32 * warps; }
  /// 16-byte chunks of a row of length `k` per thread (rounded up).
  int64_t chunksPerThread(int64_t k) const;
  /// Chunks per row that a thread loads per step (a divisor of its chunks).
  int64_t unroll(int64_t k) const;
  /// Why the configuration cannot be built for w [n, k], or empty.
  std::string invalid(int64_t n, int64_t k) const;
};

/// Why `variant` cannot implement `op` within `sharedLimit` bytes of shared
/// memory per block (element types, static and aligned sizes, contiguous
/// buffers, the configuration itself), or empty.
std::string matmulKernelUnsupported(MatmulOp op, KernelAttr variant,
                                    int64_t sharedLimit);

/// Emits, at the insertion point (host code), the TMA descriptors and the
/// launch of the wgmma kernel computing out[M, N] = epilogue(x[M, K] *
/// w[N, K]^T) for M = `m` > 0 rows. x, w and out are contiguous 2-D buffers;
/// N % 8 == 0 and K % 8 == 0 (TMA strides are multiples of 16 bytes).
void buildWgmmaMatmulLaunch(Location loc, Value x, Value w, Value out,
                            Value m, const WgmmaConfig &cfg,
                            RewriterBase &rewriter,
                            const MatmulEpilogue *epilogue = nullptr);

/// An rms_norm whose result only the matmul right after it reads: the
/// gemv kernels apply it themselves (findFusedNorm).
struct GemvNorm {
  RmsNormOp norm;
  /// The norm's input, [M, K] (collapsed), and its weight [K].
  Value input, weight;
  double epsilon;
};

/// The rat.rms_norm right before `op` (allocations aside) whose result is
/// `op`'s input and is read by nothing else: the next op of the block that
/// touches that buffer (or a view of it) after `op` overwrites it whole
/// without reading it, or deallocates it; 16-bit input, weight and result,
/// contiguous. Null otherwise.
std::optional<RmsNormOp> findFusedNorm(MatmulOp op);

/// An elementwise linalg.generic whose result only the matmul right after
/// it reads: the gemv kernels compute each x element from the generic's
/// inputs as they load them (findFusedProducer).
struct GemvProducer {
  linalg::GenericOp generic;
  /// The generic's inputs in order: [M, K] rows (collapsed, unit stride
  /// along K) or [K] (read by column).
  SmallVector<Value> inputs;
};

/// The elementwise linalg.generic right before `op` (allocations aside)
/// that writes `op`'s input whole and that nothing else reads after `op`
/// (isUnreadAfter): all loops parallel, its one output at the identity
/// index and not read by the body, a body of scalar arith/math ops, inputs
/// of float types read at the identity index (rows of unit stride whose
/// static offset and strides keep 16-byte vectors aligned) or along the
/// last dimension only. Null otherwise.
std::optional<linalg::GenericOp> findFusedProducer(MatmulOp op);

/// Emits, at the insertion point (host code), the launch of the GEMV kernel
/// computing out[M, N] = epilogue(x[M, K] * w[N, K]^T) for 0 < M <=
/// `cfg.rows` rows `m`; x, w and out are contiguous 16-bit (out: also f32)
/// buffers and `cfg.invalid(N, K)` is empty. With `norm`, x is
/// rms_norm(norm->input) * norm->weight, computed in the kernel (x is not
/// read). With `producer`, x is the producer's body applied to its inputs,
/// element by element in the kernel, rounded to x's type as the producer
/// stores it (x is not read).
void buildGemvLaunch(Location loc, Value x, Value w, Value out, Value m,
                     const GemvConfig &cfg, RewriterBase &rewriter,
                     const MatmulEpilogue *epilogue = nullptr,
                     const GemvNorm *norm = nullptr,
                     const GemvProducer *producer = nullptr);

} // namespace mlir::rat

#endif // RAT_LIB_TRANSFORMS_MATMULKERNELS_H
