//===- RatAttrs.td - rat dialect attributes ----------------*- tablegen -*-===//
//
// The kernel decision rat-select-kernels records on an op (and a user may
// write in the input IR to override it).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_IR_RATATTRS_TD
#define RAT_DIALECT_RAT_IR_RATATTRS_TD

include "rat/Dialect/Rat/IR/RatDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Rat_KernelFamily : I32EnumAttr<"KernelFamily",
    "the kind of GPU kernel that implements an op", [
      I32EnumAttrCase<"wgmma", 0>,
      I32EnumAttrCase<"mma_sync", 1>,
      I32EnumAttrCase<"attention_mma", 2>,
      I32EnumAttrCase<"row", 3>,
      I32EnumAttrCase<"step", 4>,
      I32EnumAttrCase<"loops", 5>,
      I32EnumAttrCase<"gemv", 6>
    ]> {
  let cppNamespace = "::mlir::rat";
  let genSpecializedAttr = 0;
}

/// An optional list of integers printed and parsed as `[1, 2, 3]`.
class Rat_I64List : OptionalArrayRefParameter<"int64_t"> {
  let parser = [{ ::mlir::rat::parseI64List($_parser) }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer);
    $_printer << ']';
  }];
}

def Rat_KernelAttr : AttrDef<Rat_Dialect, "Kernel"> {
  let mnemonic = "kernel";
  let summary = "The kernel that implements an op, and its configuration";
  let description = [{
    Recorded by `rat-select-kernels` in the `rat.kernel` attribute of an op
    (an array of variants for `rat.matmul`, whose row count is known only at
    run time); tiling and the kernel passes read it and nothing else. A
    `rat.kernel` written in the input IR is kept (checked against the chip).

    - `family`: `wgmma` (sm_90a warp-specialised TMA + wgmma GEMM),
      `mma_sync` (sm_80+ cp.async + ldmatrix + mma.sync GEMM),
      `attention_mma` (FlashAttention-style chunk/window attention on
      mma.sync, or with `warpgroups` chunk attention on sm_90a wgmma), `row` (row-parallel rms_norm / rope), `step` (decode-step
      attention), `loops` (the generic path: tiled loops, one thread per
      iteration), `gemv` (few-row matmul on CUDA cores: the threads of a
      block split K of a few rows of w, 16-byte loads, no split K).
    - `tile`: the block tile (GEMMs: M, N, K; gemv: the rows of x it is
      built for, which it applies to when M is at most that, and the rows
      of w per block; the wgmma attention: queries per block, chunk states
      per step).
    - `warps`: the warp grid (mma_sync: along M, N; gemv: warps per
      block).
    - `warpgroups`: consumer warpgroups (wgmma; `attention_mma` with
      warpgroups is the sm_90a wgmma attention kernel, without them the
      mma.sync one).
    - `stages`: shared-memory pipeline depth.
    - `split_k`: at most this many K slices (GEMMs with few rows).
    - `group_m`: tile rows per group of the block order (L2 reuse).
    - `min_blocks`: a variant of a list applies at run time when it gives at
      least this many blocks (the last variant always applies).
    - `blocks`: wgmma: a persistent grid of at most this many blocks looping
      over the tiles (0: one block per tile); mma_sync with `split_k > 1`:
      K is split until the launch has about this many blocks.

    Example:

    ```mlir
    %y = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>)
           outs(%e : tensor<?x6656xbf16>)
           {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4],
                                      warps = [8]>,
                          #rat.kernel<family = wgmma, tile = [128, 256, 64],
                                      warpgroups = 2, stages = 4,
                                      min_blocks = 132>,
                          #rat.kernel<family = mma_sync, tile = [64, 64, 64],
                                      warps = [2, 2], stages = 3,
                                      split_k = 32>]}
           -> tensor<?x6656xbf16>
    ```
  }];
  let parameters = (ins
    EnumParameter<Rat_KernelFamily>:$family,
    Rat_I64List<>:$tile,
    Rat_I64List<>:$warps,
    DefaultValuedParameter<"int64_t", "0">:$warpgroups,
    DefaultValuedParameter<"int64_t", "0">:$stages,
    DefaultValuedParameter<"int64_t", "1">:$split_k,
    DefaultValuedParameter<"int64_t", "1">:$group_m,
    DefaultValuedParameter<"int64_t", "0">:$min_blocks,
    DefaultValuedParameter<"int64_t", "0">:$blocks
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // RAT_DIALECT_RAT_IR_RATATTRS_TD
