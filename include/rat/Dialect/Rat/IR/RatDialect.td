//===- RatDialect.td - rat dialect definition --------------*- tablegen -*-===//
//
// The rat dialect: graph-level operations of RAT models (arXiv 2507.04416).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_IR_RATDIALECT_TD
#define RAT_DIALECT_RAT_IR_RATDIALECT_TD

include "mlir/IR/OpBase.td"

def Rat_Dialect : Dialect {
  let name = "rat";
  let cppNamespace = "::mlir::rat";
  let summary = "Operations of RAT sequence models: chunked recurrence and "
                "attention over chunk states";
  let description = [{
    RAT is a sequence layer between RNNs and attention: a gated linear
    recurrence inside chunks of `L` tokens (`rat.chunk_scan`) and softmax
    attention over the last states of earlier chunks
    (`rat.chunk_attention`), with rotary position encoding at the chunk
    index (`rat.rope`) and RMS normalisation (`rat.rms_norm`). Hybrid models
    add sliding-window attention (`rat.window_attention`). Generation uses
    decode-step operations that read and update explicit state
    (`rat.chunk_scan_step`, `rat.chunk_attention_step`).

    Every operation is in destination-passing style: inputs in `ins(...)`,
    destinations in `outs(...)`, one result per destination on tensors and
    none on buffers. Hyper-parameters are attributes. Storage may be f32,
    bf16 or f16; reductions and the recurrence accumulate in f32.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let hasCanonicalizer = 0;
  let useDefaultAttributePrinterParser = 1;
}

class Rat_Op<string mnemonic, list<Trait> traits = []>
    : Op<Rat_Dialect, mnemonic, traits>;

#endif // RAT_DIALECT_RAT_IR_RATDIALECT_TD
