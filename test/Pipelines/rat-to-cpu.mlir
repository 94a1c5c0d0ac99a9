// RUN: split-file %s %t
// RUN: rat-opt %t/layer.mlir -rat-to-cpu | FileCheck %s --check-prefix=CPU
// RUN: rat-opt %t/layer.mlir -rat-to-cpu | FileCheck %s --check-prefix=CPU-NONE
// RUN: rat-opt %t/layer.mlir -rat-to-cpu="tile=false" | FileCheck %s --check-prefix=CPU-NONE
// RUN: rat-opt %t/graph.mlir -rat-graph-to-tiled | FileCheck %s --check-prefix=TILED
// RUN: rat-opt %t/graph.mlir -rat-graph-to-tiled="tile=false" | FileCheck %s --check-prefix=UNTILED
// RUN: rat-opt %t/tiled.mlir -rat-tiled-to-loops | FileCheck %s --check-prefix=LOOPS
// RUN: rat-opt %t/loops.mlir -rat-loops-to-llvm | FileCheck %s --check-prefix=LLVM

//===----------------------------------------------------------------------===//
// rat-to-cpu: a RAT layer (norm, scan, rope, chunk attention, window
// attention) becomes LLVM dialect functions with a C interface.
//===----------------------------------------------------------------------===//

// CPU-DAG:     llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CPU-DAG:     llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CPU-LABEL:   llvm.func @layer(
// CPU-SAME:      attributes {llvm.emit_c_interface}
// CPU:           llvm.call @norm_helper(
// CPU:           llvm.call @_mlir_memref_to_llvm_alloc
// CPU:           llvm.intr.cos
// CPU:           llvm.intr.sin
// CPU:           llvm.intr.exp
// CPU:           llvm.return %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// CPU-LABEL:   llvm.func @_mlir_ciface_layer(
// CPU-SAME:      %{{[a-zA-Z0-9_]+}}: !llvm.ptr, %{{[a-zA-Z0-9_]+}}: !llvm.ptr, %{{[a-zA-Z0-9_]+}}: !llvm.ptr, %{{[a-zA-Z0-9_]+}}: !llvm.ptr, %{{[a-zA-Z0-9_]+}}: !llvm.ptr)
// CPU:           llvm.call @layer(
// CPU:           llvm.store %{{.+}}, %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>, !llvm.ptr
// CPU-LABEL:   llvm.func @norm_helper(
// CPU-NOT:       llvm.emit_c_interface
// CPU:           llvm.intr.sqrt
// CPU-NOT:     @_mlir_ciface_norm_helper

// Nothing but the LLVM dialect is left, tiled or not.
// CPU-NONE-NOT: {{ (rat|linalg|scf|tensor|memref|bufferization|affine|arith|math|cf|func)\.}}
// CPU-NONE:     llvm.func @_mlir_ciface_layer(
// CPU-NONE-NOT: {{ (rat|linalg|scf|tensor|memref|bufferization|affine|arith|math|cf|func)\.}}

//--- layer.mlir
func.func @layer(%x: tensor<1x2x16x16xf32>, %gl: tensor<1x2x16x16xf32>, %w: tensor<16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %e0 = tensor.empty() : tensor<1x2x16x16xf32>
  %n = call @norm_helper(%x, %w) : (tensor<1x2x16x16xf32>, tensor<16xf32>) -> tensor<1x2x16x16xf32>
  %e1 = tensor.empty() : tensor<1x2x16x16xf32>
  %h = rat.chunk_scan chunk_size = 4 ins(%gl, %n : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) outs(%e1 : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %e2 = tensor.empty() : tensor<1x2x16x16xf32>
  %q = rat.rope chunk_size = 4 base = 10000.0 ins(%n : tensor<1x2x16x16xf32>) outs(%e2 : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %e3 = tensor.empty() : tensor<1x2x16x16xf32>
  %k = rat.rope chunk_size = 4 base = 10000.0 ins(%h : tensor<1x2x16x16xf32>) outs(%e3 : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %e4 = tensor.empty() : tensor<1x2x16x16xf32>
  %o = rat.chunk_attention chunk_size = 4 ins(%q, %k, %h : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) outs(%e4 : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %e5 = tensor.empty() : tensor<1x2x16x16xf32>
  %s = rat.window_attention window = 4 ins(%o, %o, %v : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) outs(%e5 : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  return %s : tensor<1x2x16x16xf32>
}

func.func private @norm_helper(%x: tensor<1x2x16x16xf32>, %w: tensor<16xf32>) -> tensor<1x2x16x16xf32> {
  %e = tensor.empty() : tensor<1x2x16x16xf32>
  %n = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<1x2x16x16xf32>, tensor<16xf32>) outs(%e : tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  return %n : tensor<1x2x16x16xf32>
}

//===----------------------------------------------------------------------===//
// rat-graph-to-tiled: canonicalization (the chunk of 64 is clamped to T = 32),
// elementwise fusion, then tile-and-fuse with the default tile sizes: the
// gate sigmoid and the scan are fused into the norm's loop over the batch.
//===----------------------------------------------------------------------===//

// TILED-LABEL: func.func @gated_scan_norm(
// TILED-SAME:    %[[GL:[a-zA-Z0-9_]+]]: tensor<2x32x16xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<2x32x16xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// TILED-NOT:     rat.
// TILED:         %[[R:.+]] = scf.forall (%[[B:[a-zA-Z0-9_]+]]) in (2) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<2x32x16xf32>)
// TILED:           %[[GLS:.+]] = tensor.extract_slice %[[GL]][%[[B]], 0, 0] [1, 32, 16] [1, 1, 1]
// TILED:           %[[GATE:.+]] = linalg.generic {{.+}} ins(%[[GLS]] : tensor<1x32x16xf32>)
// TILED:             math.exp
// TILED:           %[[XS:.+]] = tensor.extract_slice %[[X]][%[[B]], 0, 0] [1, 32, 16] [1, 1, 1]
// TILED:           %[[H:.+]] = rat.chunk_scan chunk_size = 32 ins(%[[GATE]], %[[XS]] : tensor<1x32x16xf32>, tensor<1x32x16xf32>)
// TILED:           %[[OS:.+]] = tensor.extract_slice %[[OUT]][%[[B]], 0, 0] [1, 32, 16] [1, 1, 1]
// TILED:           %[[Y:.+]] = rat.rms_norm epsilon = 1.000000e-05 ins(%[[H]], %[[W]] : tensor<1x32x16xf32>, tensor<16xf32>) outs(%[[OS]] : tensor<1x32x16xf32>)
// TILED:           scf.forall.in_parallel
// TILED-NEXT:        tensor.parallel_insert_slice %[[Y]] into %[[OUT]][%[[B]], 0, 0] [1, 32, 16]
// TILED-NOT:     rat.
// TILED:         return %[[R]]

// tile=false: canonicalized and fused only.
// UNTILED-LABEL: func.func @gated_scan_norm(
// UNTILED-NOT:     scf.forall
// UNTILED:         %[[GATE:.+]] = linalg.generic
// UNTILED:         %[[H:.+]] = rat.chunk_scan chunk_size = 32 ins(%[[GATE]], %{{.+}} : tensor<2x32x16xf32>, tensor<2x32x16xf32>)
// UNTILED:         %[[Y:.+]] = rat.rms_norm {{.+}} ins(%[[H]], %{{.+}} : tensor<2x32x16xf32>, tensor<16xf32>)
// UNTILED:         return %[[Y]]

//--- graph.mlir
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @gated_scan_norm(%gl: tensor<2x32x16xf32>, %x: tensor<2x32x16xf32>, %w: tensor<16xf32>) -> tensor<2x32x16xf32> {
  %e = tensor.empty() : tensor<2x32x16xf32>
  %g = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%gl : tensor<2x32x16xf32>) outs(%e : tensor<2x32x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %one, %ex : f32
    %s = arith.divf %one, %d : f32
    linalg.yield %s : f32
  } -> tensor<2x32x16xf32>
  %i0 = tensor.empty() : tensor<2x32x16xf32>
  %h = rat.chunk_scan chunk_size = 64 ins(%g, %x : tensor<2x32x16xf32>, tensor<2x32x16xf32>) outs(%i0 : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  %i1 = tensor.empty() : tensor<2x32x16xf32>
  %y = rat.rms_norm epsilon = 1.0e-05 ins(%h, %w : tensor<2x32x16xf32>, tensor<16xf32>) outs(%i1 : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  return %y : tensor<2x32x16xf32>
}

//===----------------------------------------------------------------------===//
// rat-tiled-to-loops: a tile loop on tensors is bufferized (function
// boundaries included, results are fresh allocations) and the rat op inside
// becomes scalar loops on a subview.
//===----------------------------------------------------------------------===//

// LOOPS-LABEL: func.func @tiled_norm(
// LOOPS-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<2x8x16xf32>, %[[W:[a-zA-Z0-9_]+]]: memref<16xf32>) -> memref<2x8x16xf32>
// LOOPS-NOT:     tensor.
// LOOPS-NOT:     rat.
// LOOPS:         %[[ALLOC:.+]] = memref.alloc() {{.*}}: memref<2x8x16xf32>
// LOOPS:         scf.forall (%[[B:[a-zA-Z0-9_]+]]) in (2) {
// LOOPS-DAG:       %[[XS:.+]] = memref.subview %[[X]][%[[B]], 0, 0] [1, 8, 16] [1, 1, 1]
// LOOPS-DAG:       %[[OS:.+]] = memref.subview %[[ALLOC]][%[[B]], 0, 0] [1, 8, 16] [1, 1, 1]
// LOOPS:           scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// LOOPS:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// LOOPS:               memref.load %[[XS]]
// LOOPS:             math.rsqrt
// LOOPS:             scf.for
// LOOPS:               memref.load %[[W]]
// LOOPS:               memref.store %{{.+}}, %[[OS]]
// LOOPS-NOT:     tensor.
// LOOPS-NOT:     rat.
// LOOPS:         return %[[ALLOC]] : memref<2x8x16xf32>

//--- tiled.mlir
func.func @tiled_norm(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %e = tensor.empty() : tensor<2x8x16xf32>
  %r = scf.forall (%b) in (2) shared_outs(%out = %e) -> (tensor<2x8x16xf32>) {
    %xs = tensor.extract_slice %x[%b, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<2x8x16xf32> to tensor<1x8x16xf32>
    %os = tensor.extract_slice %out[%b, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<2x8x16xf32> to tensor<1x8x16xf32>
    %y = rat.rms_norm epsilon = 1.0e-05 ins(%xs, %w : tensor<1x8x16xf32>, tensor<16xf32>) outs(%os : tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %out[%b, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<1x8x16xf32> into tensor<2x8x16xf32>
    }
  }
  return %r : tensor<2x8x16xf32>
}

//===----------------------------------------------------------------------===//
// rat-loops-to-llvm: loops on buffers (scf.forall included) to the LLVM
// dialect; public functions get a _mlir_ciface_ wrapper, private ones do not;
// bf16 is converted with integer code.
//===----------------------------------------------------------------------===//

// LLVM-NOT:     {{ (scf|memref|arith|math|cf|func)\.}}
// LLVM-LABEL:   llvm.func @exp_rows(
// LLVM-SAME:      attributes {llvm.emit_c_interface}
// LLVM:           llvm.cond_br
// LLVM:           %[[IN:.+]] = llvm.load %{{.+}} : !llvm.ptr -> bf16
// LLVM:           llvm.bitcast %[[IN]] : bf16 to i16
// LLVM:           %[[E:.+]] = llvm.intr.exp(%{{.+}}) : (f32) -> f32
// LLVM:           llvm.store %{{.+}}, %{{.+}} : bf16, !llvm.ptr
// LLVM:           llvm.br
// LLVM-LABEL:   llvm.func @_mlir_ciface_exp_rows(
// LLVM-SAME:      %{{[a-zA-Z0-9_]+}}: !llvm.ptr, %{{[a-zA-Z0-9_]+}}: !llvm.ptr)
// LLVM:           llvm.call @exp_rows(
// LLVM-LABEL:   llvm.func @helper(
// LLVM-NOT:       llvm.emit_c_interface
// LLVM-NOT:     _mlir_ciface_helper
// LLVM-NOT:     {{ (scf|memref|arith|math|cf|func)\.}}

//--- loops.mlir
func.func @exp_rows(%x: memref<4x8xbf16>, %out: memref<4x8xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.forall (%i) in (4) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<4x8xbf16>
      %f = arith.extf %v : bf16 to f32
      %e = math.exp %f : f32
      %t = arith.truncf %e : f32 to bf16
      memref.store %t, %out[%i, %j] : memref<4x8xbf16>
    }
  }
  return
}

func.func private @helper(%x: memref<4x8xbf16>) {
  return
}
