//===- ChunkAttentionWGMMA.cpp - chunk attention on Hopper wgmma -*- C++ -*-=//
//
// The sm_90a kernel of rat-chunk-attention-to-mma for rat.chunk_attention:
// query s (position offset + s) attends to the chunk-final states
// k[jL + L - 1], j < (offset + s) / L, and to its own k[offset + s].
//
// A block takes `queries` consecutive queries of one (batch, head): one
// consumer warpgroup per 64 of them, plus a producer warpgroup whose first
// thread issues every TMA load of the block:
//   - the Q tile once (a 4-D tensor map of q, box [queries, 64] per 64
//     columns of the head), into shared memory where it stays;
//   - per step, `states` chunk-final key rows and as many value rows: a 5-D
//     tensor map of the [B, H, T / L, L, D] view of k (v) with a box of
//     extent 1 at index L - 1 of the L dimension gathers the rows jL + L - 1,
//     64 columns per box, into a ring of `stages` buffers; keys and values
//     complete on their own "full" mbarriers (S can start before the values
//     land), and return to the producer through their own "empty"
//     mbarriers once both consumer warpgroups are done with them (the keys
//     after S, the values after P V).
// Every tile in shared memory is 128-byte swizzled, 64 columns (128 bytes)
// per row, 8-row groups 1024 bytes apart, starting at multiples of 1024
// bytes (the swizzle is applied on absolute addresses).
//
// Each consumer warpgroup, per step (the products of consecutive steps
// overlap; see below):
//   - S = Q K^T: wgmma m64n{states}k16, A = its 64 Q rows and B = the keys
//     from shared memory, both K-major;
//   - the causal mask at chunk granularity (state j visible to query s when
//     j < (offset + s) / L), only in the steps that reach past the
//     warpgroup's first query's limit;
//   - online softmax in f32 on the accumulator fragments (row maxima over
//     the 4 lanes of a quad, each lane's partial row sums reduced once
//     after the loop; the scale folded into exp2's argument), the O
//     accumulators rescaled;
//   - P rounded to the input type stays in registers: the accumulator
//     fragment of S is the A fragment of the next product, so
//     O += P V is wgmma m64n{Dv}k16 with A from registers (inline PTX: the
//     NVVM op has only the shared-memory A form) and B = the values from
//     shared memory, N-major (the transpose bit; the descriptor's leading
//     byte offset steps between the 64-column halves of the value tile).
// As in FlashAttention-3, step i issues S of step i and P V of step i - 1
// together, waits for S alone and runs the softmax of step i while P V
// runs, then waits for P V before writing the P and O registers (the
// product reads them asynchronously); the two consumer warpgroups take
// turns to issue their products (named barriers 1 and 2), so that one's
// softmax runs under the other's products.
// The own-token term is merged after the loop: each quad computes q[s] .
// k[s] (Q from shared memory, k[s] and v[s] from global memory), folds it
// into the row's (m, l, O) like one more state; O / l is staged in the
// warpgroup's rows of the Q tile (when Dv <= Dh) and stored as 16-byte
// vectors along whole rows, through an elementwise consumer of the output
// (findAttentionConsumer: the layer's output gate and head merge) when the
// pass found one.
// Query tiles with the most states run first; the blocks of one (batch,
// head) run together and share its states in L2.
//
// Accumulator fragment of m64nN (f32), thread t of the warpgroup: registers
// 4j + {0, 1} hold row 16(t / 32) + (t % 32) / 4, columns 8j + 2(t % 4) +
// {0, 1}; 4j + {2, 3} the row + 8. The A fragment of m64nNk16 in registers
// is the mma.m16n8k16 A fragment of each warp's 16 rows: for k-slice kk,
// the pairs of S registers 8kk + {0, 1}, {2, 3}, {4, 5}, {6, 7}.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"
#include "BufferAliasing.h"
#include "MMAUtils.h"
#include "MatmulKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

namespace {
constexpr int64_t kSwizzleBytes = 128;    // one swizzled row: 64 elements
constexpr int64_t kSwizzleElements = 64;
constexpr int64_t kCoreGroupBytes = 1024; // 8 swizzled rows
constexpr int64_t kWarpgroupThreads = 128;
constexpr int64_t kInstrK = 16;
constexpr int32_t kProducerRegisters = 24;
constexpr int32_t kConsumerRegisters = 240;
} // namespace

AttentionWgmmaConfig AttentionWgmmaConfig::from(KernelAttr attr) {
  AttentionWgmmaConfig cfg;
  ArrayRef<int64_t> tile = attr.getTile();
  cfg.queries = tile.size() > 0 ? tile[0] : 0;
  cfg.states = tile.size() > 1 ? tile[1] : 0;
  cfg.consumerGroups = attr.getWarpgroups();
  cfg.stages = attr.getStages();
  return cfg;
}

KernelAttr AttentionWgmmaConfig::defaultAttr(MLIRContext *ctx) {
  return KernelAttr::get(ctx, KernelFamily::attention_mma, {128, 128}, {},
                         /*warpgroups=*/2, /*stages=*/2, 1, 1, 0, 0);
}

int64_t AttentionWgmmaConfig::sharedBytes(int64_t dh, int64_t dv) const {
  return (queries * dh + stages * states * (dh + dv)) * 2 + kCoreGroupBytes;
}

std::string AttentionWgmmaConfig::unsupported(ChunkAttentionOp op,
                                              int64_t sharedLimit) const {
  if (consumerGroups < 1 || consumerGroups > 2)
    return "the wgmma attention kernel takes 1 or 2 consumer warpgroups";
  if (queries != 64 * consumerGroups)
    return "the wgmma attention kernel needs tile = [64 x warpgroups "
           "queries, states]";
  if (states < 16 || states > 128 || states % 16 != 0)
    return "the wgmma attention kernel takes a multiple of 16 states per "
           "step, at most 128 (its registers)";
  if (stages < 1)
    return "the wgmma attention kernel needs at least 1 stage";
  auto type = [](Value v) { return cast<ShapedType>(v.getType()); };
  int64_t dh = type(op.getQuery()).getDimSize(3);
  int64_t dv = type(op.getValue()).getDimSize(3);
  auto supportedHead = [](int64_t d) { return d == 64 || d == 128; };
  if (!supportedHead(dh) || !supportedHead(dv))
    return "the wgmma attention kernel takes head sizes 64 or 128";
  if (sharedBytes(dh, dv) > sharedLimit)
    return "shared memory (" + std::to_string(sharedBytes(dh, dv)) +
           " bytes) exceeds the chip's " + std::to_string(sharedLimit) +
           " bytes per block";
  return "";
}

std::optional<AttentionConsumer>
mlir::rat::findAttentionConsumer(ChunkAttentionOp op) {
  auto type = [](Value v) { return cast<ShapedType>(v.getType()); };
  if (type(op.getValue()).getDimSize(3) > type(op.getQuery()).getDimSize(3))
    return std::nullopt;
  Operation *next = op->getNextNode();
  while (next && (isa<memref::AllocOp>(next) || isMemoryEffectFree(next)))
    next = next->getNextNode();
  auto generic = dyn_cast_or_null<linalg::GenericOp>(next);
  Value out = op.getInit();
  if (!generic || !generic.hasPureBufferSemantics() ||
      generic.getNumLoops() != 4 || generic.getNumParallelLoops() != 4 ||
      generic.getNumDpsInits() != 1 || !hasScalarArithBody(generic))
    return std::nullopt;
  Block &body = generic.getRegion().front();
  OpOperand *init = generic.getDpsInitOperand(0);
  if (!body.getArgument(init->getOperandNumber()).use_empty())
    return std::nullopt;
  // The loop of the attention's head column.
  std::optional<unsigned> attentionInput;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (input->get() == out) {
      AffineMap map = generic.getMatchingIndexingMap(input);
      if (attentionInput || !map.isPermutation())
        return std::nullopt;
      attentionInput = input->getOperandNumber();
    }
  if (!attentionInput)
    return std::nullopt;
  unsigned column = generic.getIndexingMapsArray()[*attentionInput]
                        .getDimPosition(3);
  for (OpOperand &operand : generic->getOpOperands()) {
    auto memref = dyn_cast<MemRefType>(operand.get().getType());
    AffineMap map = generic.getMatchingIndexingMap(&operand);
    if (!memref || memref.getRank() == 0 ||
        !mma::hasUnitStrideRowsOrTensor(memref) ||
        !map.isProjectedPermutation() ||
        map.getDimPosition(map.getNumResults() - 1) != column)
      return std::nullopt;
  }
  if (!generic.getMatchingIndexingMap(init).isPermutation())
    return std::nullopt;
  // The kernel writes the output while it reads q, k and v.
  Value result = viewRoot(init->get());
  if (!result.getDefiningOp<memref::AllocOp>() || result == viewRoot(out) ||
      llvm::is_contained({viewRoot(op.getQuery()), viewRoot(op.getKey()),
                          viewRoot(op.getValue())},
                         result))
    return std::nullopt;
  // The attention output is not written: nothing else may read it.
  if (!out.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  if (!isUnreadAfter(out, generic, {op.getOperation(), generic}))
    for (Operation *user : out.getUsers())
      if (user != op && user != generic && !isa<memref::DeallocOp>(user))
        return std::nullopt;
  return AttentionConsumer{generic, *attentionInput};
}

namespace {
/// A wgmma shared-memory matrix descriptor for a 128-byte-swizzled tile at
/// shared address `address` (bytes): start address >> 4 in bits [0, 14),
/// leading byte offset >> 4 in [16, 30), stride byte offset 1024 >> 4 in
/// [32, 46), swizzle mode 1 (128B) in [62, 64). K-major tiles ignore the
/// leading byte offset; for an N-major B it is the distance between the
/// 64-column halves.
Value matrixDescriptor(OpBuilder &b, Location loc, Value address,
                       int64_t leadingBytes) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  Value a = arith::IndexCastUIOp::create(b, loc, i64, address);
  a = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, a, c(4)),
                            c(0x3FFF));
  uint64_t fixed = (uint64_t(leadingBytes >> 4) << 16) |
                   (uint64_t(kCoreGroupBytes >> 4) << 32) |
                   (uint64_t(1) << 62);
  return arith::OrIOp::create(b, loc, a, c(fixed));
}

/// acc (struct of n/2 f32) += A (4 registers of 2 x 16 bits) * B (an
/// N-major shared tile, `descB`): wgmma.mma_async m64nNk16 with A in
/// registers, as inline PTX (the same form the NVVM op prints for its
/// shared-memory A).
Value wgmmaRegisterA(OpBuilder &b, Location loc, Value acc,
                     ArrayRef<Value> a, Value descB, int64_t n, bool bf16) {
  int64_t regs = n / 2;
  std::string type = bf16 ? "bf16" : "f16";
  std::string text = "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
                     "wgmma.mma_async.sync.aligned.m64n" +
                     std::to_string(n) + "k16.f32." + type + "." + type +
                     " {";
  std::string constraints;
  for (int64_t i = 0; i < regs; ++i) {
    text += (i ? ", $" : "$") + std::to_string(i);
    constraints += (i ? ",=f" : "=f");
  }
  for (int64_t i = 0; i < regs; ++i)
    constraints += "," + std::to_string(i);
  text += "}, {";
  for (int64_t i = 0; i < 4; ++i) {
    text += (i ? ", $" : "$") + std::to_string(2 * regs + i);
    constraints += ",r";
  }
  // scale-d (p: accumulate), scale-a 1, scale-b 1, transpose-b 1.
  text += "}, $" + std::to_string(2 * regs + 4) + ", p, 1, 1, 1;\n}\n";
  constraints += ",l";
  SmallVector<Value> operands;
  for (int64_t i = 0; i < regs; ++i)
    operands.push_back(LLVM::ExtractValueOp::create(b, loc, acc,
                                                    ArrayRef<int64_t>{i}));
  operands.append(a.begin(), a.end());
  operands.push_back(descB);
  return LLVM::InlineAsmOp::create(
             b, loc, acc.getType(), operands, text, constraints,
             /*has_side_effects=*/true, /*is_align_stack=*/false,
             LLVM::tailcallkind::TailCallKind::None,
             LLVM::AsmDialectAttr::get(b.getContext(),
                                       LLVM::AsmDialect::AD_ATT),
             ArrayAttr())
      .getResult(0);
}

/// Two f32 values rounded to the 16-bit type `et` and packed into an i32
/// (the low half first), as wgmma's A registers take them.
Value packPairI32(OpBuilder &b, Location loc, Value lo, Value hi, Type et) {
  Value v = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, b.getF32Type()), ValueRange{lo, hi});
  v = arith::TruncFOp::create(b, loc, VectorType::get({2}, et), v);
  Value asInt = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), v);
  return vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
}

struct WgmmaAttentionBuilder : mma::F32Math {
  ChunkAttentionOp op;
  const AttentionWgmmaConfig &cfg;
  const AttentionConsumer *consumer;
  RewriterBase &b;
  MLIRContext *ctx;
  IndexMath h;
  Type et, f32;
  int64_t dh, dv;

  WgmmaAttentionBuilder(ChunkAttentionOp op, const AttentionWgmmaConfig &cfg,
                        const AttentionConsumer *consumer, RewriterBase &b)
      : mma::F32Math{b, op.getLoc()}, op(op), cfg(cfg), consumer(consumer),
        b(b),
        ctx(b.getContext()), h{b, op.getLoc()} {
    auto qType = cast<MemRefType>(op.getQuery().getType());
    et = qType.getElementType();
    f32 = b.getF32Type();
    dh = qType.getDimSize(3);
    dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  }

  Value eq(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
  }
  Value extract(Value s, int64_t i) {
    return LLVM::ExtractValueOp::create(b, loc, s, ArrayRef<int64_t>{i});
  }
  Value insert(Value s, Value v, int64_t i) {
    return LLVM::InsertValueOp::create(b, loc, s, v, ArrayRef<int64_t>{i});
  }
  Value i32c(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }

  MemRefType sharedType(ArrayRef<int64_t> shape) {
    return MemRefType::get(
        shape, et, AffineMap(),
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  }
  nvgpu::TensorMapDescriptorType mapType(MemRefType box) {
    return nvgpu::TensorMapDescriptorType::get(
        ctx, box, nvgpu::TensorMapSwizzleKind::SWIZZLE_128B,
        nvgpu::TensorMapL2PromoKind::L2PROMO_256B,
        nvgpu::TensorMapOOBKind::OOB_ZERO,
        nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
  }

  /// Host: the TMA descriptor of `buffer` with box `box` (outermost first),
  /// as an i64 device pointer (a kernel argument type the GPU-to-NVVM
  /// conversion knows; see MatmulWGMMA.cpp).
  Value hostDescriptor(Value buffer, MemRefType box) {
    Value unranked = memref::CastOp::create(
        b, loc, UnrankedMemRefType::get(et, Attribute()), buffer);
    SmallVector<Value> boxDims;
    for (int64_t d : box.getShape())
      boxDims.push_back(h.c(d));
    Value desc = nvgpu::TmaCreateDescriptorOp::create(b, loc, mapType(box),
                                                      unranked, boxDims);
    Value ptr = UnrealizedConversionCastOp::create(
                    b, loc, LLVM::LLVMPointerType::get(ctx), desc)
                    .getResult(0);
    return LLVM::PtrToIntOp::create(b, loc, b.getI64Type(), ptr);
  }
  Value kernelDescriptor(Value address, MemRefType box) {
    Value ptr = LLVM::IntToPtrOp::create(b, loc,
                                         LLVM::LLVMPointerType::get(ctx),
                                         address);
    return UnrealizedConversionCastOp::create(b, loc, mapType(box), ptr)
        .getResult(0);
  }

  /// The [B, H, T / L, L, D] view of a [B, H, T, D] buffer (at least one
  /// chunk: a launch whose tiles have no state loads none): element
  /// [b, h, j, i, d] is row jL + i.
  Value chunkedView(Value x, int64_t L) {
    auto type = cast<MemRefType>(x.getType());
    int64_t d = type.getDimSize(3);
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, x);
    ValueRange sizes = meta.getSizes(), strides = meta.getStrides();
    Value chunks = arith::MaxUIOp::create(b, loc, h.div(sizes[2], L), h.c(1));
    int64_t dyn = ShapedType::kDynamic;
    auto viewType = MemRefType::get(
        {dyn, dyn, dyn, L, d}, et,
        StridedLayoutAttr::get(ctx, dyn, {dyn, dyn, dyn, dyn, 1}));
    SmallVector<OpFoldResult> newSizes{sizes[0], sizes[1], chunks,
                                       b.getIndexAttr(L), b.getIndexAttr(d)};
    SmallVector<OpFoldResult> newStrides{strides[0], strides[1],
                                         h.mul(strides[2], L), strides[2],
                                         b.getIndexAttr(1)};
    return memref::ReinterpretCastOp::create(b, loc, viewType,
                                             meta.getBaseBuffer(),
                                             meta.getOffset(), newSizes,
                                             newStrides);
  }

  /// The consumer's operands (inputs, then the output) other than the
  /// attention output.
  SmallVector<Value> consumerOperands() {
    SmallVector<Value> operands;
    for (OpOperand &operand : consumer->generic->getOpOperands())
      if (operand.getOperandNumber() != consumer->attentionInput)
        operands.push_back(operand.get());
    return operands;
  }

  /// The consumer's loop indices of the attention element [batch, head,
  /// token, col].
  SmallVector<Value> consumerLoops(Value batch, Value head, Value token,
                                   Value col) {
    linalg::GenericOp generic = consumer->generic;
    AffineMap attnMap =
        generic.getIndexingMapsArray()[consumer->attentionInput];
    SmallVector<Value> loops(4);
    Value coords[4] = {batch, head, token, col};
    for (unsigned i = 0; i < 4; ++i)
      loops[attnMap.getDimPosition(i)] = coords[i];
    return loops;
  }
  SmallVector<Value> operandIndices(AffineMap map, ArrayRef<Value> loops,
                                    int64_t e = 0) {
    SmallVector<Value> idx;
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      idx.push_back(loops[map.getDimPosition(i)]);
    idx.back() = h.add(idx.back(), e);
    return idx;
  }

  /// The consumer's other inputs at the 8 elements of row `token`, columns
  /// [col, col + 8): 8 scalars per input (one 16-byte vector each with
  /// `vectors`: the operands' 8-element pieces are aligned).
  SmallVector<SmallVector<Value>> loadEight(Value batch, Value head,
                                            Value token, Value col,
                                            bool vectors) {
    SmallVector<SmallVector<Value>> inputs;
    if (!consumer)
      return inputs;
    linalg::GenericOp generic = consumer->generic;
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    SmallVector<Value> loops = consumerLoops(batch, head, token, col);
    for (OpOperand *input : generic.getDpsInputOperands()) {
      unsigned n = input->getOperandNumber();
      if (n == consumer->attentionInput)
        continue;
      Value buffer = input->get();
      Type elem = cast<MemRefType>(buffer.getType()).getElementType();
      SmallVector<Value> values;
      if (vectors) {
        Value piece = vector::LoadOp::create(
            b, loc, VectorType::get({8}, elem), buffer,
            operandIndices(maps[n], loops), /*nontemporal=*/false,
            llvm::MaybeAlign(16));
        for (int64_t e = 0; e < 8; ++e)
          values.push_back(
              vector::ExtractOp::create(b, loc, piece, ArrayRef<int64_t>{e}));
      } else {
        for (int64_t e = 0; e < 8; ++e)
          values.push_back(memref::LoadOp::create(
              b, loc, buffer, operandIndices(maps[n], loops, e)));
      }
      inputs.push_back(values);
    }
    return inputs;
  }

  /// Stores 8 output elements `o` (the attention's type) of row `token`,
  /// columns [col, col + 8): to the attention output, or through the
  /// consumer, with its other inputs `inputs` (loadEight).
  void storeEight(Value o, ArrayRef<SmallVector<Value>> inputs, Value batch,
                  Value head, Value token, Value col, bool vectors) {
    if (!consumer) {
      vector::StoreOp::create(b, loc, o, op.getInit(),
                              ValueRange{batch, head, token, col},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
      return;
    }
    linalg::GenericOp generic = consumer->generic;
    SmallVector<Value> values;
    for (int64_t e = 0; e < 8; ++e) {
      SmallVector<Value> args;
      const SmallVector<Value> *input = inputs.begin();
      for (unsigned i = 0; i < generic.getNumDpsInputs(); ++i)
        args.push_back(i == consumer->attentionInput
                           ? vector::ExtractOp::create(b, loc, o,
                                                       ArrayRef<int64_t>{e})
                                 .getResult()
                           : (*input++)[e]);
      values.push_back(cloneScalarBody(b, generic, args));
    }
    OpOperand *init = generic.getDpsInitOperand(0);
    Value result = init->get();
    AffineMap map = generic.getMatchingIndexingMap(init);
    SmallVector<Value> loops = consumerLoops(batch, head, token, col);
    if (vectors) {
      Type elem = cast<MemRefType>(result.getType()).getElementType();
      Value piece = vector::FromElementsOp::create(
          b, loc, VectorType::get({8}, elem), values);
      vector::StoreOp::create(b, loc, piece, result,
                              operandIndices(map, loops),
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
    } else {
      for (int64_t e = 0; e < 8; ++e)
        memref::StoreOp::create(b, loc, values[e], result,
                                operandIndices(map, loops, e));
    }
  }

  void build() {
    b.setInsertionPoint(consumer ? static_cast<Operation *>(consumer->generic)
                                 : op.getOperation());
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue(),
          out = op.getInit();
    const int64_t QT = cfg.queries, N = cfg.states, G = cfg.consumerGroups,
                  stages = cfg.stages, L = op.getChunkSize();
    const int64_t threads = (G + 1) * kWarpgroupThreads;
    const int64_t qBytes = QT * dh * 2, kBytes = N * dh * 2, vBytes = N * dv * 2;
    const int64_t stageBytes = kBytes + vBytes;
    // exp(x * scale) = exp2(x * scale * log2(e)); a positive scale is folded
    // into exp2's argument (the maxima of unscaled scores are the same).
    double scale2 = op.getScaleOrDefault() * 1.4426950408889634;
    bool foldScale = scale2 > 0;
    double sc = foldScale ? scale2 : 1.0;

    // The output's sizes (the op's verifier), not read from the output
    // buffer, which a consumer in the epilogue leaves unused.
    Value batches = memref::DimOp::create(b, loc, q, 0);
    Value heads = memref::DimOp::create(b, loc, v, 1);
    Value tq = memref::DimOp::create(b, loc, q, 2);
    Value hq = memref::DimOp::create(b, loc, q, 1);
    Value hk = memref::DimOp::create(b, loc, k, 1);
    Value offset = op.getOffset() ? op.getOffset() : h.c(0);
    Value tiles = arith::CeilDivUIOp::create(b, loc, tq, h.c(QT));
    Value nonEmpty = h.andI(h.lt(h.c(0), tiles),
                            h.andI(h.lt(h.c(0), batches), h.lt(h.c(0), heads)));
    auto guard = scf::IfOp::create(b, loc, nonEmpty, false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    // The consumer's operands take 16-byte vectors when their 8-element
    // pieces are aligned: from their types, else checked here (1 or 0).
    Value vectorsOk;
    if (consumer) {
      SmallVector<Value> unproven;
      for (Value operand : consumerOperands())
        if (!mma::hasAlignedRowsOrTensor(operand, 8))
          unproven.push_back(operand);
      if (!unproven.empty())
        vectorsOk = h.select(mma::vectorAccessesAligned(b, loc, unproven, 8),
                             h.c(1), h.c(0));
    }

    //===------------------------------------------------------------------===//
    // Host: the tensor maps and the launch.
    //===------------------------------------------------------------------===//
    MemRefType qBox = sharedType({1, 1, QT, kSwizzleElements});
    MemRefType kvBox = sharedType({1, 1, N, 1, kSwizzleElements});
    Value hostQ = hostDescriptor(q, qBox);
    Value hostK = hostDescriptor(chunkedView(k, L), kvBox);
    Value hostV = hostDescriptor(chunkedView(v, L), kvBox);
    Value one = h.c(1);
    Value sharedSize = arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(cfg.sharedBytes(dh, dv)));
    auto launch = gpu::LaunchOp::create(b, loc, tiles, heads, batches,
                                        h.c(threads), one, one, sharedSize);
    b.setInsertionPointToStart(&launch.getBody().front());

    //===------------------------------------------------------------------===//
    // Kernel prologue: shared memory, barriers.
    //===------------------------------------------------------------------===//
    Value descQ = kernelDescriptor(hostQ, qBox);
    Value descK = kernelDescriptor(hostK, kvBox);
    Value descV = kernelDescriptor(hostV, kvBox);
    Value tid = launch.getThreadIds().x;
    // Heaviest query tiles (most states) first.
    Value tile = h.sub(h.sub(tiles, one), launch.getBlockIds().x);
    Value t0 = h.mul(tile, QT);
    Value head = launch.getBlockIds().y, batch = launch.getBlockIds().z;
    Value headQ = arith::RemUIOp::create(b, loc, head, hq);
    Value headK = arith::RemUIOp::create(b, loc, head, hk);
    Value lastToken = h.min(h.add(t0, QT - 1), h.sub(tq, one));
    Value numStates = h.div(h.add(offset, lastToken), L);
    Value steps = arith::CeilDivUIOp::create(b, loc, numStates, h.c(N));

    auto workgroup =
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto rawType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                                   AffineMap(), workgroup);
    Value raw = gpu::DynamicSharedMemoryOp::create(b, loc, rawType);
    // The tiles start at the first 1024-byte boundary of the segment: Q,
    // then per stage the keys and the values, each as 64-column halves of
    // rows x 128 bytes.
    Value rawAddress = memref::ExtractAlignedPointerAsIndexOp::create(b, loc,
                                                                      raw);
    Value pad = h.rem(h.sub(h.c(kCoreGroupBytes),
                            h.rem(rawAddress, kCoreGroupBytes)),
                      kCoreGroupBytes);
    Value base = h.add(rawAddress, pad);
    auto view = [&](Value byteOffset, MemRefType type) {
      return memref::ViewOp::create(b, loc, type, raw, h.add(pad, byteOffset),
                                    ValueRange{})
          .getResult();
    };
    auto keyOffset = [&](Value s) {
      return h.add(h.mul(s, stageBytes), qBytes);
    };
    auto valueOffset = [&](Value s) { return h.add(keyOffset(s), kBytes); };

    auto groupType = [&](int64_t n) {
      return nvgpu::MBarrierGroupType::get(ctx, workgroup, n);
    };
    Value qFull = nvgpu::MBarrierCreateOp::create(b, loc, groupType(1));
    Value kFull = nvgpu::MBarrierCreateOp::create(b, loc, groupType(stages));
    Value vFull = nvgpu::MBarrierCreateOp::create(b, loc, groupType(stages));
    Value kEmpty = nvgpu::MBarrierCreateOp::create(b, loc, groupType(stages));
    Value vEmpty = nvgpu::MBarrierCreateOp::create(b, loc, groupType(stages));
    Value zero = h.c(0);
    {
      auto first = scf::IfOp::create(b, loc, h.lt(tid, one), false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&first.getThenRegion().front());
      nvgpu::MBarrierInitOp::create(b, loc, qFull, one, zero, Value());
      for (int64_t s = 0; s < stages; ++s) {
        nvgpu::MBarrierInitOp::create(b, loc, kFull, one, h.c(s), Value());
        nvgpu::MBarrierInitOp::create(b, loc, vFull, one, h.c(s), Value());
        nvgpu::MBarrierInitOp::create(b, loc, kEmpty, h.c(G), h.c(s), Value());
        nvgpu::MBarrierInitOp::create(b, loc, vEmpty, h.c(G), h.c(s), Value());
      }
      mma::fenceBarrierInitsForTma(b, loc);
      nvgpu::TmaPrefetchOp::create(b, loc, descQ, Value());
      nvgpu::TmaPrefetchOp::create(b, loc, descK, Value());
      nvgpu::TmaPrefetchOp::create(b, loc, descV, Value());
    }
    gpu::BarrierOp::create(b, loc);

    // Step i uses buffer i % stages in round i / stages, whose parity the
    // barriers track.
    auto parityOf = [&](Value step, bool flip) {
      return mma::ringParity(h, step, stages, flip);
    };
    Value ticks = h.c(10000000);
    Value myGroup = h.div(tid, kWarpgroupThreads);
    auto roles = scf::IfOp::create(b, loc, h.lt(myGroup, h.c(G)), true);

    //===------------------------------------------------------------------===//
    // Producer warpgroup (the last): one thread issues the TMA loads.
    //===------------------------------------------------------------------===//
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&roles.getElseRegion().front());
      NVVM::SetMaxRegisterOp::create(b, loc, kProducerRegisters,
                                     NVVM::SetMaxRegisterAction::decrease);
      auto leader = scf::IfOp::create(
          b, loc, eq(tid, h.c(G * kWarpgroupThreads)), false);
      b.setInsertionPointToStart(&leader.getThenRegion().front());
      nvgpu::MBarrierArriveExpectTxOp::create(b, loc, qFull, h.c(qBytes),
                                              zero, Value());
      for (int64_t half = 0; half < dh / kSwizzleElements; ++half)
        nvgpu::TmaAsyncLoadOp::create(
            b, loc, view(h.c(half * QT * kSwizzleBytes), qBox), qFull, descQ,
            ValueRange{h.c(half * kSwizzleElements), t0, headQ, batch}, zero,
            Value(), Value());
      auto loop = scf::ForOp::create(b, loc, zero, steps, one);
      b.setInsertionPointToStart(loop.getBody());
      Value i = loop.getInductionVar();
      Value s = h.rem(i, stages);
      Value j0 = h.mul(i, N);
      nvgpu::MBarrierTryWaitParityOp::create(b, loc, kEmpty,
                                             parityOf(i, /*flip=*/true),
                                             ticks, s);
      nvgpu::MBarrierArriveExpectTxOp::create(b, loc, kFull, h.c(kBytes), s,
                                              Value());
      for (int64_t half = 0; half < dh / kSwizzleElements; ++half)
        nvgpu::TmaAsyncLoadOp::create(
            b, loc,
            view(h.add(keyOffset(s), half * N * kSwizzleBytes), kvBox), kFull,
            descK,
            ValueRange{h.c(half * kSwizzleElements), h.c(L - 1), j0, headK,
                       batch},
            s, Value(), Value());
      nvgpu::MBarrierTryWaitParityOp::create(b, loc, vEmpty,
                                             parityOf(i, /*flip=*/true),
                                             ticks, s);
      nvgpu::MBarrierArriveExpectTxOp::create(b, loc, vFull, h.c(vBytes), s,
                                              Value());
      for (int64_t half = 0; half < dv / kSwizzleElements; ++half)
        nvgpu::TmaAsyncLoadOp::create(
            b, loc,
            view(h.add(valueOffset(s), half * N * kSwizzleBytes), kvBox),
            vFull, descV,
            ValueRange{h.c(half * kSwizzleElements), h.c(L - 1), j0, head,
                       batch},
            s, Value(), Value());
    }

    //===------------------------------------------------------------------===//
    // Consumer warpgroups.
    //===------------------------------------------------------------------===//
    b.setInsertionPointToStart(&roles.getThenRegion().front());
    NVVM::SetMaxRegisterOp::create(b, loc, kConsumerRegisters,
                                   NVVM::SetMaxRegisterAction::increase);
    Value threadInGroup = h.rem(tid, kWarpgroupThreads);
    Value warp = h.div(threadInGroup, 32), lane = h.rem(tid, 32);
    Value quad = h.rem(lane, 4);
    // This thread's rows of the tile: r0 and r0 + 8.
    Value groupRow = h.mul(myGroup, 64);
    Value r0 = h.add(groupRow, h.add(h.mul(warp, 16), h.div(lane, 4)));
    SmallVector<Value> token(2), limit(2);
    for (int64_t i = 0; i < 2; ++i) {
      token[i] = h.add(t0, h.add(r0, 8 * i));
      limit[i] = h.div(h.add(offset, token[i]), L);
    }
    // States below this are visible to every query of the warpgroup.
    Value groupLimit = h.div(h.add(offset, h.add(t0, groupRow)), L);
    Value colInFrag = h.mul(quad, 2);

    auto accType = [&](int64_t n) {
      return LLVM::LLVMStructType::getLiteral(
          ctx, SmallVector<Type>(n / 2, f32));
    };
    Type oType = accType(dv), sType = accType(N);
    NVVM::WGMMATypes wgmmaType =
        et.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
    auto typeAttr = NVVM::WGMMATypesAttr::get(ctx, wgmmaType);
    Value negInf = fconst(-INFINITY), fzero = fconst(0.0);
    Value scv = fconst(sc), negScv = fconst(-sc), scale2v = fconst(scale2);

    nvgpu::MBarrierTryWaitParityOp::create(b, loc, qFull, parityOf(zero, false),
                                           ticks, zero);
    Value qAddress = h.add(base, h.mul(myGroup, 64 * kSwizzleBytes));
    auto release = [&](Value barriers, Value stage) {
      auto first = scf::IfOp::create(b, loc, eq(threadInGroup, zero), false);
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(&first.getThenRegion().front());
      nvgpu::MBarrierArriveOp::create(
          b, loc, nvgpu::MBarrierTokenType::get(ctx), barriers, stage);
    };
    // Ping-pong of the two consumer warpgroups (named barriers 1 and 2, 256
    // threads each): a warpgroup issues its products of a step only after
    // the other issued its own, so one's softmax runs while the other's
    // products hold the tensor cores.
    bool pingPong = G == 2;
    Value threadsBoth = i32c(2 * kWarpgroupThreads);
    Value myBarrier, otherBarrier;
    if (pingPong) {
      Value group32 = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                                 myGroup);
      myBarrier = arith::AddIOp::create(b, loc, group32, i32c(1));
      otherBarrier = arith::SubIOp::create(b, loc, i32c(2), group32);
    }
    auto takeTurn = [&] {
      if (pingPong)
        NVVM::BarrierOp::create(b, loc, TypeRange{}, myBarrier, threadsBoth,
                                {}, Value());
    };
    auto passTurn = [&] {
      if (pingPong)
        NVVM::BarrierArriveOp::create(b, loc, otherBarrier, threadsBoth);
    };

    // S = Q K^T of step i, issued and committed (not waited for).
    auto issueScores = [&](Value i) {
      Value s = h.rem(i, stages);
      Value kAddress = h.add(base, keyOffset(s));
      Value sAcc = LLVM::ZeroOp::create(b, loc, sType);
      NVVM::WgmmaFenceAlignedOp::create(b, loc);
      for (int64_t kq = 0; kq < dh / kInstrK; ++kq) {
        int64_t half = kq / 4, within = (kq % 4) * kInstrK * 2;
        Value descA = matrixDescriptor(
            b, loc,
            h.add(qAddress, half * QT * kSwizzleBytes + within), 1);
        Value descB = matrixDescriptor(
            b, loc, h.add(kAddress, half * N * kSwizzleBytes + within), 1);
        sAcc = NVVM::WgmmaMmaAsyncOp::create(
            b, loc, sType, sAcc, descA, descB,
            NVVM::MMAShapeAttr::get(ctx, 64, N, kInstrK), typeAttr, typeAttr,
            NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::f32),
            NVVM::WGMMAScaleOutAttr::get(ctx, NVVM::WGMMAScaleOut::one),
            NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one),
            NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one),
            NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::row),
            NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::col),
            /*satfinite=*/nullptr);
      }
      NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
      return sAcc;
    };
    // O += P V of step i (P: the A fragments), after its values landed;
    // issued and committed.
    auto issueValues = [&](Value i, Value o, ArrayRef<Value> p) {
      Value s = h.rem(i, stages);
      nvgpu::MBarrierTryWaitParityOp::create(b, loc, vFull,
                                             parityOf(i, false), ticks, s);
      Value vAddress = h.add(base, valueOffset(s));
      NVVM::WgmmaFenceAlignedOp::create(b, loc);
      for (int64_t kk = 0; kk < N / kInstrK; ++kk) {
        Value descB = matrixDescriptor(
            b, loc, h.add(vAddress, kk * kInstrK * kSwizzleBytes),
            N * kSwizzleBytes);
        o = wgmmaRegisterA(b, loc, o, p.slice(4 * kk, 4), descB, dv,
                           et.isBF16());
      }
      NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
      return o;
    };
    // The online softmax of step i's scores `sAcc` (finished) for rows with
    // maxima m and this thread's partial sums l (reduced over the quad only
    // after the loop: alpha is the same on the 4 lanes): returns
    // exp2((s - m') * scale) per register and updates m, l, alpha.
    auto softmax = [&](Value i, Value sAcc, SmallVectorImpl<Value> &m,
                       SmallVectorImpl<Value> &l,
                       SmallVectorImpl<Value> &alpha) {
      Value j0 = h.mul(i, N);
      SmallVector<Value> sv;
      for (int64_t r = 0; r < N / 2; ++r) {
        Value x = extract(sAcc, r);
        sv.push_back(foldScale ? x : fmul(x, scale2v));
      }
      // The mask, only where the step reaches past the warpgroup's first
      // query's states: register 4j + e is state j0 + 8j + 2(t % 4) + e % 2
      // of row e / 2.
      auto masked = scf::IfOp::create(
          b, loc, TypeRange(SmallVector<Type>(N / 2, f32)),
          h.lt(groupLimit, h.add(j0, N)), true);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(&masked.getThenRegion().front());
        SmallVector<Value> kept;
        for (int64_t r = 0; r < N / 2; ++r) {
          int64_t jj = r / 4, e = r % 4;
          Value j = h.add(j0, h.add(colInFrag, 8 * jj + e % 2));
          kept.push_back(h.select(h.lt(j, limit[e / 2]), sv[r], negInf));
        }
        scf::YieldOp::create(b, loc, kept);
        b.setInsertionPointToStart(&masked.getElseRegion().front());
        scf::YieldOp::create(b, loc, sv);
      }
      sv.assign(masked.getResults().begin(), masked.getResults().end());
      alpha.resize(2);
      for (int64_t row = 0; row < 2; ++row) {
        Value mx = negInf;
        for (int64_t r = 0; r < N / 2; ++r)
          if ((r % 4) / 2 == row)
            mx = fmax(mx, sv[r]);
        mx = mma::butterflyReduce(b, loc, mx, {1, 2}, /*max=*/true);
        Value mNew = fmax(m[row], mx);
        Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            mNew, negInf);
        Value mUse = h.select(isInf, fzero, mNew);
        alpha[row] = exp2(fmul(fsub(m[row], mUse), scv));
        Value negBias = fmul(mUse, negScv);
        Value sum = fzero;
        for (int64_t r = 0; r < N / 2; ++r)
          if ((r % 4) / 2 == row) {
            sv[r] = exp2(fma(sv[r], scv, negBias));
            sum = fadd(sum, sv[r]);
          }
        l[row] = fma(l[row], alpha[row], sum);
        m[row] = mNew;
      }
      return sv;
    };
    // P as A fragments: k-slice kk = registers 8kk .. 8kk + 7.
    auto pack = [&](ArrayRef<Value> sv) {
      SmallVector<Value> p;
      for (int64_t r = 0; r < N / 2; r += 2)
        p.push_back(packPairI32(b, loc, sv[r], sv[r + 1], et));
      return p;
    };

    // Step i issues S of step i and P V of step i - 1, waits for S only,
    // runs the softmax of step i while P V runs, then waits for P V (the
    // P and O registers are written only after it: the product reads them
    // asynchronously) and rescales O. The first step's S and the last
    // step's P V are issued outside the loop. The keys of a step are
    // handed back once its S is done, the values once its P V is.
    Type i32 = b.getI32Type();
    Value oZero = LLVM::ZeroOp::create(b, loc, oType);
    SmallVector<Value> firstInits{fzero, fzero}; // l0, l1
    firstInits.append({negInf, negInf});         // m0, m1
    Value packedZero = i32c(0);
    for (int64_t r = 0; r < N / 4; ++r)
      firstInits.push_back(packedZero);
    SmallVector<Type> firstTypes(4, f32);
    firstTypes.append(N / 4, i32);
    auto anySteps = scf::IfOp::create(b, loc, firstTypes,
                                      h.lt(zero, steps), true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&anySteps.getThenRegion().front());
      // The second warpgroup lets the first issue its products first.
      if (pingPong) {
        auto second = scf::IfOp::create(b, loc, eq(myGroup, one), false);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(&second.getThenRegion().front());
        NVVM::BarrierArriveOp::create(b, loc, i32c(1), threadsBoth);
      }
      nvgpu::MBarrierTryWaitParityOp::create(b, loc, kFull,
                                             parityOf(zero, false), ticks,
                                             zero);
      takeTurn();
      Value sAcc = issueScores(zero);
      passTurn();
      NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
      release(kEmpty, zero);
      SmallVector<Value> m{negInf, negInf}, l{fzero, fzero}, alpha;
      SmallVector<Value> sv = softmax(zero, sAcc, m, l, alpha);
      SmallVector<Value> results{l[0], l[1], m[0], m[1]};
      llvm::append_range(results, pack(sv));
      scf::YieldOp::create(b, loc, results);
      b.setInsertionPointToStart(&anySteps.getElseRegion().front());
      scf::YieldOp::create(b, loc, firstInits);
    }
    SmallVector<Value> inits{oZero};
    inits.append(anySteps.getResults().begin(), anySteps.getResults().end());
    auto loop = scf::ForOp::create(b, loc, one, steps, one, inits);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value i = loop.getInductionVar();
      auto args = loop.getRegionIterArgs();
      Value o = args[0];
      SmallVector<Value> l{args[1], args[2]}, m{args[3], args[4]};
      SmallVector<Value> p(args.begin() + 5, args.end());
      Value previous = h.sub(i, one);
      nvgpu::MBarrierTryWaitParityOp::create(b, loc, kFull,
                                             parityOf(i, false), ticks,
                                             h.rem(i, stages));
      takeTurn();
      Value sAcc = issueScores(i);
      o = issueValues(previous, o, p);
      passTurn();
      NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 1);
      release(kEmpty, h.rem(i, stages));
      SmallVector<Value> alpha;
      SmallVector<Value> sv = softmax(i, sAcc, m, l, alpha);
      NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
      release(vEmpty, h.rem(previous, stages));
      for (int64_t r = 0; r < dv / 2; ++r)
        o = insert(o, fmul(extract(o, r), alpha[(r % 4) / 2]), r);
      SmallVector<Value> results{o, l[0], l[1], m[0], m[1]};
      llvm::append_range(results, pack(sv));
      scf::YieldOp::create(b, loc, results);
    }
    // The last step's P V, and the row sums over the quad.
    auto last = scf::IfOp::create(b, loc, TypeRange{oType},
                                  h.lt(zero, steps), true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&last.getThenRegion().front());
      Value lastStep = h.sub(steps, one);
      SmallVector<Value> p(loop.getResults().begin() + 5,
                           loop.getResults().end());
      Value o = issueValues(lastStep, loop.getResult(0), p);
      NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
      release(vEmpty, h.rem(lastStep, stages));
      // The first warpgroup takes the second's last turn: every arrival
      // on a named barrier is matched.
      if (pingPong) {
        auto first = scf::IfOp::create(b, loc, eq(myGroup, zero), false);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(&first.getThenRegion().front());
        NVVM::BarrierOp::create(b, loc, TypeRange{}, i32c(1), threadsBoth,
                                {}, Value());
      }
      scf::YieldOp::create(b, loc, o);
      b.setInsertionPointToStart(&last.getElseRegion().front());
      scf::YieldOp::create(b, loc, loop.getResult(0));
    }
    Value o = last.getResult(0);
    SmallVector<Value> mFinal{loop.getResult(3), loop.getResult(4)};
    SmallVector<Value> lFinal;
    for (int64_t row = 0; row < 2; ++row)
      lFinal.push_back(mma::butterflyReduce(b, loc, loop.getResult(1 + row),
                                            {1, 2}, /*max=*/false));

    //===------------------------------------------------------------------===//
    // The own-token term, O / l, the store.
    //===------------------------------------------------------------------===//
    // Quad lane c takes head columns [c dh/4, (c + 1) dh/4): dh/32 pieces of
    // 8, from the swizzled Q tile and from k[offset + s].
    auto qTileType = sharedType({QT * dh});
    Value qTile = view(zero, qTileType);
    int64_t pieces = dh / 32;
    auto v8 = VectorType::get({8}, et);
    auto v8f = VectorType::get({8}, f32);
    auto v2 = VectorType::get({2}, et);
    Value lastRow = h.sub(tq, one);
    // The element of the swizzled tile (64-column halves of QT rows x 128
    // bytes) at `row`, 8-element chunk `chunk` of the row.
    auto swizzledElement = [&](Value row, Value chunk) {
      Value half = h.div(chunk, 8), inRow = h.rem(chunk, 8);
      Value swizzled =
          arith::XOrIOp::create(b, loc, inRow, h.rem(row, 8));
      return h.add(h.add(h.mul(half, QT * kSwizzleElements),
                         h.mul(row, kSwizzleElements)),
                   h.mul(swizzled, 8));
    };
    SmallVector<Value> dots(2), tokenRows(2);
    for (int64_t row = 0; row < 2; ++row) {
      Value tileRow = h.add(r0, 8 * row);
      // Rows past the end are computed on the last row and not stored.
      tokenRows[row] = h.add(offset, h.min(token[row], lastRow));
      Value dot = fzero;
      for (int64_t p = 0; p < pieces; ++p) {
        Value chunk = h.add(h.mul(quad, pieces), p); // 8-element chunk
        Value qv = vector::LoadOp::create(
            b, loc, v8, qTile, ValueRange{swizzledElement(tileRow, chunk)},
            /*nontemporal=*/false, llvm::MaybeAlign(16));
        Value kv = vector::LoadOp::create(
            b, loc, v8, k,
            ValueRange{batch, headK, tokenRows[row], h.mul(chunk, 8)},
            /*nontemporal=*/false, llvm::MaybeAlign(16));
        Value prod = arith::MulFOp::create(
            b, loc, arith::ExtFOp::create(b, loc, v8f, qv),
            arith::ExtFOp::create(b, loc, v8f, kv));
        for (int64_t e = 0; e < 8; ++e)
          dot = fadd(dot, vector::ExtractOp::create(b, loc, prod,
                                                    ArrayRef<int64_t>{e}));
      }
      dot = mma::butterflyReduce(b, loc, dot, {1, 2}, /*max=*/false);
      dots[row] = foldScale ? dot : fmul(dot, scale2v);
    }
    // With Dv <= Dh, the output tile is staged in the warpgroup's rows of
    // the Q tile (read above, by the same warp: each warp has its 16 rows),
    // swizzled the same way (the fragment writes are free of bank
    // conflicts), and stored as 16-byte vectors along whole rows.
    bool staged = dv <= dh;
    if (staged)
      NVVM::SyncWarpOp::create(b, loc, i32c(-1));
    // v[s] of both rows, every load before the first store (a store to
    // memory the loads might alias would wait for them one by one).
    SmallVector<SmallVector<Value>> owns(2);
    for (int64_t row = 0; row < 2; ++row)
      for (int64_t jj = 0; jj < dv / 8; ++jj)
        owns[row].push_back(vector::LoadOp::create(
            b, loc, v2, v,
            ValueRange{batch, head, tokenRows[row],
                       h.add(colInFrag, 8 * jj)},
            /*nontemporal=*/false, llvm::MaybeAlign(4)));
    for (int64_t row = 0; row < 2; ++row) {
      Value dot = dots[row];
      Value mRow = mFinal[row], lRow = lFinal[row];
      // One more state: m' = max(m, dot) (finite), then as in the loop.
      Value mNew = fmax(mRow, dot);
      Value alpha = exp2(fmul(fsub(mRow, mNew), scv));
      Value p = exp2(fmul(fsub(dot, mNew), scv));
      Value lNew = fadd(fmul(lRow, alpha), p);
      Value inv = arith::DivFOp::create(b, loc, fconst(1.0), lNew);
      OpBuilder::InsertionGuard g(b);
      if (!staged) {
        auto ifStore = scf::IfOp::create(b, loc, h.lt(token[row], tq), false);
        b.setInsertionPointToStart(&ifStore.getThenRegion().front());
      }
      Value tileRow = h.add(r0, 8 * row);
      for (int64_t jj = 0; jj < dv / 8; ++jj) {
        Value col = h.add(colInFrag, 8 * jj);
        Value own = owns[row][jj];
        SmallVector<Value> pair;
        for (int64_t e = 0; e < 2; ++e) {
          Value element =
              vector::ExtractOp::create(b, loc, own, ArrayRef<int64_t>{e});
          Value ve = arith::ExtFOp::create(b, loc, f32, element);
          Value acc = extract(o, 4 * jj + 2 * row + e);
          pair.push_back(fmul(fma(acc, alpha, fmul(p, ve)), inv));
        }
        if (!staged) {
          mma::storePair(b, loc, pair[0], pair[1], out,
                         ValueRange{batch, head, token[row], col});
          continue;
        }
        Value element = h.add(swizzledElement(tileRow, h.c(jj)),
                              h.mul(quad, 2));
        Value packed = arith::TruncFOp::create(
            b, loc, v2,
            vector::FromElementsOp::create(
                b, loc, VectorType::get({2}, f32), pair));
        vector::StoreOp::create(b, loc, packed, qTile, ValueRange{element},
                                /*nontemporal=*/false, llvm::MaybeAlign(4));
      }
    }
    if (staged) {
      NVVM::SyncWarpOp::create(b, loc, i32c(-1));
      // Lane l takes 8-element chunk l % (Dv / 8) of row l / (Dv / 8) of
      // each group of 32 / (Dv / 8) of the warp's rows.
      int64_t chunksPerRow = dv / 8, rowsPerPass = 32 / chunksPerRow;
      Value chunk = h.rem(lane, chunksPerRow);
      Value warpRow = h.add(groupRow, h.mul(warp, 16));
      // Every load of the warp's rows first (rows past the end read the
      // last row), then the stores: the loads are not ordered behind
      // stores to memory they might alias.
      Value col = h.mul(chunk, 8);
      auto storeRows = [&](bool vectors) {
        int64_t passes = 16 / rowsPerPass;
        SmallVector<Value> pieces, tokens;
        SmallVector<SmallVector<SmallVector<Value>>> inputs;
        for (int64_t pass = 0; pass < passes; ++pass) {
          Value tileRow = h.add(
              warpRow, h.add(h.div(lane, chunksPerRow), pass * rowsPerPass));
          pieces.push_back(vector::LoadOp::create(
              b, loc, v8, qTile, ValueRange{swizzledElement(tileRow, chunk)},
              /*nontemporal=*/false, llvm::MaybeAlign(16)));
          tokens.push_back(h.add(t0, tileRow));
          inputs.push_back(loadEight(batch, head,
                                     h.min(tokens.back(), lastRow), col,
                                     vectors));
        }
        for (int64_t pass = 0; pass < passes; ++pass) {
          auto ifStore =
              scf::IfOp::create(b, loc, h.lt(tokens[pass], tq), false);
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(&ifStore.getThenRegion().front());
          storeEight(pieces[pass], inputs[pass], batch, head, tokens[pass],
                     col, vectors);
        }
      };
      if (!vectorsOk) {
        storeRows(/*vectors=*/true);
      } else {
        auto ifVectors =
            scf::IfOp::create(b, loc, eq(vectorsOk, one), /*else=*/true);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(&ifVectors.getThenRegion().front());
        storeRows(/*vectors=*/true);
        b.setInsertionPointToStart(&ifVectors.getElseRegion().front());
        storeRows(/*vectors=*/false);
      }
    }
    b.setInsertionPointAfter(roles);
    gpu::TerminatorOp::create(b, loc);
  }
};
} // namespace

void mlir::rat::buildChunkAttentionWgmma(ChunkAttentionOp op,
                                         const AttentionWgmmaConfig &cfg,
                                         const AttentionConsumer *consumer,
                                         RewriterBase &rewriter) {
  WgmmaAttentionBuilder(op, cfg, consumer, rewriter).build();
}
