//===- Passes.td - rat transformation passes ---------------*- tablegen -*-===//
//
// Passes that take rat graphs through tiling, fusion and lowering.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_TRANSFORMS_PASSES_TD
#define RAT_DIALECT_RAT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RatFuseElementwise : Pass<"rat-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg producers into their consumers";
  let description = [{
    Runs linalg's elementwise fusion on the linalg parts of a rat graph
    (gate sigmoid, output gating, GELU, residual adds), so that a chain of
    elementwise `linalg.generic` ops becomes one op before tiling. A
    producer is fused only when the consumer is its single user, so no work
    is duplicated.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "affine::AffineDialect",
                           "tensor::TensorDialect"];
}

def RatTileAndFuse : Pass<"rat-tile-and-fuse", "func::FuncOp"> {
  let summary = "Tile rat ops and fuse their producers into the tile loops";
  let description = [{
    Tiles every rat op on tensors with the upstream tile-and-fuse driver
    (`scf::tileConsumerAndFuseProducersUsingSCF`) and fuses producers into
    the loop nest: parallel `linalg.generic` ops (elementwise, transposes),
    `rat.rope`, `rat.rms_norm` and `rat.chunk_scan`. A producer is fused only
    when all its users lie in the nest (a gate shared by the value and key
    scans stays one op), so nothing is computed twice. Producers of the key
    and value operands of the attention ops are not fused: every query tile
    reads the whole key sequence, so fusing would recompute it per tile.

    Tile sizes are given per op kind over the op's iteration domain
    (see `docs/Dialects/Rat.md`); missing trailing entries and 0 mean "do not
    tile". A discardable `rat.tile_sizes = array<i64: ...>` attribute on an
    op overrides the option. Scan tiles count whole chunks, so a tile never
    splits a chunk. Negative tile sizes are an error at the op.

    Ops with a statically empty result (a zero-sized dimension) are left
    whole and are not fused: there is nothing to tile, and a slice at
    offset 0 of a zero-sized dimension would be out of bounds. Dynamic head
    and group counts of the grouped attention ops are tiled one head at a
    time (or not at all); a larger head tile needs a static group count
    that it divides or that divides it, and is otherwise an error with a
    note saying so.
  }];
  let options = [
    ListOption<"scanTileSizes", "scan-tile-sizes", "int64_t",
               "Tile sizes of rat.chunk_scan over [batch..., chunks, N]">,
    ListOption<"attentionTileSizes", "attention-tile-sizes", "int64_t",
               "Tile sizes of rat.chunk_attention/window_attention over "
               "[B, H, Tq]">,
    ListOption<"normTileSizes", "norm-tile-sizes", "int64_t",
               "Tile sizes of rat.rms_norm over [batch...]">,
    ListOption<"ropeTileSizes", "rope-tile-sizes", "int64_t",
               "Tile sizes of rat.rope over [batch..., T]">,
    ListOption<"stepTileSizes", "step-tile-sizes", "int64_t",
               "Tile sizes of the decode-step ops over [B, H] / [batch..., N]">,
    Option<"keepKernelOps", "keep-kernel-ops", "bool",
           /*default=*/"false",
           "Leave whole the ops that dedicated GPU kernels lower: "
           "rat.chunk_attention and rat.window_attention "
           "(rat-chunk-attention-to-mma), rat.rms_norm "
           "and rat.rope (rat-row-ops-to-gpu), rat.chunk_attention_step and "
           "rat.window_attention_step (rat-step-ops-to-gpu)">,
    Option<"useForall", "use-forall", "bool", /*default=*/"true",
           "Generate scf.forall (parallel) tile loops instead of scf.for">
  ];
  let dependentDialects = ["scf::SCFDialect", "affine::AffineDialect",
                           "tensor::TensorDialect", "linalg::LinalgDialect"];
}

def RatLowerToLoops : Pass<"rat-lower-to-loops", "func::FuncOp"> {
  let summary = "Lower rat ops on buffers to scf loops";
  let description = [{
    Replaces every rat op on memrefs by its loop implementation
    (`TilingInterface::generateScalarImplementation`): `scf.for` loops over
    the iteration domain around scalar `memref`/`arith`/`math` code. The
    attention ops use an online softmax (running maximum and sum in f32) over
    their keys; the chunk scan carries its state in f32 along each chunk.
    Run after bufferization: rat ops still on tensors are an error. With
    `parallel-loops`, the loops over the (parallel) iteration domain are one
    `scf.parallel` instead, for mapping to GPU threads.
  }];
  let options = [
    Option<"parallelLoops", "parallel-loops", "bool", /*default=*/"false",
           "Emit scf.parallel over the iteration domain instead of scf.for">
  ];
  let dependentDialects = ["scf::SCFDialect", "arith::ArithDialect",
                           "math::MathDialect", "memref::MemRefDialect"];
}

def RatMapToGPU : Pass<"rat-map-to-gpu", "func::FuncOp"> {
  let summary = "Map parallel loop nests on buffers to GPU kernels";
  let description = [{
    Turns every outermost `scf.parallel` of a host function into a
    `gpu.launch` whose threads cover the loop's iteration space: the
    iterations are linearised (last dimension fastest, so consecutive
    threads touch consecutive elements of the innermost dimension),
    `block-size` threads per block and as many blocks as needed, each
    thread delinearising its id back to the loop indices. Loop nests inside
    a mapped loop run sequentially in their thread (`scf.parallel` becomes
    `scf.for`). `memref.copy` between buffers becomes a copy loop first, so
    that no host code touches device memory. Buffers allocated inside a
    kernel (tiles of fused producers) become per-thread stack buffers
    (`memref.alloca`), statically sized ones hoisted to the kernel entry;
    their size must have a constant bound of at most 16 KiB, else the pass
    fails: device-side malloc draws on a small heap shared by all threads. Run on bufferized code whose
    parallel work is in `scf.parallel` (scf.forall converted, linalg ops
    lowered to parallel loops, rat ops lowered with `parallel-loops`).
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">
  ];
  let dependentDialects = ["gpu::GPUDialect", "scf::SCFDialect",
                           "arith::ArithDialect", "memref::MemRefDialect"];
}

def RatExposeEntryPoints : Pass<"rat-expose-entry-points", "ModuleOp"> {
  let summary = "Give public functions a C interface";
  let description = [{
    Marks every public `func.func` with `llvm.emit_c_interface` so that the
    LLVM lowering emits `_mlir_ciface_<name>` wrappers taking memref
    descriptors by pointer: the ABI the rat runtime calls
    (`docs/Runtime.md`).
  }];
}

def RatInPlaceState : Pass<"rat-inplace-state", "ModuleOp"> {
  let summary = "Drop decode-state results that are updated in place";
  let description = [{
    Runs on bufferized entry functions whose arguments and results carry
    `rat.role`/`rat.name` attributes (the rat-compile ABI). A `state` result
    that is the very buffer of the `state` argument of the same name (the
    decode step wrote the new state into its argument) is removed from the
    signature, and the argument's role becomes `state_inout`: the runtime
    keeps passing the same buffer, so a decode step copies no cache.
  }];
}

def RatLaunchToLoops : Pass<"rat-launch-to-loops", "func::FuncOp"> {
  let summary = "Run gpu.launch bodies as host loops (GPU emulation)";
  let description = [{
    Replaces each `gpu.launch` by sequential `scf.for` loops over its blocks
    and threads, the body in an alloca scope so each thread's stack buffers
    are released. With it, the GPU pipeline up to `rat-map-to-gpu` runs on
    the host (`rat-to-cpu{emulate-gpu=true}`), so CI without a GPU checks the
    numbers of the kernels' code: tiling for one thread per iteration,
    parallel loops, the mapping's index arithmetic and its stack buffers.
    Only what the host cannot run is left to the GPU: NVVM code generation.
    Launch bodies must be a single block without synchronisation
    (`gpu.barrier`), as `rat-map-to-gpu` produces.
  }];
  let dependentDialects = ["scf::SCFDialect", "memref::MemRefDialect"];
}

def RatHoistStaticAllocas : Pass<"rat-hoist-static-allocas", "func::FuncOp"> {
  let summary = "Move statically sized stack buffers to the function entry";
  let description = [{
    Loops lowered from rat ops create their scratch buffers (online softmax
    accumulators) inside the loop nest; a `memref.alloca` executed in a loop
    grows the stack at every iteration. This pass moves every statically
    sized, operand-free `memref.alloca` of the function (outside GPU
    kernels, which `rat-map-to-gpu` handles per thread) to the entry block,
    where it is allocated once, and inlines the alloca scopes left empty.
    Each use writes its buffer before reading it, so one buffer serves every
    iteration. Scopes that still hold dynamically sized buffers (emulated
    GPU threads) become their body between `llvm.intr.stacksave` and
    `llvm.intr.stackrestore`, before their loops turn into unstructured
    control flow, which a scope cannot hold.
  }];
  let dependentDialects = ["memref::MemRefDialect", "LLVM::LLVMDialect"];
}

def RatNameKernels : Pass<"rat-name-kernels", "ModuleOp"> {
  let summary = "Give every outlined GPU kernel a unique name";
  let description = [{
    `gpu-kernel-outlining` names every kernel of a function `<func>_kernel`,
    each in its own `gpu.module` (`<func>_kernel`, `<func>_kernel_0`, ...).
    This pass renames each kernel after its module and updates the
    `gpu.launch_func` ops, so that profiles and runtime errors name the
    kernel that failed.
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}


def RatFormMatmul : Pass<"rat-form-matmul", "func::FuncOp"> {
  let summary = "Turn fill + contraction (+ cast) linalg ops into rat.matmul";
  let description = [{
    Recognises the projection pattern front ends emit for `x @ W^T` with a
    weight in `[out, in]` layout: a `linalg.generic` with iterators
    `[parallel..., reduction]`, maps `(..., k)`, `(n, k)` and `(..., n)`, a
    body `out + ext(a) * ext(b)` accumulating in f32 into a
    `linalg.fill` of zero, and replaces it by `rat.matmul`. When the only
    user of the f32 result is an elementwise cast to another float type
    (`arith.truncf`), the cast is folded into the matmul's destination, so
    the f32 accumulator is never materialised in memory.
  }];
  let dependentDialects = ["rat::RatDialect"];
}

def RatMatmulToMMA : Pass<"rat-matmul-to-mma", "func::FuncOp"> {
  let summary = "Lower rat.matmul on buffers to a tensor-core GPU kernel";
  let description = [{
    Replaces every `rat.matmul` on memrefs whose operands are bf16 or f16,
    whose reduction size `K` is a static multiple of the K tile, whose `N`
    is a static multiple of 8, and whose buffers are contiguous, by a
    `gpu.launch` of a tiled tensor-core kernel (NVVM `mma.sync`
    m16n8k16 with f32 accumulators): by default 128x256 output tiles per
    block of 8 warps (a 2x4 grid, each warp 64x64), 64-wide K steps staged
    in shared memory by `cp.async` (`nvgpu.device_async_copy`, a 3-stage
    ring, rows padded to avoid bank conflicts, dynamic shared memory above
    48 KiB) and read with `ldmatrix` (`nvgpu.ldmatrix`).
    Leading dimensions of the input are flattened into the row count `M`;
    rows and columns past `M` and `N` are zero-filled on load and not
    stored. Other matmuls are left to `rat-lower-to-loops`.

    Few rows (decode steps, short prompts): when the default tiles give
    fewer than two waves of blocks, the host code launches a 64x64-tile
    kernel of 4 warps instead, and when that still gives fewer than two
    waves and `K` has at least 8 steps of 64, `K` is split over grid z
    (slices of at least 4 steps, at most 32 slices): each slice stores its
    f32 partial product into a `[splits, M, N]` buffer and a second kernel
    sums the slices into the result. The choice is made at run time from
    `M`.

    The default block tile, warp grid and number of pipeline stages are
    options.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Block tile M, N, K (default 128, 256, 64)">,
    ListOption<"warps", "warps", "int64_t",
               "Warp grid along M and N (default 2, 4)">,
    Option<"stages", "stages", "int64_t", /*default=*/"3",
           "cp.async pipeline stages (>= 2)">
  ];
  let dependentDialects = ["gpu::GPUDialect", "nvgpu::NVGPUDialect",
                           "NVVM::NVVMDialect", "LLVM::LLVMDialect",
                           "vector::VectorDialect", "scf::SCFDialect",
                           "arith::ArithDialect", "memref::MemRefDialect"];
}


def RatChunkAttentionToMMA : Pass<"rat-chunk-attention-to-mma", "func::FuncOp"> {
  let summary = "Lower rat.chunk_attention and rat.window_attention on "
                "buffers to a tensor-core kernel";
  let description = [{
    Replaces every `rat.chunk_attention` on contiguous bf16/f16 memrefs with
    static head sizes `Dh`, `Dv` (multiples of 16, at most 128) by a
    `gpu.launch` of a FlashAttention-style kernel: a block of 4 warps per 64
    queries of one (batch, head); per step, 64 chunk-final key and value
    states (rows `jL + L - 1`) are staged in shared memory with `cp.async`
    (values in a second group that loads while the scores are computed),
    scores `Q K^T` and `P V` run on `mma.sync` m16n8k16 with f32
    accumulators, states `j >= s / L` are masked, and the softmax is online
    (f32 row maxima and sums, quad shuffles). The own-token key and value
    are merged last. Query tiles with the most states are scheduled first.

    `rat.window_attention` under the same conditions takes the same kernel
    with consecutive key rows: a tile of queries at positions `s0 .. s1`
    visits the keys from `max(0, s0 - W)` (rounded down to 64) to `s1`, the
    mask keeps `s - W <= j <= s` (`W = 0`: `j <= s`), and no separate
    own-token term is needed.
  }];
  let dependentDialects = ["gpu::GPUDialect", "nvgpu::NVGPUDialect",
                           "NVVM::NVVMDialect", "LLVM::LLVMDialect",
                           "vector::VectorDialect", "scf::SCFDialect",
                           "math::MathDialect", "arith::ArithDialect",
                           "memref::MemRefDialect"];
}


def RatRowOpsToGPU : Pass<"rat-row-ops-to-gpu", "func::FuncOp"> {
  let summary = "Lower rat.rms_norm and rat.rope on buffers to row-parallel "
                "GPU kernels";
  let description = [{
    Replaces `rat.rms_norm` and `rat.rope` on contiguous memrefs with a
    static last dimension by `gpu.launch` ops in which neighbouring threads
    touch neighbouring elements: `rms_norm` takes one warp per row, two
    warps per block (lanes sum squares over a strided slice with 16-byte
    vector loads where the row allows, butterfly shuffles reduce, lanes
    scale their slice; a row of at most 16 vector loads per lane is
    unrolled, its loads issued together and kept in registers for the
    scaling), `rope` one thread per rotated pair. Other buffers keep the loop lowering.
  }];
  let dependentDialects = ["gpu::GPUDialect", "vector::VectorDialect",
                           "scf::SCFDialect", "math::MathDialect",
                           "arith::ArithDialect", "memref::MemRefDialect"];
}


def RatStepOpsToGPU : Pass<"rat-step-ops-to-gpu", "func::FuncOp"> {
  let summary = "Lower the decode attention steps on buffers to a "
                "warp-parallel GPU kernel";
  let description = [{
    Replaces `rat.chunk_attention_step` and `rat.window_attention_step` on
    contiguous memrefs (head size a static multiple of 32, at most 256) by a
    `gpu.launch` with one block of 4 warps per (batch, head): the block
    writes the new key and value into cache row `c = position / L` (chunk
    step) or ring row `position mod R` (window step); warp `w` takes the
    cached rows `j < c` (tokens `j` in `[max(0, p - W), p)` at ring row
    `j mod R` for the window step) with `j = w (mod 4)`, each lane holding `Dh/32` consecutive dims (vector
    loads), scores summed by butterfly shuffles, online softmax in f32; warp
    0 adds the own state from the inputs; the partial results merge through
    shared memory. All position arithmetic happens in the kernel, so the
    launch takes the position itself (a replayed CUDA graph patches it).
  }];
  let dependentDialects = ["gpu::GPUDialect", "vector::VectorDialect",
                           "scf::SCFDialect", "math::MathDialect",
                           "arith::ArithDialect", "memref::MemRefDialect"];
}


def RatDedupKernels : Pass<"rat-dedup-kernels", "ModuleOp"> {
  let summary = "Merge outlined kernels that are identical up to their names";
  let description = [{
    After outlining, every launch has its own `gpu.module`, so a model with
    24 identical layers (and prefill, prompt and decode entries) carries
    each layer kernel dozens of times. This pass compares the single-kernel
    `gpu.module`s with their names masked, keeps the first of each class,
    points every `gpu.launch_func` at it and erases the others. Fewer
    modules to translate and serialise: a smaller executable and a shorter
    compile. The kept kernel keeps its name (e.g. `prefill_kernel_3` may
    also serve the decode entry).
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}


def RatShrinkBufferLifetimes : Pass<"rat-shrink-buffer-lifetimes", "func::FuncOp"> {
  let summary = "Move each memref.dealloc to just after the buffer's last use";
  let description = [{
    Ownership-based buffer deallocation frees temporaries at the end of the
    block that allocated them, so an entry of a deep model keeps every
    layer's intermediates alive until it returns. This pass moves each
    `memref.dealloc` up to just after the last operation of its block that
    uses the buffer or an alias of it (any memref result of a user, e.g.
    views and casts). Deallocs whose buffer is used outside their block, or
    by the block's terminator, stay. Run after
    `convert-bufferization-to-memref`.
  }];
  let dependentDialects = ["memref::MemRefDialect"];
}

#endif // RAT_DIALECT_RAT_TRANSFORMS_PASSES_TD
