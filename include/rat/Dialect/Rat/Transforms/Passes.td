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

def RatSelectKernels : Pass<"rat-select-kernels", "func::FuncOp"> {
  let summary = "Choose, per op, the GPU kernel that implements it";
  let description = [{
    The one place where the GPU pipeline decides which kernel family
    implements an op and with which configuration, from the target
    description of `chip` (`include/rat/Target/Chip.h`: SM count, shared
    memory, MMA generation, TMA). The decision is recorded on the op as
    `rat.kernel` (`#rat.kernel<...>`, see the dialect's attributes);
    `rat-tile-and-fuse` leaves ops with a dedicated kernel whole and the
    kernel passes (`rat-matmul-to-mma`, `rat-chunk-attention-to-mma`,
    `rat-row-ops-to-gpu`, `rat-step-ops-to-gpu`) lower what it records.

    - `rat.matmul` with bf16/f16 operands: `gemv` for one row (a batch-1
      decode step: w streamed on CUDA cores); then, on a wgmma chip (`sm_90a`), the
      warp-specialised TMA + wgmma kernel (128x256x64 tiles, 2 consumer
      warpgroups, 4 stages) when the rows give at least one block per SM,
      else mma.sync kernels; on other chips mma.sync kernels (128x256x64
      tiles of 8 warps when they give two blocks per SM, 128x128x64 when
      one, else 64x64x64 with split K). The variants are an array: the row
      count is known only at run time.
    - `rat.chunk_attention` / `rat.window_attention` (bf16/f16, head sizes
      multiples of 16 up to 128): `attention_mma`; on `sm_90a` a chunk
      attention with head sizes 64 or 128 with the wgmma configuration
      (`tile = [128, 128], warpgroups = 2, stages = 2`).
    - `rat.rms_norm` / `rat.rope` with a static last dimension: `row`.
    - decode attention steps with head sizes multiples of 32 up to 256:
      `step`, split over the cached states (`rat-step-ops-to-gpu`) until
      about 4 blocks per SM run (`blocks`), at most 64 splits (`split_k`),
      each at least `step-split-states` states of a full cache (`tile`).
    - anything else: no attribute (the generic tiled-loop path).

    A `rat.kernel` already on an op (written in the input IR) is kept when
    the op and chip support it, and is an error naming the reason when
    they do not.

    `chip` may list several chips (`sm_80,sm_90a`): one binary then carries
    code for each, launched by the same host code, so the kernels must be
    ones every listed chip runs. The decisions are made for what the chips
    have in common (`commonChipInfo` in `Chip.h`): wgmma only when every
    chip is `sm_90a`, TMA only when every chip has it, the smallest
    shared-memory limit, and the largest SM count (the grid heuristics then
    make enough blocks to fill the largest chip; a smaller one runs them in
    more waves). A list with `sm_80` gets mma.sync GEMMs everywhere, so the
    fastest Hopper code needs `sm_90a` alone.
  }];
  let options = [
    Option<"chip", "chip", "std::string",
           /*default=*/"::mlir::rat::defaultChip().str()",
           "The GPU the kernels are for, or a comma-separated list of GPUs "
           "that must all run them (see include/rat/Target/Chip.h)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Use tensor-core and dedicated kernels (false: the generic path "
           "for everything)">,
    ListOption<"mmaTileSizes", "mma-tile-sizes", "int64_t",
               "mma.sync GEMMs: the large tile M, N, K (default 128, 256, "
               "64)">,
    ListOption<"mmaWarps", "mma-warps", "int64_t",
               "mma.sync GEMMs: the large tile's warp grid (default 2, 4)">,
    Option<"mmaStages", "mma-stages", "int64_t", /*default=*/"3",
           "mma.sync GEMMs: cp.async pipeline stages">,
    Option<"stepSplitStates", "step-split-states", "int64_t",
           /*default=*/"16",
           "Decode attention steps: the fewest cached states of a split "
           "(at the cache's capacity); 0: never split">,
    ListOption<"families", "families", "std::string",
               "Only these kernel families are chosen (default: every "
               "family; the host emulation of rat-to-cpu{emulate-gpu} "
               "chooses step only)">
  ];
  let dependentDialects = ["rat::RatDialect"];
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
    splits a chunk. Negative tile sizes are an error at the op. Ops whose `rat.kernel`
    decision (`rat-select-kernels`) names a dedicated kernel (any family but
    `loops`) are left whole for their kernel pass.

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

def RatPermutationCopiesToViews : Pass<"rat-permutation-copies-to-views",
                                        "func::FuncOp"> {
  let summary = "Replace permutation copies on buffers by strided views";
  let description = [{
    A `linalg.generic` or `linalg.transpose` on buffers that only copies its
    input through a permutation (the head split `[B, T, H, Dh] -> [B, H, T, Dh]` of the
    layers) into a `memref.alloc` becomes a `memref.transpose` view of its
    input (the input itself for the identity, which includes a map that
    differs from it only on dimensions of extent 1: the key tiling copy
    `d2 mod (G*Dh)` fused into a one-channel scan tile), and the copy is
    erased, with its allocation unless the buffer is reused later, when:

    - every use of the allocation comes after the copy in its block; the
      reads (`ins` operands of ops with buffer semantics, possibly through
      `memref.subview`s, and `memref.dim`s) before the first op that
      writes the buffer again (bufferization reuses dead buffers) take the
      view, and any other use comes after that op;
    - nothing between the copy and the last read may write the input's
      memory (distinct allocations never alias; anything else may);
    - every reader keeps its kernel with the strided view in place: loops
      (no `rat.kernel`, or the `loops` family) address any layout; a
      dedicated kernel is asked the same question its kernel pass asks
      (`rat.rope` on the `row` kernel takes rows with a unit last stride;
      `rat.chunk_attention` on `attention_mma` takes rows with a unit last
      stride that are provably 16-byte aligned, such as a transposed view of
      an identity-layout buffer; `rat.matmul` kernels take dense buffers
      only, so their copies stay).

    Runs after bufferization and before the deallocation pipeline, which
    sees the view as an alias of the input.
  }];
  let dependentDialects = ["memref::MemRefDialect"];
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

def RatSinkIntoLaunches : Pass<"rat-sink-into-launches", "func::FuncOp"> {
  let summary = "Recompute cheap index values inside the gpu.launch that uses them";
  let description = [{
    Upstream's `gpu-launch-sink-index-computations` at a cost linear in the
    launch bodies: constants, `memref.dim`, `arith.select`/`cmpi` chains
    defined above a `gpu.launch` and used in it are
    cloned at the start of its body (the same ops, in the same order), so
    that `gpu-kernel-outlining` does not make them kernel parameters.
    Upstream replaces each sunk value through the use list of the original,
    which canonicalize and CSE share across the whole function: with the
    thousands of launches of a 24-layer model that was quadratic (45 s of
    the 1.3B LM's compile); here each launch body is walked once.
  }];
  let dependentDialects = ["gpu::GPUDialect"];
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


def RatApplyLaunchBounds : Pass<"rat-apply-launch-bounds", "ModuleOp"> {
  let summary = "Give outlined kernels the occupancy their generator asked for";
  let description = [{
    A kernel generator that needs several blocks per SM to hide latency
    (the tensor-core chunk attention) marks an op inside its `gpu.launch`
    with `rat.min_blocks_per_sm = N` (`gpu-kernel-outlining` does not carry
    the launch's own attributes over). This pass, run after outlining,
    moves the request onto the kernel as `nvvm.minctasm = N` (PTX
    `.minnctapersm`); with the `.maxntid` that the kernel's
    `known_block_size` already becomes, ptxas keeps the registers per
    thread within what N blocks allow. A marked kernel without a known
    block size is an error.
  }];
  let dependentDialects = ["gpu::GPUDialect", "NVVM::NVVMDialect"];
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
  let summary = "Lower rat.matmul on buffers to the tensor-core GEMM kernels "
                "rat-select-kernels chose";
  let description = [{
    Replaces every `rat.matmul` on memrefs that carries a `rat.kernel`
    decision (`rat-select-kernels`) by the launches of its variants: host
    code computes each variant's block count from the row count `M` (the
    leading dimensions of the input, flattened) and launches the first
    variant with at least its `min_blocks` blocks, or, for a `gemv`
    variant, the first built for at least `M` rows (the last one
    otherwise). One builder per tensor-core generation, and one for few
    rows:

    - `gemv` (MatmulGEMV.cpp): `M <= rows` rows on CUDA cores, bound by
      streaming w once: a block of `warps` warps per `rowsPerBlock` rows of
      w, the threads splitting K into 16-byte chunks, all loads of a step
      in flight before the f32 multiply-adds, warp shuffles and shared
      memory summing the block's partial sums, no split K. An `rms_norm`
      right before the matmul whose result nothing else reads is folded
      into the gemv kernels (they sum x^2 beside x * g * w and scale by
      rsqrt(mean + eps)); the other variants run the norm in their branch.

    - `wgmma` (sm_90a, MatmulWGMMA.cpp): a warp-specialised kernel. One
      thread of a producer warpgroup issues TMA (`cp.async.bulk.tensor`)
      loads of 128-byte-swizzled x and w tiles into a ring of `stages`
      shared-memory buffers, completing on mbarriers; `warpgroups` consumer
      warpgroups (64 rows each) run `wgmma.mma_async` m64nNk16 straight
      from the swizzled buffers and hand a buffer back once the wgmma group
      that read it retires; `setmaxnreg` moves registers from the producer
      to the consumers. Tiles are visited in groups of `group_m` tile rows
      (L2 reuse). With `blocks = 0` every block computes one tile and its
      epilogue goes through shared memory (16-byte row stores); with
      `blocks > 0` a persistent grid of that many blocks loops over the
      tiles, the producer filling the ring for the next tile while the
      consumers store the last one from registers.
    - `mma_sync` (sm_80+): 8-warp (or 4-warp) blocks, K staged in a
      `cp.async` ring of padded shared-memory rows, `ldmatrix` fragments
      and `mma.sync` m16n8k16; with `split_k > 1`, K is split over grid z
      until about `blocks` blocks run, and a second kernel sums the f32
      partial products.

    Rows and columns past `M` and `N` are zero-filled on load and not
    stored. Matmuls without a decision, or whose buffers bufferization left
    strided, keep the loop lowering (`rat-lower-to-loops`).
  }];
  let dependentDialects = ["gpu::GPUDialect", "nvgpu::NVGPUDialect",
                           "NVVM::NVVMDialect", "LLVM::LLVMDialect",
                           "vector::VectorDialect", "scf::SCFDialect",
                           "arith::ArithDialect", "memref::MemRefDialect",
                           "math::MathDialect"];
}


def RatChunkAttentionToMMA : Pass<"rat-chunk-attention-to-mma", "func::FuncOp"> {
  let summary = "Lower rat.chunk_attention and rat.window_attention on "
                "buffers to a tensor-core kernel";
  let description = [{
    Replaces every `rat.chunk_attention` on bf16/f16 memrefs with
    static head sizes `Dh`, `Dv` (multiples of 16, at most 128) whose rows
    are provably 16-byte aligned (unit last stride; offset and outer strides
    multiples of 8 elements, from the layout, or for an identity-layout
    buffer or a `memref.transpose` view of one from the sizes: the value
    heads as a view of the value scan) by a
    `gpu.launch` of a FlashAttention-style kernel: a block of 4 warps per 64
    queries of one (batch, head), the Q tile in shared memory; per step, 64
    chunk-final key and value states (rows `jL + L - 1`) are in shared
    memory, staged with `cp.async` during the previous step (the next keys
    once `Q K^T` is done, the next values once `P V` is done: a software
    pipeline), scores `Q K^T` and `P V` run on `mma.sync` m16n8k16 with f32
    accumulators, states `j >= s / L` are masked, and the softmax is online
    (f32 row maxima and sums, quad shuffles, the scale folded into exp2's
    argument). The own-token key and value are one more step, masked to
    the diagonal. Query tiles with the most states are scheduled first.
    The kernel asks for 3 blocks per SM (`rat.min_blocks_per_sm`, applied
    by `rat-apply-launch-bounds`).

    `rat.window_attention` under the same conditions takes the same kernel
    with consecutive key rows: a tile of queries at positions `s0 .. s1`
    visits the keys from `max(0, s0 - W)` (rounded down to 64) to `s1`, the
    mask keeps `s - W <= j <= s` (`W = 0`: `j <= s`), and no separate
    own-token term is needed.

    A `rat.chunk_attention` whose `attention_mma` decision has `warpgroups`
    (sm_90a, head sizes 64 or 128) takes the wgmma kernel instead
    (ChunkAttentionWGMMA.cpp): one producer thread issues TMA loads of the
    Q tile and, per step, of `tile[1]` chunk-final key and value rows (a
    5-D tensor map of the `[B, H, T / L, L, D]` view, box extent 1 at row
    `L - 1` of each chunk) into a ring of `stages` 128-byte-swizzled
    buffers with mbarriers; each of `warpgroups` consumer warpgroups (64
    queries) runs `S = Q K^T` and `O += P V` on `wgmma.mma_async` (P from
    registers, V N-major), the mask only where a step needs it, the online
    softmax on the accumulator fragments (under the previous step's
    `P V`: both products of a step are in flight together; two consumer
    warpgroups take turns to issue them), merges the own-token term after
    the loop, and stores the output through shared memory as 16-byte
    vectors. An elementwise `linalg.generic` right after it that reads
    the output through a permutation (the layer's output gate with the
    head merge; `findAttentionConsumer`) becomes the kernel's epilogue.
  }];
  let dependentDialects = ["gpu::GPUDialect", "nvgpu::NVGPUDialect",
                           "NVVM::NVVMDialect", "LLVM::LLVMDialect",
                           "vector::VectorDialect", "scf::SCFDialect",
                           "math::MathDialect", "arith::ArithDialect",
                           "memref::MemRefDialect"];
}


def RatRowOpsToGPU : Pass<"rat-row-ops-to-gpu", "func::FuncOp"> {
  let summary = "Lower rat.rms_norm, rat.rope and rat.sample on buffers to "
                "row-parallel GPU kernels";
  let description = [{
    Replaces `rat.rms_norm` and `rat.rope` on contiguous memrefs with a
    static last dimension by `gpu.launch` ops in which neighbouring threads
    touch neighbouring elements: `rms_norm` takes one warp per row, two
    warps per block (lanes sum squares over a strided slice with 16-byte
    vector loads where the row allows, butterfly shuffles reduce, lanes
    scale their slice; a row of at most 16 vector loads per lane is
    unrolled, its loads issued together and kept in registers for the
    scaling), `rope` one thread per rotated pair. `rat.sample` takes one
    block of 1024 threads per row (`SampleKernel.cpp`) and makes the choice
    of `Sampling.h` in few passes over the row: the first maximum in one,
    the top-k key by radix select (four passes counting 8-bit digits into a
    shared histogram instead of 32 bisection passes), then the candidates
    (the top-k set) gathered into shared memory, where top-p and the
    Gumbel-max draw run over them alone; the bisection over the row is
    kept for what does not fit (no top-k over more than 1024 logits, or
    ties that leave more than 1024 candidates). Other buffers keep the loop
    lowering.
  }];
  let dependentDialects = ["gpu::GPUDialect", "vector::VectorDialect",
                           "scf::SCFDialect", "math::MathDialect",
                           "arith::ArithDialect", "memref::MemRefDialect"];
}


def RatStepOpsToGPU : Pass<"rat-step-ops-to-gpu", "func::FuncOp"> {
  let summary = "Lower the decode attention steps on buffers to warp-parallel "
                "GPU kernels, split over the cached states where few "
                "sequences leave the GPU short of blocks";
  let description = [{
    Replaces `rat.chunk_attention_step` and `rat.window_attention_step` on
    memrefs (the token's query, key and value: rows of unit stride; output
    and caches contiguous; head size a static multiple of 32, at most 256)
    with `rat.kernel` family `step` by `gpu.launch` ops of blocks of 4
    warps.
    A block writes the new key and value into cache row `c = position / L`
    (chunk step) or ring row `position mod R` (window step) and folds a run
    of the cached states (rows `j < c`; tokens `j` in `[max(0, p - W), p)`
    at ring row `j mod R` for the window step): each iteration a warp loads
    4 consecutive states (their key and value rows in flight together, each
    lane holding `Dh/32` consecutive dims, vector loads), sums the 4 scores
    by butterfly shuffles and updates its online softmax (f32, exp2) once
    for the group; warp 0 adds the own state from the inputs; the warps'
    states merge through shared memory.

    The number of splits of the states is chosen at run time from the
    op's `rat.kernel` (`rat-select-kernels`): `S = min(ceil(blocks / (B *
    H)), max(1, capacity / tile[0]), split_k)`, `capacity` the cache rows
    (`min(R, W)` for a window). `S = 1` (many sequences): one block per
    (batch, head) writes the output. `S > 1`: grid `(S, H, B)`, block `s`
    takes the `s`-th of `S` equal slices of the states the position gives
    (split 0 also writes the cache row and adds the own state) and writes
    its maximum, sum and unnormalised output (f32) to a scratch buffer
    (`memref.alloc` [B, H, S, Dh + 4]); a second kernel, a block of 4 warps
    per (batch, head), merges the `S` partial states with the log-sum-exp
    rescaling (4 splits per warp in flight) and writes the output. The grid
    depends on shapes only and all position arithmetic happens in the
    kernels, so the launch takes the position itself (a replayed CUDA graph
    patches it) or reads per-sequence positions from device memory.

    A one-token `rat.rope` ([B, H, 1, Dh]) that writes the step's query or
    key is applied in the kernels when nothing but the step reads its result
    and nothing between the rope and the step may write its input or
    positions: the kernels read the rope's input, rotate it with the rope
    kernel's formula and round it to the rope's element type; the rope and
    its result buffer are erased (GPU kernels only). Runs before
    `rat-row-ops-to-gpu`, which lowers the ropes left.

    With `emulate` the kernels have blocks of one thread (no shuffles, no
    barrier), so `rat-launch-to-loops` runs them on the host: the split,
    the partial states and their merge are checked without a GPU.
  }];
  let options = [
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "Blocks of one thread for the host emulation "
           "(rat-launch-to-loops)">
  ];
  let dependentDialects = ["gpu::GPUDialect", "vector::VectorDialect",
                           "scf::SCFDialect", "math::MathDialect",
                           "arith::ArithDialect", "memref::MemRefDialect"];
}


def RatVectorizeElementwise : Pass<"rat-vectorize-elementwise",
                                    "func::FuncOp"> {
  let summary = "Turn elementwise linalg.generic ops on buffers into "
                "parallel loops of 16-byte accesses";
  let description = [{
    An elementwise `linalg.generic` on buffers (all loops parallel,
    projected-permutation maps, a body of scalar `arith`/`math` ops, no
    `linalg.index`) whose innermost loop runs along the innermost,
    unit-stride dimension of every operand that it indexes, with a static
    extent divisible by `W = 16 bytes / widest element`, becomes an
    `scf.parallel` whose iterations each take `W` consecutive elements:
    one `vector.load` per operand indexed by that loop, one `memref.load`
    (broadcast to every lane) per operand that is not, the scalar body once
    per lane, and one `vector.store` per output. On the GPU each thread then
    moves 16 bytes per access instead of one element (the gates, head
    transposes, residual adds and casts between the dedicated kernels).
    Other generics are left to `convert-linalg-to-parallel-loops`.

    With `aligned-accesses` (the GPU), the accesses are declared aligned to
    their size, which lets the back end use 16-byte instructions; host code
    checks that every vector operand starts at a multiple of `16` bytes and
    has outer strides that are multiples of `W`, and runs the generic as it
    was otherwise.
  }];
  let options = [
    Option<"alignedAccesses", "aligned-accesses", "bool", /*default=*/"true",
           "Declare the vector accesses aligned to their size (GPU)">
  ];
  let dependentDialects = ["scf::SCFDialect", "vector::VectorDialect",
                           "memref::MemRefDialect", "arith::ArithDialect"];
}

def RatExternDynamicShared : Pass<"rat-extern-dynamic-shared",
                                   "gpu::GPUModuleOp"> {
  let summary = "Declare kernels' dynamic shared memory as an external array";
  let description = [{
    `convert-gpu-to-nvvm` lowers `gpu.dynamic_shared_memory` to an
    `internal`, zero-sized `llvm.mlir.global` in address space 3, which the
    NVPTX back end of LLVM 22 prints as a one-byte static `.shared`
    variable instead of `.extern .shared .b8 name[]`. Plain loads and stores
    through it happen to land in the dynamic segment, but the Hopper copy
    engine (TMA) and wgmma operand descriptors do not agree on its address,
    and results come out wrong without any error. This pass gives those
    globals `external` linkage (a declaration: NVPTX prints the extern
    array) and 1024-byte alignment (the alignment 128-byte-swizzled TMA
    tiles and wgmma operands need). Run it on the NVVM-lowered `gpu.module`,
    before `gpu-module-to-binary`.
  }];
  let dependentDialects = ["LLVM::LLVMDialect"];
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


def RatMergeKernelModules : Pass<"rat-merge-kernel-modules", "ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel, and each
    becomes a binary of its own. This pass moves the contents of every
    `gpu.module` of the module into one, named `kernels` (made unique if
    the name is taken), and points every `gpu.launch_func` at it: a model's
    device code is then one cubin or fatbin (what `rat-compile --emit
    cubin|fatbin` writes and the executable embeds), loaded by one module
    load, and compiled for several chips once per chip. Kernel names are
    kept (`rat-name-kernels` made them unique); any other symbol whose name
    is taken already is renamed with its uses. Run it before the modules
    get targets (`nvvm-attach-target`): modules with different targets or
    offloading handlers are not merged (an error).
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

def RatGpuModuleToFatbin : Pass<"rat-gpu-module-to-fatbin", "ModuleOp"> {
  let summary = "Serialize each gpu.module to one fatbin: a cubin per "
                "target and the PTX of the lowest";
  let description = [{
    Replaces each `gpu.module` by a `gpu.binary` with one object in the
    `fatbin` format, made by the CUDA toolkit's `fatbinary` from a cubin
    for every `#nvvm.target` of the module (MLIR's NVVM serialization:
    LLVM's NVPTX back end, then `ptxas`) and the PTX of the lowest chip.
    At run time the CUDA driver loads the cubin of the GPU's architecture,
    or JIT-compiles the PTX for a newer GPU. The PTX is left out when the
    lowest chip is architecture-specific (`sm_90a`): such PTX runs on no
    other chip. `gpu-module-to-binary{format=fatbin}` instead makes one
    fatbin per target, and `gpu.binary` embeds only one object.

    `fatbinary` is found like `ptxas`: `$CUDA_ROOT`, `$CUDA_HOME`,
    `$CUDA_PATH`, `/usr/local/cuda`, then `PATH`; without it the pass
    fails, naming the places it looked.
  }];
  let dependentDialects = ["gpu::GPUDialect", "NVVM::NVVMDialect"];
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
