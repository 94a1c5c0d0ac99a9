//===- RatOps.td - rat dialect operations ------------------*- tablegen -*-===//
//
// Graph-level operations of RAT models. The math follows the RAT paper
// (arXiv 2507.04416) as restated in docs/Dialects/Rat.md.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_IR_RATOPS_TD
#define RAT_DIALECT_RAT_IR_RATOPS_TD

include "rat/Dialect/Rat/IR/RatDialect.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"

/// A ranked tensor (graph level) or a memref (after bufferization).
def Rat_Shaped : AnyTypeOf<[AnyRankedTensor, AnyMemRef],
                           "ranked tensor or memref">;

/// Per-sequence positions: a 1-D tensor or memref of i32 or i64 whose
/// element `b` is the position of sequence `b` (dim 0 of the other
/// operands).
def Rat_Positions : AnyTypeOf<[TensorRankOf<[I32, I64], [1]>,
                               MemRefRankOf<[I32, I64], [1]>],
                              "1-D tensor or memref of i32/i64 positions">;

/// The position of a decode step: one `index` for every sequence, or a
/// position per sequence (Rat_Positions).
def Rat_Position : AnyTypeOf<[Index, Rat_Positions],
                             "index or per-sequence positions">;

/// Common base: destination-passing style, shaped operands, the memory
/// effects and shape reification every rat op shares.
class Rat_DpsOp<string mnemonic, list<Trait> traits = []>
    : Rat_Op<mnemonic, !listconcat([
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                                  ["reifyResultShapes"]>,
        DeclareOpInterfaceMethods<TilingInterface,
            ["getLoopIteratorTypes", "getIterationDomain",
             "getTiledImplementation", "getResultTilePosition",
             "generateResultTileValue",
             "getIterationDomainTileFromResultTile",
             "generateScalarImplementation"]>
      ], traits)> {
  code extraDpsDecl = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitsMutable();
    }
  }];
}

//===----------------------------------------------------------------------===//
// rat.rms_norm
//===----------------------------------------------------------------------===//

def Rat_RmsNormOp : Rat_DpsOp<"rms_norm"> {
  let summary = "Root-mean-square normalisation over the last dimension";
  let description = [{
    Normalises every row of `input` (the last dimension, of size `D`) by its
    root mean square and scales it by `weight`:

    ```
    out[..., i] = input[..., i] / sqrt(mean_j(input[..., j]^2) + epsilon)
                  * weight[i]
    ```

    The mean is accumulated in f32 whatever the storage type.

    Shape rules: `weight` is `[D]` with `D` the last dimension of `input`;
    `init` has the shape of `input`; all element types are the same float
    type; `epsilon > 0`.

    Example:

    ```mlir
    %y = rat.rms_norm epsilon = 1.0e-06
           ins(%x, %w : tensor<?x?x256xf32>, tensor<256xf32>)
           outs(%init : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$input, Rat_Shaped:$weight,
                       Variadic<Rat_Shaped>:$inits,
                       DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `epsilon` `=` $epsilon
    `ins` `(` $input `,` $weight `:` type($input) `,` type($weight) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
  }];
}

//===----------------------------------------------------------------------===//
// rat.rope
//===----------------------------------------------------------------------===//

def Rat_RopeOp : Rat_DpsOp<"rope", [AttrSizedOperandSegments]> {
  let summary = "Rotary position encoding at the chunk or token index";
  let description = [{
    Applies rotary position encoding ("rotate-half" layout) to `input` of
    shape `[..., T, Dh]` (`Dh` even). Token `t` is encoded at position

    ```
    p(t) = (offset + t) floordiv chunk_size
    ```

    so `chunk_size = L` gives RAT's inter-chunk encoding at the chunk index
    and `chunk_size = 1` the usual encoding at the token index. `offset`
    (default 0) is the position of the first token, used by decode steps and
    by tiles that start inside the sequence. `positions` (optional, a 1-D
    i32/i64 array over dim 0 of `input`, rank >= 3) adds a position per
    sequence: token `t` of sequence `b` is at `positions[b] + offset + t`,
    for decode steps whose sequences are at different positions. With
    `f_i = p * base^(-2i/Dh)` for `i < Dh/2`:

    ```
    out[..., t, i]        = x[i] * cos(f_i) - x[i + Dh/2] * sin(f_i)
    out[..., t, i + Dh/2] = x[i + Dh/2] * cos(f_i) + x[i] * sin(f_i)
    ```

    Shape rules: rank >= 2 (>= 3 with `positions`, whose size is dim 0 of
    `input`), `Dh` even, `init` has the shape of `input`, same float element
    type; `chunk_size >= 1`, `base > 0`.

    Example:

    ```mlir
    %q = rat.rope chunk_size = 16 base = 10000.0
           ins(%x : tensor<2x4x64x64xf32>) outs(%init : tensor<2x4x64x64xf32>)
           -> tensor<2x4x64x64xf32>
    %k = rat.rope chunk_size = 16 base = 10000.0
           ins(%x1 : tensor<2x4x1x64xf32>) offset(%pos)
           outs(%init1 : tensor<2x4x1x64xf32>) -> tensor<2x4x1x64xf32>
    %k2 = rat.rope chunk_size = 16 base = 10000.0
           ins(%x1 : tensor<2x4x1x64xf32>) positions(%p : tensor<2xi32>)
           outs(%init1 : tensor<2x4x1x64xf32>) -> tensor<2x4x1x64xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$input, Optional<Index>:$offset,
                       Optional<Rat_Positions>:$positions,
                       Variadic<Rat_Shaped>:$inits,
                       DefaultValuedAttr<I64Attr, "1">:$chunk_size,
                       DefaultValuedAttr<F64Attr, "10000.0">:$base);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `chunk_size` `=` $chunk_size `base` `=` $base
    `ins` `(` $input `:` type($input) `)`
    (`offset` `(` $offset^ `)`)?
    (`positions` `(` $positions^ `:` type($positions) `)`)?
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
  }];
}

//===----------------------------------------------------------------------===//
// rat.chunk_scan
//===----------------------------------------------------------------------===//

def Rat_ChunkScanOp : Rat_DpsOp<"chunk_scan"> {
  let summary = "Gated linear recurrence restarted at every chunk";
  let description = [{
    Scans `input` of shape `[..., T, N]` along `T` with the gate `gate`
    (values in (0, 1), same shape), independently per channel, restarting
    the state at the first token of every chunk of `chunk_size` (`L`)
    tokens:

    ```
    h[t] = (1 - gate[t]) * x[t]                      if t % L == 0
    h[t] = gate[t] * h[t-1] + (1 - gate[t]) * x[t]   otherwise
    ```

    The last chunk may be shorter than `L`. The state is carried in f32.
    `L = 1` makes the op elementwise (`(1 - gate) * x`, canonicalised to a
    `linalg.generic`); `L >= T` is a plain gated RNN.

    Shape rules: rank >= 2; `gate`, `input` and `init` have the same shape and
    the same float element type; `chunk_size >= 1`.

    Example:

    ```mlir
    %h = rat.chunk_scan chunk_size = 16
           ins(%gate, %x : tensor<?x?x256xf32>, tensor<?x?x256xf32>)
           outs(%init : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$gate, Rat_Shaped:$input,
                       Variadic<Rat_Shaped>:$inits,
                       I64Attr:$chunk_size);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `chunk_size` `=` $chunk_size
    `ins` `(` $gate `,` $input `:` type($gate) `,` type($input) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
  }];
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention
//===----------------------------------------------------------------------===//

def Rat_ChunkAttentionOp : Rat_DpsOp<"chunk_attention",
                                     [AttrSizedOperandSegments]> {
  let summary = "Softmax attention over the final states of earlier chunks";
  let description = [{
    `query` `[B, Hq, Tq, Dh]`, `key` `[B, Hk, T, Dh]`, `value` `[B, H, T, Dv]`
    where `key`/`value` are the chunk-scanned states. Head `h` of the output
    uses query head `h % Hq` and key head `h % Hk` (grouped queries/keys;
    `Hq` and `Hk` divide `H`). Query token `t` sits at global position
    `s = offset + t` (`offset` defaults to 0) in chunk `c(s) = s / L` and
    attends to the last state of every earlier chunk and to its own state:

    ```
    keys(s) = { key[(j+1)*L - 1] : j < c(s) } ∪ { key[s] }
    vals(s) = { value[(j+1)*L - 1] : j < c(s) } ∪ { value[s] }
    out[t]  = softmax(scale * query[t] · keys(s)) @ vals(s)
    ```

    Each token sees `c(s) + 1` keys. The softmax is computed online (running
    maximum and sum, f32 statistics) so that the keys can be split into
    tiles. `scale` defaults to `Dh^-0.5`. When the (static) key sequence has
    `T <= L` tokens, there is no `offset` (or it is 0) and `value` has the
    result's type, every token is in chunk 0 and the op folds to `value`.

    Shape rules: all rank 4; equal batch; `Hq` and `Hk` divide `H`; `query`
    and `key` agree on `Dh`, which is static and >= 1; `key` and `value`
    agree on `T`; `Tq <= T`; `init` is `[B, H, Tq, Dv]`; one float element
    type; `chunk_size >= 1`, `scale > 0`. Any other dim may be dynamic,
    including the head counts (tiles then take one head, or all).

    Example:

    ```mlir
    %o = rat.chunk_attention chunk_size = 16
           ins(%q, %k, %v : tensor<2x2x64x64xf32>, tensor<2x4x64x64xf32>,
                            tensor<2x4x64x64xf32>)
           outs(%init : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$query, Rat_Shaped:$key, Rat_Shaped:$value,
                       Optional<Index>:$offset,
                       Variadic<Rat_Shaped>:$inits,
                       I64Attr:$chunk_size,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `chunk_size` `=` $chunk_size (`scale` `=` $scale^)?
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
              type($value) `)`
    (`offset` `(` $offset^ `)`)?
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
    /// The softmax scale: the attribute, or Dh^-0.5 when absent.
    double getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// rat.window_attention
//===----------------------------------------------------------------------===//

def Rat_WindowAttentionOp : Rat_DpsOp<"window_attention",
                                      [AttrSizedOperandSegments]> {
  let summary = "Causal softmax attention over a sliding window of tokens";
  let description = [{
    Causal attention where query token `t` (global position
    `s = offset + t`) attends to the keys at positions `s - W <= r <= s`
    (`W = window`); `window = 0` is full causal attention. Shapes and grouped
    heads as in `rat.chunk_attention`: `query` `[B, Hq, Tq, Dh]`, `key`
    `[B, Hk, T, Dh]`, `value` `[B, H, T, Dv]`, `init` `[B, H, Tq, Dv]`.

    ```
    out[t] = softmax_{r in [max(0, s-W), s]}(scale * query[t] · key[r]) @ value[r]
    ```

    The softmax is computed online with f32 statistics; `scale` defaults to
    `Dh^-0.5`. A window of at least `T - 1` is full causal attention and is
    canonicalised to `window = 0`. Shape rules: those of
    `rat.chunk_attention` (`Dh` static and >= 1), `window >= 0`.

    Example:

    ```mlir
    %o = rat.window_attention window = 1024
           ins(%q, %k, %v : tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>,
                            tensor<1x16x?x128xbf16>)
           outs(%init : tensor<1x16x?x128xbf16>) -> tensor<1x16x?x128xbf16>
    ```
  }];
  let arguments = (ins Rat_Shaped:$query, Rat_Shaped:$key, Rat_Shaped:$value,
                       Optional<Index>:$offset,
                       Variadic<Rat_Shaped>:$inits,
                       I64Attr:$window,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `window` `=` $window (`scale` `=` $scale^)?
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
              type($value) `)`
    (`offset` `(` $offset^ `)`)?
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
    /// The softmax scale: the attribute, or Dh^-0.5 when absent.
    double getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// rat.chunk_scan_step
//===----------------------------------------------------------------------===//

def Rat_ChunkScanStepOp : Rat_DpsOp<"chunk_scan_step"> {
  let summary = "One decode step of the chunk scan, on an explicit state";
  let description = [{
    Advances the running scan state by one token at position `position`
    (spec section 5). `state` (the destination) holds the scanned value of
    the previous token and is read:

    ```
    new = (1 - gate) * x                    if position % chunk_size == 0
    new = gate * state + (1 - gate) * x     otherwise
    ```

    The result is the new state. `position` is an `index` (every sequence
    at that position) or a 1-D i32/i64 array with one position per sequence,
    indexed by dim 0 of `state` (`position(%p : tensor<?xi32>)`), for batches
    whose sequences are at different positions.

    Shape rules: `gate`, `input` and `state` have the same shape `[..., N]`
    (rank >= 1; >= 2 with per-sequence positions, whose size is dim 0) and
    float element type; `chunk_size >= 1`.

    Example:

    ```mlir
    %s1 = rat.chunk_scan_step chunk_size = 16
            ins(%gate, %x : tensor<?x256xf32>, tensor<?x256xf32>)
            position(%pos) outs(%s0 : tensor<?x256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$gate, Rat_Shaped:$input,
                       Rat_Position:$position,
                       Variadic<Rat_Shaped>:$inits,
                       I64Attr:$chunk_size);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `chunk_size` `=` $chunk_size
    `ins` `(` $gate `,` $input `:` type($gate) `,` type($input) `)`
    `position` `(` custom<Position>($position, type($position)) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getState() { return getInits()[0]; }
  }];
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention_step
//===----------------------------------------------------------------------===//

def Rat_ChunkAttentionStepOp : Rat_DpsOp<"chunk_attention_step"> {
  let summary = "One decode step of chunk attention with a chunk cache";
  let description = [{
    Decode step of `rat.chunk_attention` at position `position` (spec
    section 5). The destinations are the output `[B, H, Dv]` and the chunk
    caches `key_cache` `[B, H, C, Dh]` and `value_cache` `[B, H, C, Dv]`
    (read and updated). With `c = position / chunk_size`:

    ```
    key_cache[:, :, c] = key;  value_cache[:, :, c] = value
    out = softmax(scale * query · key_cache[0..c]) @ value_cache[0..c]
    ```

    Row `c` is overwritten at every step of chunk `c`, so once the chunk is
    complete it holds the chunk's last state: the cache holds `C` rows, not
    `T`. `query` `[B, Hq, Dh]` may be grouped (`Hq` divides `H`; head `h`
    uses `h % Hq`); `key` is `[B, H, Dh]` and `value` `[B, H, Dv]`, after
    rotary encoding. Results: the output and the two updated caches.
    `position` is an `index`, or a 1-D i32/i64 array `[B]` with the position
    of each sequence (`position(%p : tensor<?xi32>)`): sequence `b` then
    uses `c = position[b] / chunk_size`.

    Shape rules: ranks 3 and 4 as above; equal batch and heads; `Hq` divides
    `H`; `Dh` (static, >= 1) and `Dv` agree; both caches have `C` rows, at
    least one; a constant `position` must satisfy `position / chunk_size <
    C`; one float element type; `chunk_size >= 1`, `scale > 0`.

    Example:

    ```mlir
    %o, %kc1, %vc1 = rat.chunk_attention_step chunk_size = 16
        ins(%q, %k, %v : tensor<?x2x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>)
        position(%pos)
        outs(%init, %kc, %vc : tensor<?x4x64xf32>, tensor<?x4x8x64xf32>,
                               tensor<?x4x8x64xf32>)
        -> tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$query, Rat_Shaped:$key, Rat_Shaped:$value,
                       Rat_Position:$position,
                       Variadic<Rat_Shaped>:$inits,
                       I64Attr:$chunk_size,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `chunk_size` `=` $chunk_size (`scale` `=` $scale^)?
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
              type($value) `)`
    `position` `(` custom<Position>($position, type($position)) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getOutput() { return getInits()[0]; }
    ::mlir::Value getKeyCache() { return getInits()[1]; }
    ::mlir::Value getValueCache() { return getInits()[2]; }
    /// The softmax scale: the attribute, or Dh^-0.5 when absent.
    double getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// rat.window_attention_step
//===----------------------------------------------------------------------===//

def Rat_WindowAttentionStepOp : Rat_DpsOp<"window_attention_step"> {
  let summary = "One decode step of window (or full causal) attention with a "
                "ring key/value cache";
  let description = [{
    Decode step of `rat.window_attention` at position `p = position`. The
    caches `key_cache` `[B, H, R, Dh]` and `value_cache` `[B, H, R, Dv]` are
    rings: token `s` lives in row `s mod R`. The step stores the new key and
    value at row `p mod R`, then attends to the tokens
    `s in [lo, p]`, `lo = max(0, p - window)` (`lo = 0` when `window = 0`):

    ```
    key_cache[:, :, p mod R] = key;  value_cache[:, :, p mod R] = value
    out = softmax_{s in [lo, p]}(scale * query · key_cache[s mod R])
          @ value_cache[s mod R]
    ```

    The ring must hold every attended token: `R >= window + 1` (and
    `R >= 1`), and for full attention (`window = 0`) `R > p` (checked when
    `position` is a constant); `Dh` is static and >= 1. A sliding window of `W` thus needs only `W + 1` rows whatever
    the sequence length. `query` `[B, Hq, Dh]` may be grouped (`Hq` divides
    `H`); `key` `[B, H, Dh]` and `value` `[B, H, Dv]` are after rotary
    encoding. Results: the output and the two updated caches. `position` is
    an `index`, or a 1-D i32/i64 array `[B]` with the position of each
    sequence (`position(%p : tensor<?xi32>)`).

    Example:

    ```mlir
    %o, %kc1, %vc1 = rat.window_attention_step window = 32
        ins(%q, %k, %v : tensor<?x4x32xf32>, tensor<?x4x32xf32>, tensor<?x4x32xf32>)
        position(%pos)
        outs(%init, %kc, %vc : tensor<?x4x32xf32>, tensor<?x4x33x32xf32>,
                               tensor<?x4x33x32xf32>)
        -> tensor<?x4x32xf32>, tensor<?x4x33x32xf32>, tensor<?x4x33x32xf32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$query, Rat_Shaped:$key, Rat_Shaped:$value,
                       Rat_Position:$position,
                       Variadic<Rat_Shaped>:$inits,
                       I64Attr:$window,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `window` `=` $window (`scale` `=` $scale^)?
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
              type($value) `)`
    `position` `(` custom<Position>($position, type($position)) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getOutput() { return getInits()[0]; }
    ::mlir::Value getKeyCache() { return getInits()[1]; }
    ::mlir::Value getValueCache() { return getInits()[2]; }
    /// The softmax scale: the attribute, or Dh^-0.5 when absent.
    double getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// rat.sample
//===----------------------------------------------------------------------===//

def Rat_SampleOp : Rat_DpsOp<"sample"> {
  let summary = "Next token of each sequence: greedy, or sampled with "
                "temperature, top-k and top-p";
  let description = [{
    Chooses one token per row of `logits` `[B, V]` with the row's sampling
    parameters (`temperature`, `top_p` f32 `[B]`, `top_k` i32 `[B]`) and
    random stream (`seed` i64 `[B]` and `position` i32/i64 `[B]`):

    - `temperature[b] <= 0` (or NaN): greedy, the first index of the maximum
      (NaN is never a maximum; a row without one gives 0) — the argmax
      the LM entries used before sampling existed, bit for bit;
    - otherwise a draw from `softmax(logits[b] / T)` restricted to the
      allowed set: the `top_k[b]` largest logits when `0 < top_k[b] < V`
      (ties at the boundary are all kept), then the nucleus of that set
      when `0 < top_p[b] < 1`: its largest logits whose probability,
      renormalised over the set, first reaches `top_p[b]` (ties kept).
      NaN logits are never drawn.

    The draw is the Gumbel-max trick: the allowed token with the largest
    `(logits[b, v] - max) / T - log(-log(u))`, ties to the smaller index,
    where `u` in (0, 1) is a 24-bit uniform from a hash of
    `(seed[b], position[b], v)` (the `lowbias32` mixer). The stream is thus
    a pure function of the seed, the position and the token id: a sequence
    draws the same tokens whatever the batch around it. The thresholds of
    top-k and top-p are found by bisection over the order-preserving 32-bit
    keys of the logits (32 passes over the row for each filter in use).

    Shape rules: `logits` is `[B, V]` of a float type, `V >= 1`; the other
    inputs and `init` are `[B]`: `temperature` and `top_p` f32, `top_k` i32,
    `seed` i64, `position` i32 or i64, `init` i32.

    Example:

    ```mlir
    %tok = rat.sample ins(%logits, %t, %k, %p, %seed, %pos
             : tensor<?x256xf32>, tensor<?xf32>, tensor<?xi32>, tensor<?xf32>,
               tensor<?xi64>, tensor<?xi32>)
           outs(%init : tensor<?xi32>) -> tensor<?xi32>
    ```
  }];
  let arguments = (ins Rat_Shaped:$logits, Rat_Shaped:$temperature,
                       Rat_Shaped:$top_k, Rat_Shaped:$top_p, Rat_Shaped:$seed,
                       Rat_Positions:$position,
                       Variadic<Rat_Shaped>:$inits);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `ins` `(` $logits `,` $temperature `,` $top_k `,` $top_p `,` $seed `,`
              $position `:` type($logits) `,` type($temperature) `,`
              type($top_k) `,` type($top_p) `,` type($seed) `,`
              type($position) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
  }];
}

//===----------------------------------------------------------------------===//
// rat.matmul
//===----------------------------------------------------------------------===//

def Rat_MatmulOp : Rat_DpsOp<"matmul"> {
  let summary = "Projection by a weight in [out, in] layout, f32 accumulation";
  let description = [{
    Multiplies every row of `input` (`[..., K]`) by the transpose of `weight`
    (`[N, K]`, the `[out_features, in_features]` layout of checkpoints):

    ```
    out[..., n] = cast(sum_k f32(input[..., k]) * f32(weight[n, k]))
    ```

    The sum is accumulated in f32 whatever the storage types; the result is
    rounded once to the element type of `init`. `rat-form-matmul` builds it
    from the `linalg.fill` + contraction `linalg.generic` (+ cast) that the
    importer and other front ends emit; `rat-matmul-to-mma` lowers it to a
    tensor-core kernel, and its loop implementation (one output element per
    iteration of the `[..., N]` domain) is the fallback.

    Shape rules: `input` has rank >= 2; `weight` is `[N, K]` with `K` the last
    dimension of `input`; `init` is `input`'s shape with the last dimension
    `N`; `input` and `weight` have the same float element type, `init` a
    float element type.

    Example:

    ```mlir
    %y = rat.matmul ins(%x, %w : tensor<?x?x2048xbf16>, tensor<6656x2048xbf16>)
           outs(%init : tensor<?x?x6656xbf16>) -> tensor<?x?x6656xbf16>
    ```
  }];
  let arguments = (ins Rat_Shaped:$input, Rat_Shaped:$weight,
                       Variadic<Rat_Shaped>:$inits);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    `ins` `(` $input `,` $weight `:` type($input) `,` type($weight) `)`
    `outs` `(` $inits `:` type($inits) `)` attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = extraDpsDecl # [{
    ::mlir::Value getInit() { return getInits()[0]; }
  }];
}

#endif // RAT_DIALECT_RAT_IR_RATOPS_TD
