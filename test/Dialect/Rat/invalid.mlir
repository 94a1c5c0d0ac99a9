// RUN: rat-opt %s -split-input-file -verify-diagnostics

// One case per verifier rule of every rat op. Valid dynamic-shape
// variants of these rules are in roundtrip.mlir.

// verifyDpsForm: no destination at all.
func.func @dps_no_destination(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op expects 1 destination operand(s) in outs(), got 0}}
  "rat.rms_norm"(%x, %w) <{epsilon = 1.0e-05 : f64}> : (tensor<2x8x16xf32>, tensor<16xf32>) -> ()
  return
}

// -----

// verifyDpsForm (rms_norm): 1 destination(s) expected.
func.func @rms_norm_dps_destination_count(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xf32>, %init2: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op expects 1 destination operand(s) in outs(), got 2}}
  %0:2 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init, %init2 : tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>, tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (rms_norm): a memref input among tensors.
func.func @rms_norm_dps_mixed_operands(%x: memref<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op operands must be all tensors or all memrefs}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (rms_norm): ops on memrefs have no results.
func.func @rms_norm_dps_memref_results(%x: memref<2x8x16xf32>, %w: memref<16xf32>, %init: memref<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op on memrefs the op has no results, got 1}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<2x8x16xf32>, memref<16xf32>) outs(%init : memref<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (rms_norm): one result per destination on tensors.
func.func @rms_norm_dps_no_results(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op expects 1 result(s), one per destination, got 0}}
  rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x8x16xf32>)
  return
}

// -----

// verifyDpsForm (rms_norm): each result has its destination's type.
func.func @rms_norm_dps_result_type(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op result #0 type ('tensor<2x8x16xf16>') must equal destination type ('tensor<2x8x16xf32>')}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf16>
  return
}

// -----

// verifyDpsForm (rope): 1 destination(s) expected.
func.func @rope_dps_destination_count(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>, %init2: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op expects 1 destination operand(s) in outs(), got 2}}
  %0:2 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init, %init2 : tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>, tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (rope): a memref input among tensors.
func.func @rope_dps_mixed_operands(%x: memref<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op operands must be all tensors or all memrefs}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : memref<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (rope): ops on memrefs have no results.
func.func @rope_dps_memref_results(%x: memref<2x8x16xf32>, %init: memref<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op on memrefs the op has no results, got 1}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : memref<2x8x16xf32>) outs(%init : memref<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (rope): one result per destination on tensors.
func.func @rope_dps_no_results(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op expects 1 result(s), one per destination, got 0}}
  rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>)
  return
}

// -----

// verifyDpsForm (rope): each result has its destination's type.
func.func @rope_dps_result_type(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op result #0 type ('tensor<2x8x16xf16>') must equal destination type ('tensor<2x8x16xf32>')}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf16>
  return
}

// -----

// verifyDpsForm (chunk_scan): 1 destination(s) expected.
func.func @chunk_scan_dps_destination_count(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>, %init2: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op expects 1 destination operand(s) in outs(), got 2}}
  %0:2 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init, %init2 : tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>, tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_scan): a memref input among tensors.
func.func @chunk_scan_dps_mixed_operands(%g: memref<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op operands must be all tensors or all memrefs}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : memref<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_scan): ops on memrefs have no results.
func.func @chunk_scan_dps_memref_results(%g: memref<2x8x16xf32>, %x: memref<2x8x16xf32>, %init: memref<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op on memrefs the op has no results, got 1}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : memref<2x8x16xf32>, memref<2x8x16xf32>) outs(%init : memref<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_scan): one result per destination on tensors.
func.func @chunk_scan_dps_no_results(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op expects 1 result(s), one per destination, got 0}}
  rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>)
  return
}

// -----

// verifyDpsForm (chunk_scan): each result has its destination's type.
func.func @chunk_scan_dps_result_type(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op result #0 type ('tensor<2x8x16xf16>') must equal destination type ('tensor<2x8x16xf32>')}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf16>
  return
}

// -----

// verifyDpsForm (chunk_attention): 1 destination(s) expected.
func.func @chunk_attention_dps_destination_count(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>, %init2: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op expects 1 destination operand(s) in outs(), got 2}}
  %0:2 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init, %init2 : tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (chunk_attention): a memref input among tensors.
func.func @chunk_attention_dps_mixed_operands(%q: memref<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op operands must be all tensors or all memrefs}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (chunk_attention): ops on memrefs have no results.
func.func @chunk_attention_dps_memref_results(%q: memref<2x2x8x16xf32>, %k: memref<2x2x8x16xf32>, %v: memref<2x4x8x32xf32>, %init: memref<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op on memrefs the op has no results, got 1}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<2x2x8x16xf32>, memref<2x2x8x16xf32>, memref<2x4x8x32xf32>) outs(%init : memref<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (chunk_attention): one result per destination on tensors.
func.func @chunk_attention_dps_no_results(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op expects 1 result(s), one per destination, got 0}}
  rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>)
  return
}

// -----

// verifyDpsForm (chunk_attention): each result has its destination's type.
func.func @chunk_attention_dps_result_type(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op result #0 type ('tensor<2x4x8x32xf16>') must equal destination type ('tensor<2x4x8x32xf32>')}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf16>
  return
}

// -----

// verifyDpsForm (window_attention): 1 destination(s) expected.
func.func @window_attention_dps_destination_count(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>, %init2: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op expects 1 destination operand(s) in outs(), got 2}}
  %0:2 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init, %init2 : tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (window_attention): a memref input among tensors.
func.func @window_attention_dps_mixed_operands(%q: memref<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op operands must be all tensors or all memrefs}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : memref<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (window_attention): ops on memrefs have no results.
func.func @window_attention_dps_memref_results(%q: memref<2x2x8x16xf32>, %k: memref<2x2x8x16xf32>, %v: memref<2x4x8x32xf32>, %init: memref<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op on memrefs the op has no results, got 1}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : memref<2x2x8x16xf32>, memref<2x2x8x16xf32>, memref<2x4x8x32xf32>) outs(%init : memref<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (window_attention): one result per destination on tensors.
func.func @window_attention_dps_no_results(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op expects 1 result(s), one per destination, got 0}}
  rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>)
  return
}

// -----

// verifyDpsForm (window_attention): each result has its destination's type.
func.func @window_attention_dps_result_type(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op result #0 type ('tensor<2x4x8x32xf16>') must equal destination type ('tensor<2x4x8x32xf32>')}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf16>
  return
}

// -----

// verifyDpsForm (chunk_scan_step): 1 destination(s) expected.
func.func @chunk_scan_step_dps_destination_count(%g: tensor<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>, %state2: tensor<2x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan_step' op expects 1 destination operand(s) in outs(), got 2}}
  %0:2 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state, %state2 : tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32>, tensor<2x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_scan_step): a memref input among tensors.
func.func @chunk_scan_step_dps_mixed_operands(%g: memref<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan_step' op operands must be all tensors or all memrefs}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : memref<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_scan_step): ops on memrefs have no results.
func.func @chunk_scan_step_dps_memref_results(%g: memref<2x16xf32>, %x: memref<2x16xf32>, %pos: index, %state: memref<2x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan_step' op on memrefs the op has no results, got 1}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : memref<2x16xf32>, memref<2x16xf32>) position(%pos) outs(%state : memref<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_scan_step): one result per destination on tensors.
func.func @chunk_scan_step_dps_no_results(%g: tensor<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan_step' op expects 1 result(s), one per destination, got 0}}
  rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>)
  return
}

// -----

// verifyDpsForm (chunk_scan_step): each result has its destination's type.
func.func @chunk_scan_step_dps_result_type(%g: tensor<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan_step' op result #0 type ('tensor<2x16xf16>') must equal destination type ('tensor<2x16xf32>')}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf16>
  return
}

// -----

// verifyDpsForm (chunk_attention_step): 3 destination(s) expected.
func.func @chunk_attention_step_dps_destination_count(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_attention_step' op expects 3 destination operand(s) in outs(), got 2}}
  %0:2 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>
  return
}

// -----

// verifyDpsForm (chunk_attention_step): a memref input among tensors.
func.func @chunk_attention_step_dps_mixed_operands(%q: memref<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention_step' op operands must be all tensors or all memrefs}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : memref<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (chunk_attention_step): ops on memrefs have no results.
func.func @chunk_attention_step_dps_memref_results(%q: memref<2x2x16xf32>, %k: memref<2x4x16xf32>, %v: memref<2x4x32xf32>, %pos: index, %out: memref<2x4x32xf32>, %kc: memref<2x4x8x16xf32>, %vc: memref<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention_step' op on memrefs the op has no results, got 3}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : memref<2x2x16xf32>, memref<2x4x16xf32>, memref<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : memref<2x4x32xf32>, memref<2x4x8x16xf32>, memref<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (chunk_attention_step): one result per destination on tensors.
func.func @chunk_attention_step_dps_no_results(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention_step' op expects 3 result(s), one per destination, got 0}}
  rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>)
  return
}

// -----

// verifyDpsForm (chunk_attention_step): each result has its destination's type.
func.func @chunk_attention_step_dps_result_type(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention_step' op result #2 type ('tensor<2x4x8x32xf16>') must equal destination type ('tensor<2x4x8x32xf32>')}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf16>
  return
}

// -----

// verifyDpsForm (window_attention_step): 3 destination(s) expected.
func.func @window_attention_step_dps_destination_count(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>) {
  // expected-error @+1 {{'rat.window_attention_step' op expects 3 destination operand(s) in outs(), got 2}}
  %0:2 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>
  return
}

// -----

// verifyDpsForm (window_attention_step): a memref input among tensors.
func.func @window_attention_step_dps_mixed_operands(%q: memref<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention_step' op operands must be all tensors or all memrefs}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : memref<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (window_attention_step): ops on memrefs have no results.
func.func @window_attention_step_dps_memref_results(%q: memref<2x2x16xf32>, %k: memref<2x4x16xf32>, %v: memref<2x4x32xf32>, %pos: index, %out: memref<2x4x32xf32>, %kc: memref<2x4x8x16xf32>, %vc: memref<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention_step' op on memrefs the op has no results, got 3}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : memref<2x2x16xf32>, memref<2x4x16xf32>, memref<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : memref<2x4x32xf32>, memref<2x4x8x16xf32>, memref<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// verifyDpsForm (window_attention_step): one result per destination on tensors.
func.func @window_attention_step_dps_no_results(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention_step' op expects 3 result(s), one per destination, got 0}}
  rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>)
  return
}

// -----

// verifyDpsForm (window_attention_step): each result has its destination's type.
func.func @window_attention_step_dps_result_type(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention_step' op result #2 type ('tensor<2x4x8x32xf16>') must equal destination type ('tensor<2x4x8x32xf32>')}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf16>
  return
}

// -----

// verifyDpsForm: a result type more dynamic than its destination is still different.
func.func @dps_result_type_dynamic(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op result #0 type ('tensor<2x4x?x32xf32>') must equal destination type ('tensor<2x4x8x32xf32>')}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x?x32xf32>
  return
}

// -----

// verifyDpsForm: tensor inputs with a memref destination (and no result).
func.func @dps_mixed_operands_destination_memref(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: memref<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op operands must be all tensors or all memrefs}}
  rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : memref<2x4x8x32xf32>)
  return
}

// -----

// rms_norm: input must have rank >= 1.
func.func @rms_norm_input_rank(%x: tensor<f32>, %w: tensor<16xf32>, %init: tensor<f32>) {
  // expected-error @+1 {{'rat.rms_norm' op input must have rank >= 1, got 0}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<f32>, tensor<16xf32>) outs(%init : tensor<f32>) -> tensor<f32>
  return
}

// -----

// rms_norm: weight must be a vector.
func.func @rms_norm_weight_rank(%x: tensor<2x8x16xf32>, %w: tensor<1x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op weight must have rank 1, got 2}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<1x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rms_norm: weight length is the last input dim.
func.func @rms_norm_weight_dim(%x: tensor<2x8x16xf32>, %w: tensor<8xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op weight dim 0 (8) must equal input dim 2 (16)}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<8xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rms_norm: init has the rank of input.
func.func @rms_norm_init_rank(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<16x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op init rank (2) must equal input rank (3)}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<16x16xf32>) -> tensor<16x16xf32>
  return
}

// -----

// rms_norm: init has the shape of input.
func.func @rms_norm_init_dim(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x4x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op init dim 1 (4) must equal input dim 1 (8)}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return
}

// -----

// rms_norm: a dynamic input dim does not hide a mismatch on another dim.
func.func @rms_norm_init_dim_dynamic_input(%x: tensor<?x?x16xf32>, %w: tensor<?xf32>, %init: tensor<2x8x32xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op init dim 2 (32) must equal input dim 2 (16)}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<?x?x16xf32>, tensor<?xf32>) outs(%init : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  return
}

// -----

// rms_norm: float element types only.
func.func @rms_norm_non_float(%x: tensor<2x8x16xi32>, %w: tensor<16xi32>, %init: tensor<2x8x16xi32>) {
  // expected-error @+1 {{'rat.rms_norm' op input must have a float element type, got 'i32'}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xi32>, tensor<16xi32>) outs(%init : tensor<2x8x16xi32>) -> tensor<2x8x16xi32>
  return
}

// -----

// rms_norm: one element type.
func.func @rms_norm_weight_element_type(%x: tensor<2x8x16xf32>, %w: tensor<16xf16>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op weight element type ('f16') must equal input element type ('f32')}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf16>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rms_norm: one element type (init).
func.func @rms_norm_init_element_type(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xbf16>) {
  // expected-error @+1 {{'rat.rms_norm' op init element type ('bf16') must equal input element type ('f32')}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x8x16xbf16>) -> tensor<2x8x16xbf16>
  return
}

// -----

// rms_norm: epsilon > 0.
func.func @rms_norm_epsilon_zero(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op epsilon must be > 0, got 0.000000e+00}}
  %0 = rat.rms_norm epsilon = 0.0 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rms_norm: epsilon > 0 (negative).
func.func @rms_norm_epsilon_negative(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op epsilon must be > 0, got -1.000000e-05}}
  %0 = rat.rms_norm epsilon = -1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rms_norm on memrefs: same shape rules.
func.func @rms_norm_memref_weight_dim(%x: memref<8x16xf32>, %w: memref<15xf32>, %out: memref<8x16xf32>) {
  // expected-error @+1 {{'rat.rms_norm' op weight dim 0 (15) must equal input dim 1 (16)}}
  rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<8x16xf32>, memref<15xf32>) outs(%out : memref<8x16xf32>)
  return
}

// -----

// rope: input is [..., T, Dh].
func.func @rope_input_rank(%x: tensor<16xf32>, %init: tensor<16xf32>) {
  // expected-error @+1 {{'rat.rope' op input must have rank >= 2, got 1}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<16xf32>) outs(%init : tensor<16xf32>) -> tensor<16xf32>
  return
}

// -----

// rope: init has the rank of input.
func.func @rope_init_rank(%x: tensor<8x16xf32>, %init: tensor<1x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op init rank (3) must equal input rank (2)}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<8x16xf32>) outs(%init : tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
  return
}

// -----

// rope: init has the shape of input.
func.func @rope_init_dim(%x: tensor<2x8x16xf32>, %init: tensor<2x4x16xf32>) {
  // expected-error @+1 {{'rat.rope' op init dim 1 (4) must equal input dim 1 (8)}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return
}

// -----

// rope: one float element type.
func.func @rope_init_element_type(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf16>) {
  // expected-error @+1 {{'rat.rope' op init element type ('f16') must equal input element type ('f32')}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf16>) -> tensor<2x8x16xf16>
  return
}

// -----

// rope: float element types only.
func.func @rope_non_float(%x: tensor<2x8x16xi8>, %init: tensor<2x8x16xi8>) {
  // expected-error @+1 {{'rat.rope' op input must have a float element type, got 'i8'}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xi8>) outs(%init : tensor<2x8x16xi8>) -> tensor<2x8x16xi8>
  return
}

// -----

// rope: chunk_size >= 1.
func.func @rope_chunk_size(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op chunk_size must be >= 1, got 0}}
  %0 = rat.rope chunk_size = 0 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rope: chunk_size >= 1 (negative).
func.func @rope_chunk_size_negative(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op chunk_size must be >= 1, got -2}}
  %0 = rat.rope chunk_size = -2 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rope: the head dim must be static.
func.func @rope_dynamic_head_dim(%x: tensor<2x8x?xf32>, %init: tensor<2x8x?xf32>) {
  // expected-error @+1 {{'rat.rope' op input head dim (last) must be static}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x?xf32>) outs(%init : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  return
}

// -----

// rope: the head dim is split in two halves.
func.func @rope_odd_head_dim(%x: tensor<2x8x15xf32>, %init: tensor<2x8x15xf32>) {
  // expected-error @+1 {{'rat.rope' op input head dim (last) must be even, got 15}}
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x15xf32>) outs(%init : tensor<2x8x15xf32>) -> tensor<2x8x15xf32>
  return
}

// -----

// rope: base > 0.
func.func @rope_base_zero(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op base must be > 0, got 0.000000e+00}}
  %0 = rat.rope chunk_size = 4 base = 0.0 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// rope: base > 0 (negative).
func.func @rope_base_negative(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.rope' op base must be > 0, got -1.000000e+04}}
  %0 = rat.rope chunk_size = 4 base = -1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// chunk_scan: input is [..., T, N].
func.func @chunk_scan_input_rank(%gate: tensor<16xf32>, %x: tensor<16xf32>, %init: tensor<16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op input must have rank >= 2, got 1}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<16xf32>, tensor<16xf32>) outs(%init : tensor<16xf32>) -> tensor<16xf32>
  return
}

// -----

// chunk_scan: gate has the rank of input.
func.func @chunk_scan_gate_rank(%gate: tensor<1x8x16xf32>, %x: tensor<8x16xf32>, %init: tensor<8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op gate rank (3) must equal input rank (2)}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<1x8x16xf32>, tensor<8x16xf32>) outs(%init : tensor<8x16xf32>) -> tensor<8x16xf32>
  return
}

// -----

// chunk_scan: gate has the shape of input.
func.func @chunk_scan_gate_dim(%gate: tensor<2x7x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op gate dim 1 (7) must equal input dim 1 (8)}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x7x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// chunk_scan: init has the rank of input.
func.func @chunk_scan_init_rank(%gate: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<16x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op init rank (2) must equal input rank (3)}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<16x16xf32>) -> tensor<16x16xf32>
  return
}

// -----

// chunk_scan: init has the shape of input.
func.func @chunk_scan_init_dim(%gate: tensor<?x?x16xf32>, %x: tensor<?x?x16xf32>, %init: tensor<2x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op init dim 2 (32) must equal input dim 2 (16)}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<?x?x16xf32>, tensor<?x?x16xf32>) outs(%init : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  return
}

// -----

// chunk_scan: float element types only.
func.func @chunk_scan_non_float(%gate: tensor<2x8x16xi32>, %x: tensor<2x8x16xi32>, %init: tensor<2x8x16xi32>) {
  // expected-error @+1 {{'rat.chunk_scan' op input must have a float element type, got 'i32'}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xi32>, tensor<2x8x16xi32>) outs(%init : tensor<2x8x16xi32>) -> tensor<2x8x16xi32>
  return
}

// -----

// chunk_scan: one element type (gate).
func.func @chunk_scan_gate_element_type(%gate: tensor<2x8x16xf16>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op gate element type ('f16') must equal input element type ('f32')}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xf16>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// chunk_scan: one element type (init).
func.func @chunk_scan_init_element_type(%gate: tensor<2x8x16xbf16>, %x: tensor<2x8x16xbf16>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op init element type ('f32') must equal input element type ('bf16')}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xbf16>, tensor<2x8x16xbf16>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// chunk_scan: chunk_size >= 1.
func.func @chunk_scan_chunk_size(%gate: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_scan' op chunk_size must be >= 1, got 0}}
  %0 = rat.chunk_scan chunk_size = 0 ins(%gate, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}

// -----

// chunk_scan on memrefs: same shape rules.
func.func @chunk_scan_memref_gate_dim(%g: memref<36x24xf16>, %x: memref<37x24xf16>, %out: memref<37x24xf16>) {
  // expected-error @+1 {{'rat.chunk_scan' op gate dim 0 (36) must equal input dim 0 (37)}}
  rat.chunk_scan chunk_size = 3 ins(%g, %x : memref<36x24xf16>, memref<37x24xf16>) outs(%out : memref<37x24xf16>)
  return
}

// -----

// chunk_attention: query is [B, Hq, Tq, Dh].
func.func @chunk_attention_query_rank(%q: tensor<2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op query must have rank 4, got 3}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: key is [B, Hk, T, Dh].
func.func @chunk_attention_key_rank(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16x1xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op key must have rank 4, got 5}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16x1xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: value is [B, H, T, Dv].
func.func @chunk_attention_value_rank(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op value must have rank 4, got 3}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: init is [B, H, Tq, Dv].
func.func @chunk_attention_init_rank(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op init must have rank 4, got 3}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<4x8x32xf32>) -> tensor<4x8x32xf32>
  return
}

// -----

// chunk_attention: key batch.
func.func @chunk_attention_key_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<3x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op key dim 0 (3) must equal query dim 0 (2)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<3x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: value batch.
func.func @chunk_attention_value_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<1x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op value dim 0 (1) must equal query dim 0 (2)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<1x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: init batch.
func.func @chunk_attention_init_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<4x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op init dim 0 (4) must equal query dim 0 (2)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<4x4x8x32xf32>) -> tensor<4x4x8x32xf32>
  return
}

// -----

// chunk_attention: init has the heads of value.
func.func @chunk_attention_init_heads(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x2x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op init dim 1 (2) must equal value dim 1 (4)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x2x8x32xf32>) -> tensor<2x2x8x32xf32>
  return
}

// -----

// chunk_attention: query heads divide the heads.
func.func @chunk_attention_query_groups(%q: tensor<2x3x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op value dim 1 (4) must be divisible by query dim 1 (3)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x3x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: key heads divide the heads.
func.func @chunk_attention_key_groups(%q: tensor<2x2x8x16xf32>, %k: tensor<2x8x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op value dim 1 (4) must be divisible by key dim 1 (8)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x8x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: query and key agree on Dh.
func.func @chunk_attention_key_head_dim(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x32xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op key dim 3 (32) must equal query dim 3 (16)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x32xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: key and value agree on T.
func.func @chunk_attention_value_tokens(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x9x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op value dim 2 (9) must equal key dim 2 (8)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x9x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: init has the query tokens.
func.func @chunk_attention_init_tokens(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op init dim 2 (4) must equal query dim 2 (8)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}

// -----

// chunk_attention: init has the value width Dv.
func.func @chunk_attention_init_value_dim(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x16xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op init dim 3 (16) must equal value dim 3 (32)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return
}

// -----

// chunk_attention: one element type.
func.func @chunk_attention_element_type(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xbf16>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op value element type ('bf16') must equal query element type ('f32')}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xbf16>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: float element types only.
func.func @chunk_attention_non_float(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xi16>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op key must have a float element type, got 'i16'}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xi16>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: scale > 0.
func.func @chunk_attention_scale_zero(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op scale must be > 0, got 0.000000e+00}}
  %0 = rat.chunk_attention chunk_size = 4 scale = 0.0 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: scale > 0 (negative).
func.func @chunk_attention_scale_negative(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op scale must be > 0, got -2.500000e-01}}
  %0 = rat.chunk_attention chunk_size = 4 scale = -0.25 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: the scale default needs a static Dh.
func.func @chunk_attention_dynamic_head_dim(%q: tensor<2x2x8x?xf32>, %k: tensor<2x2x8x?xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op query head dim (dim 3) must be static}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x?xf32>, tensor<2x2x8x?xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: Dh must be static even with an explicit scale.
func.func @chunk_attention_dynamic_head_dim_with_scale(%q: tensor<2x2x8x?xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op query head dim (dim 3) must be static}}
  %0 = rat.chunk_attention chunk_size = 4 scale = 0.25 ins(%q, %k, %v : tensor<2x2x8x?xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention: Tq <= T.
func.func @chunk_attention_more_queries_than_keys(%q: tensor<2x2x16x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x16x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op query positions [0, 16) must lie within the key sequence of 8 tokens}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  return
}

// -----

// chunk_attention: offset + Tq <= T.
func.func @chunk_attention_offset_out_of_range(%q: tensor<2x2x4x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  %off = arith.constant 6 : index
  // expected-error @+1 {{'rat.chunk_attention' op query positions [6, 10) must lie within the key sequence of 8 tokens}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x4x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) offset(%off) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}

// -----

// chunk_attention: offset >= 0.
func.func @chunk_attention_offset_negative(%q: tensor<2x2x4x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  %off = arith.constant -1 : index
  // expected-error @+1 {{'rat.chunk_attention' op offset must be >= 0, got -1}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x4x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) offset(%off) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}

// -----

// window_attention: query is [B, Hq, Tq, Dh].
func.func @window_attention_query_rank(%q: tensor<2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op query must have rank 4, got 3}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: key is [B, Hk, T, Dh].
func.func @window_attention_key_rank(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16x1xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op key must have rank 4, got 5}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16x1xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: value is [B, H, T, Dv].
func.func @window_attention_value_rank(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value must have rank 4, got 3}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: init is [B, H, Tq, Dv].
func.func @window_attention_init_rank(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op init must have rank 4, got 3}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<4x8x32xf32>) -> tensor<4x8x32xf32>
  return
}

// -----

// window_attention: key batch.
func.func @window_attention_key_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<3x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op key dim 0 (3) must equal query dim 0 (2)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<3x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: value batch.
func.func @window_attention_value_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<1x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value dim 0 (1) must equal query dim 0 (2)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<1x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: init batch.
func.func @window_attention_init_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<4x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op init dim 0 (4) must equal query dim 0 (2)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<4x4x8x32xf32>) -> tensor<4x4x8x32xf32>
  return
}

// -----

// window_attention: init has the heads of value.
func.func @window_attention_init_heads(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x2x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op init dim 1 (2) must equal value dim 1 (4)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x2x8x32xf32>) -> tensor<2x2x8x32xf32>
  return
}

// -----

// window_attention: query heads divide the heads.
func.func @window_attention_query_groups(%q: tensor<2x3x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value dim 1 (4) must be divisible by query dim 1 (3)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x3x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: key heads divide the heads.
func.func @window_attention_key_groups(%q: tensor<2x2x8x16xf32>, %k: tensor<2x8x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value dim 1 (4) must be divisible by key dim 1 (8)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x8x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: query and key agree on Dh.
func.func @window_attention_key_head_dim(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x32xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op key dim 3 (32) must equal query dim 3 (16)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x32xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: key and value agree on T.
func.func @window_attention_value_tokens(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x9x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value dim 2 (9) must equal key dim 2 (8)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x9x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: init has the query tokens.
func.func @window_attention_init_tokens(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op init dim 2 (4) must equal query dim 2 (8)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}

// -----

// window_attention: init has the value width Dv.
func.func @window_attention_init_value_dim(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x16xf32>) {
  // expected-error @+1 {{'rat.window_attention' op init dim 3 (16) must equal value dim 3 (32)}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return
}

// -----

// window_attention: one element type.
func.func @window_attention_element_type(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xbf16>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value element type ('bf16') must equal query element type ('f32')}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xbf16>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: float element types only.
func.func @window_attention_non_float(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xi16>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op key must have a float element type, got 'i16'}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xi16>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: scale > 0.
func.func @window_attention_scale_zero(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op scale must be > 0, got 0.000000e+00}}
  %0 = rat.window_attention window = 2 scale = 0.0 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: scale > 0 (negative).
func.func @window_attention_scale_negative(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op scale must be > 0, got -2.500000e-01}}
  %0 = rat.window_attention window = 2 scale = -0.25 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: the scale default needs a static Dh.
func.func @window_attention_dynamic_head_dim(%q: tensor<2x2x8x?xf32>, %k: tensor<2x2x8x?xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op query head dim (dim 3) must be static}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x?xf32>, tensor<2x2x8x?xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: Dh must be static even with an explicit scale.
func.func @window_attention_dynamic_head_dim_with_scale(%q: tensor<2x2x8x?xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op query head dim (dim 3) must be static}}
  %0 = rat.window_attention window = 2 scale = 0.25 ins(%q, %k, %v : tensor<2x2x8x?xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention: Tq <= T.
func.func @window_attention_more_queries_than_keys(%q: tensor<2x2x16x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x16x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op query positions [0, 16) must lie within the key sequence of 8 tokens}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x16x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  return
}

// -----

// window_attention: offset + Tq <= T.
func.func @window_attention_offset_out_of_range(%q: tensor<2x2x4x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  %off = arith.constant 6 : index
  // expected-error @+1 {{'rat.window_attention' op query positions [6, 10) must lie within the key sequence of 8 tokens}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x4x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) offset(%off) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}

// -----

// window_attention: offset >= 0.
func.func @window_attention_offset_negative(%q: tensor<2x2x4x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  %off = arith.constant -1 : index
  // expected-error @+1 {{'rat.window_attention' op offset must be >= 0, got -1}}
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x4x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) offset(%off) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}

// -----

// chunk_attention: chunk_size >= 1.
func.func @chunk_attention_chunk_size(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op chunk_size must be >= 1, got 0}}
  %0 = rat.chunk_attention chunk_size = 0 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention on memrefs: same shape rules.
func.func @window_attention_memref_groups(%q: memref<1x2x8x32xf32>, %k: memref<1x4x8x32xf32>, %v: memref<1x2x8x32xf32>, %out: memref<1x2x8x32xf32>) {
  // expected-error @+1 {{'rat.window_attention' op value dim 1 (2) must be divisible by key dim 1 (4)}}
  rat.window_attention window = 0 ins(%q, %k, %v : memref<1x2x8x32xf32>, memref<1x4x8x32xf32>, memref<1x2x8x32xf32>) outs(%out : memref<1x2x8x32xf32>)
  return
}

// -----

// chunk_scan_step: input has rank >= 1.
func.func @chunk_scan_step_input_rank(%gate: tensor<f32>, %x: tensor<f32>, %state: tensor<f32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op input must have rank >= 1, got 0}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<f32>, tensor<f32>) position(%pos) outs(%state : tensor<f32>) -> tensor<f32>
  return
}

// -----

// chunk_scan_step: gate has the rank of input.
func.func @chunk_scan_step_gate_rank(%gate: tensor<16xf32>, %x: tensor<2x16xf32>, %state: tensor<2x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op gate rank (1) must equal input rank (2)}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// chunk_scan_step: gate has the shape of input.
func.func @chunk_scan_step_gate_dim(%gate: tensor<2x8xf32>, %x: tensor<2x16xf32>, %state: tensor<2x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op gate dim 1 (8) must equal input dim 1 (16)}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x8xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// chunk_scan_step: state has the rank of input.
func.func @chunk_scan_step_state_rank(%gate: tensor<2x16xf32>, %x: tensor<2x16xf32>, %state: tensor<1x2x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op state rank (3) must equal input rank (2)}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  return
}

// -----

// chunk_scan_step: state has the shape of input.
func.func @chunk_scan_step_state_dim(%gate: tensor<2x16xf32>, %x: tensor<2x16xf32>, %state: tensor<3x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op state dim 0 (3) must equal input dim 0 (2)}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<3x16xf32>) -> tensor<3x16xf32>
  return
}

// -----

// chunk_scan_step: float element types only.
func.func @chunk_scan_step_non_float(%gate: tensor<2x16xf32>, %x: tensor<2x16xi32>, %state: tensor<2x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op input must have a float element type, got 'i32'}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xi32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// chunk_scan_step: one element type.
func.func @chunk_scan_step_state_element_type(%gate: tensor<2x16xf32>, %x: tensor<2x16xf32>, %state: tensor<2x16xf16>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op state element type ('f16') must equal input element type ('f32')}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf16>) -> tensor<2x16xf16>
  return
}

// -----

// chunk_scan_step: chunk_size >= 1.
func.func @chunk_scan_step_chunk_size(%gate: tensor<2x16xf32>, %x: tensor<2x16xf32>, %state: tensor<2x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_scan_step' op chunk_size must be >= 1, got 0}}
  %0 = rat.chunk_scan_step chunk_size = 0 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// chunk_scan_step: a constant position is >= 0.
func.func @chunk_scan_step_negative_position(%gate: tensor<2x16xf32>, %x: tensor<2x16xf32>, %state: tensor<2x16xf32>) {
  %pos = arith.constant -1 : index
  // expected-error @+1 {{'rat.chunk_scan_step' op position must be >= 0, got -1}}
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// chunk_attention_step: query is [B, Hq, Dh].
func.func @chunk_attention_step_query_rank(%q: tensor<2x2x1x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op query must have rank 3, got 4}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x1x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key is [B, H, Dh].
func.func @chunk_attention_step_key_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key must have rank 3, got 2}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: value is [B, H, Dv].
func.func @chunk_attention_step_value_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x1x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value must have rank 3, got 4}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x1x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: output is [B, H, Dv].
func.func @chunk_attention_step_output_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x1x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op output must have rank 3, got 4}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x1x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x1x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key_cache is [B, H, R, Dh].
func.func @chunk_attention_step_key_cache_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key_cache must have rank 4, got 3}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: value_cache is [B, H, R, Dv].
func.func @chunk_attention_step_value_cache_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value_cache must have rank 4, got 3}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x32xf32>
  return
}

// -----

// chunk_attention_step: key batch.
func.func @chunk_attention_step_key_batch(%q: tensor<2x2x16xf32>, %k: tensor<1x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key dim 0 (1) must equal query dim 0 (2)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<1x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: value batch.
func.func @chunk_attention_step_value_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<3x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value dim 0 (3) must equal query dim 0 (2)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<3x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: output batch.
func.func @chunk_attention_step_output_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<3x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op output dim 0 (3) must equal query dim 0 (2)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<3x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<3x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key_cache batch.
func.func @chunk_attention_step_key_cache_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<1x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key_cache dim 0 (1) must equal query dim 0 (2)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<1x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<1x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: value_cache batch.
func.func @chunk_attention_step_value_cache_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<1x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value_cache dim 0 (1) must equal query dim 0 (2)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<1x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key has the heads of value (no key groups).
func.func @chunk_attention_step_key_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x2x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key dim 1 (2) must equal value dim 1 (4)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x2x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: output heads.
func.func @chunk_attention_step_output_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x8x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op output dim 1 (8) must equal value dim 1 (4)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x8x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x8x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key_cache heads.
func.func @chunk_attention_step_key_cache_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x2x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key_cache dim 1 (2) must equal value dim 1 (4)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: value_cache heads.
func.func @chunk_attention_step_value_cache_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x2x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value_cache dim 1 (2) must equal value dim 1 (4)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x2x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x2x8x32xf32>
  return
}

// -----

// chunk_attention_step: query heads divide the heads.
func.func @chunk_attention_step_query_groups(%q: tensor<2x3x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value dim 1 (4) must be divisible by query dim 1 (3)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x3x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: zero query heads divide nothing.
func.func @chunk_attention_step_query_zero_groups(%q: tensor<2x0x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value dim 1 (4) must be divisible by query dim 1 (0)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x0x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key and query agree on Dh.
func.func @chunk_attention_step_key_head_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key dim 2 (8) must equal query dim 2 (16)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x8xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: key_cache rows are Dh wide.
func.func @chunk_attention_step_key_cache_head_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x8xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key_cache dim 3 (8) must equal query dim 2 (16)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: output is Dv wide.
func.func @chunk_attention_step_output_value_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x16xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op output dim 2 (16) must equal value dim 2 (32)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: value_cache rows are Dv wide.
func.func @chunk_attention_step_value_cache_value_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value_cache dim 3 (16) must equal value dim 2 (32)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
  return
}

// -----

// chunk_attention_step: both caches have the same rows.
func.func @chunk_attention_step_cache_rows(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x9x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op value_cache dim 2 (9) must equal key_cache dim 2 (8)}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x9x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x9x32xf32>
  return
}

// -----

// chunk_attention_step: one element type.
func.func @chunk_attention_step_element_type(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xbf16>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key_cache element type ('bf16') must equal query element type ('f32')}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xbf16>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xbf16>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: float element types only.
func.func @chunk_attention_step_non_float(%q: tensor<2x2x16xi32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op query must have a float element type, got 'i32'}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xi32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: scale > 0.
func.func @chunk_attention_step_scale(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op scale must be > 0, got -1.000000e+00}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 scale = -1.0 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: the head dim must be static.
func.func @chunk_attention_step_dynamic_head_dim(%q: tensor<2x2x?xf32>, %k: tensor<2x4x?xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x?xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op query head dim (dim 2) must be static}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x?xf32>, tensor<2x4x?xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x?xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x?xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: a constant position is >= 0.
func.func @chunk_attention_step_negative_position(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  %pos = arith.constant -3 : index
  // expected-error @+1 {{'rat.chunk_attention_step' op position must be >= 0, got -3}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: query is [B, Hq, Dh].
func.func @window_attention_step_query_rank(%q: tensor<2x2x1x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op query must have rank 3, got 4}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x1x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: key is [B, H, Dh].
func.func @window_attention_step_key_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key must have rank 3, got 2}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: value is [B, H, Dv].
func.func @window_attention_step_value_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x1x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value must have rank 3, got 4}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x1x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: output is [B, H, Dv].
func.func @window_attention_step_output_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x1x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op output must have rank 3, got 4}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x1x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x1x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: key_cache is [B, H, R, Dh].
func.func @window_attention_step_key_cache_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache must have rank 4, got 3}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: value_cache is [B, H, R, Dv].
func.func @window_attention_step_value_cache_rank(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value_cache must have rank 4, got 3}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x32xf32>
  return
}

// -----

// window_attention_step: key batch.
func.func @window_attention_step_key_batch(%q: tensor<2x2x16xf32>, %k: tensor<1x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key dim 0 (1) must equal query dim 0 (2)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<1x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: value batch.
func.func @window_attention_step_value_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<3x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value dim 0 (3) must equal query dim 0 (2)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<3x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: output batch.
func.func @window_attention_step_output_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<3x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op output dim 0 (3) must equal query dim 0 (2)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<3x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<3x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: key_cache batch.
func.func @window_attention_step_key_cache_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<1x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache dim 0 (1) must equal query dim 0 (2)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<1x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<1x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: value_cache batch.
func.func @window_attention_step_value_cache_batch(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<1x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value_cache dim 0 (1) must equal query dim 0 (2)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<1x4x8x32xf32>
  return
}

// -----

// window_attention_step: key has the heads of value (no key groups).
func.func @window_attention_step_key_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x2x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key dim 1 (2) must equal value dim 1 (4)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x2x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: output heads.
func.func @window_attention_step_output_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x8x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op output dim 1 (8) must equal value dim 1 (4)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x8x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x8x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: key_cache heads.
func.func @window_attention_step_key_cache_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x2x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache dim 1 (2) must equal value dim 1 (4)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: value_cache heads.
func.func @window_attention_step_value_cache_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x2x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value_cache dim 1 (2) must equal value dim 1 (4)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x2x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x2x8x32xf32>
  return
}

// -----

// window_attention_step: query heads divide the heads.
func.func @window_attention_step_query_groups(%q: tensor<2x3x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value dim 1 (4) must be divisible by query dim 1 (3)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x3x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: zero query heads divide nothing.
func.func @window_attention_step_query_zero_groups(%q: tensor<2x0x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value dim 1 (4) must be divisible by query dim 1 (0)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x0x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: key and query agree on Dh.
func.func @window_attention_step_key_head_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key dim 2 (8) must equal query dim 2 (16)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x8xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: key_cache rows are Dh wide.
func.func @window_attention_step_key_cache_head_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x8xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache dim 3 (8) must equal query dim 2 (16)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: output is Dv wide.
func.func @window_attention_step_output_value_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x16xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op output dim 2 (16) must equal value dim 2 (32)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: value_cache rows are Dv wide.
func.func @window_attention_step_value_cache_value_dim(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x16xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value_cache dim 3 (16) must equal value dim 2 (32)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
  return
}

// -----

// window_attention_step: both caches have the same rows.
func.func @window_attention_step_cache_rows(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x9x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op value_cache dim 2 (9) must equal key_cache dim 2 (8)}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x9x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x9x32xf32>
  return
}

// -----

// window_attention_step: one element type.
func.func @window_attention_step_element_type(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xbf16>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache element type ('bf16') must equal query element type ('f32')}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xbf16>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xbf16>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: float element types only.
func.func @window_attention_step_non_float(%q: tensor<2x2x16xi32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op query must have a float element type, got 'i32'}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xi32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: scale > 0.
func.func @window_attention_step_scale(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op scale must be > 0, got -1.000000e+00}}
  %0:3 = rat.window_attention_step window = 3 scale = -1.0 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: the head dim must be static.
func.func @window_attention_step_dynamic_head_dim(%q: tensor<2x2x?xf32>, %k: tensor<2x4x?xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x?xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op query head dim (dim 2) must be static}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x?xf32>, tensor<2x4x?xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x?xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x?xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: a constant position is >= 0.
func.func @window_attention_step_negative_position(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  %pos = arith.constant -3 : index
  // expected-error @+1 {{'rat.window_attention_step' op position must be >= 0, got -3}}
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: chunk_size >= 1.
func.func @chunk_attention_step_chunk_size(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op chunk_size must be >= 1, got 0}}
  %0:3 = rat.chunk_attention_step chunk_size = 0 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// chunk_attention_step: a constant position must fall in a cached chunk (position 32 with chunk_size 4 is chunk 8, the cache has rows 0..7).
func.func @chunk_attention_step_cache_too_short(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  %pos = arith.constant 32 : index
  // expected-error @+1 {{'rat.chunk_attention_step' op position 32 is in chunk 8 but key_cache dim 2 has only 8 rows}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: the ring holds window + 1 tokens.
func.func @window_attention_step_ring_too_short(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache dim 2 (8) must hold the window of 9 tokens}}
  %0:3 = rat.window_attention_step window = 8 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// window_attention_step: full attention at a constant position needs position + 1 rows.
func.func @window_attention_step_full_attention_position(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) {
  %pos = arith.constant 8 : index
  // expected-error @+1 {{'rat.window_attention_step' op full attention at position 8 needs more than 8 rows in key_cache dim 2, got 8}}
  %0:3 = rat.window_attention_step window = 0 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

func.func @window_attention_negative_window(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32> {
  // expected-error @+1 {{'rat.window_attention' op window must be >= 0 (0 = full causal), got -1}}
  %0 = rat.window_attention window = -1 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return %0 : tensor<2x4x8x32xf32>
}

// -----

func.func @window_attention_step_negative_window(%q: tensor<2x4x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %o: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{'rat.window_attention_step' op window must be >= 0 (0 = full causal), got -1}}
  %0:3 = rat.window_attention_step window = -1 ins(%q, %k, %v : tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%o, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return %0#0 : tensor<2x4x32xf32>
}

// -----

func.func @rope_negative_offset(%x: tensor<2x4x8x16xf32>, %init: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %off = arith.constant -3 : index
  // expected-error @+1 {{'rat.rope' op offset must be >= 0, got -3}}
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x4x8x16xf32>) offset(%off) outs(%init : tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %0 : tensor<2x4x8x16xf32>
}

// -----

func.func @matmul_k_mismatch(%x: tensor<8x64xf32>, %w: tensor<96x32xf32>, %init: tensor<8x96xf32>) -> tensor<8x96xf32> {
  // expected-error @+1 {{'rat.matmul' op weight dim 1 (32) must equal input dim 1 (64)}}
  %0 = rat.matmul ins(%x, %w : tensor<8x64xf32>, tensor<96x32xf32>) outs(%init : tensor<8x96xf32>) -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}

// -----

func.func @matmul_n_mismatch(%x: tensor<8x64xf32>, %w: tensor<96x64xf32>, %init: tensor<8x95xf32>) -> tensor<8x95xf32> {
  // expected-error @+1 {{'rat.matmul' op init dim 1 (95) must equal weight dim 0 (96)}}
  %0 = rat.matmul ins(%x, %w : tensor<8x64xf32>, tensor<96x64xf32>) outs(%init : tensor<8x95xf32>) -> tensor<8x95xf32>
  return %0 : tensor<8x95xf32>
}

// -----

func.func @matmul_rows_mismatch(%x: tensor<2x8x64xf32>, %w: tensor<96x64xf32>, %init: tensor<2x9x96xf32>) -> tensor<2x9x96xf32> {
  // expected-error @+1 {{'rat.matmul' op init dim 1 (9) must equal input dim 1 (8)}}
  %0 = rat.matmul ins(%x, %w : tensor<2x8x64xf32>, tensor<96x64xf32>) outs(%init : tensor<2x9x96xf32>) -> tensor<2x9x96xf32>
  return %0 : tensor<2x9x96xf32>
}

// -----

func.func @matmul_weight_rank(%x: tensor<8x64xf32>, %w: tensor<2x96x64xf32>, %init: tensor<8x96xf32>) -> tensor<8x96xf32> {
  // expected-error @+1 {{'rat.matmul' op weight must have rank 2, got 3}}
  %0 = rat.matmul ins(%x, %w : tensor<8x64xf32>, tensor<2x96x64xf32>) outs(%init : tensor<8x96xf32>) -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}

// -----

func.func @matmul_mixed_inputs(%x: tensor<8x64xbf16>, %w: tensor<96x64xf32>, %init: tensor<8x96xf32>) -> tensor<8x96xf32> {
  // expected-error @+1 {{'rat.matmul' op weight element type ('f32') must equal input element type ('bf16')}}
  %0 = rat.matmul ins(%x, %w : tensor<8x64xbf16>, tensor<96x64xf32>) outs(%init : tensor<8x96xf32>) -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}

// -----

// Zero-width heads: no scores to compute (the default scale would be
// infinite). Rejected at the op instead of failing later in a pass.
func.func @chunk_attention_zero_head_dim(%q: tensor<2x2x8x0xf32>, %k: tensor<2x2x8x0xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  // expected-error @+1 {{'rat.chunk_attention' op query head dim (dim 3) must be >= 1}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x0xf32>, tensor<2x2x8x0xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}

// -----

func.func @window_attention_zero_head_dim(%q: tensor<1x2x8x0xf32>, %init: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{'rat.window_attention' op query head dim (dim 3) must be >= 1}}
  %0 = rat.window_attention window = 2 ins(%q, %q, %v : tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32>, tensor<1x2x8x4xf32>) outs(%init : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @chunk_attention_step_zero_head_dim(%q: tensor<2x2x0xf32>, %k: tensor<2x4x0xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x0xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op query head dim (dim 2) must be >= 1}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x0xf32>, tensor<2x4x0xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x0xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x0xf32>, tensor<2x4x8x32xf32>
  return
}

// -----

// A decode step writes the new key and value into a cache row: a cache of
// zero rows cannot take it, whatever the (dynamic) position.
func.func @chunk_attention_step_zero_rows(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x0x16xf32>, %vc: tensor<2x4x0x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.chunk_attention_step' op key_cache dim 2 (rows) must be >= 1: the step writes the new key into a row}}
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x0x16xf32>, tensor<2x4x0x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x0x16xf32>, tensor<2x4x0x32xf32>
  return
}

// -----

func.func @window_attention_step_zero_rows(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x0x16xf32>, %vc: tensor<2x4x0x32xf32>, %pos: index) {
  // expected-error @+1 {{'rat.window_attention_step' op key_cache dim 2 (rows) must be >= 1: the step writes the new key into a row}}
  %0:3 = rat.window_attention_step window = 0 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x0x16xf32>, tensor<2x4x0x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x0x16xf32>, tensor<2x4x0x32xf32>
  return
}
