// RUN: rat-opt %s --rat-select-kernels --rat-matmul-to-mma -cse -split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A pre-norm projection of a decode step: the normalised rows are read only
// by the matmul (the next op that touches their buffer overwrites it), so
// the gemv kernels apply the norm themselves: they read the norm's input
// and weight, sum x^2 beside x * g * w (one more value per row through the
// shuffles and shared memory: [8 warps, 4 + 1]) and scale by rsqrt(mean +
// eps). The tensor-core variants (M > 1) run the norm first, in their
// branch; nothing runs it before the dispatch.
// CHECK-LABEL: func.func @fused
// CHECK-SAME:    (%[[X:.+]]: memref<?x1x2048xbf16>, %[[G:.+]]: memref<2048xbf16>, %[[W:.+]]: memref<6656x2048xbf16>,
// CHECK:         %[[N:.+]] = memref.alloc
// CHECK-NOT:     rat.rms_norm
// CHECK:         %[[XR:.+]] = memref.collapse_shape %[[X]]
// CHECK:         scf.if
// CHECK:           scf.if
// CHECK-NEXT:        rat.rms_norm epsilon = {{.+}} ins(%[[X]], %[[G]] : {{.+}}) outs(%[[N]] :
// CHECK:             nvvm.wgmma.mma_async
// CHECK:           } else {
// CHECK:             gpu.launch {{.+}} workgroup(%[[P:.+]] : memref<8x5xf32, #gpu.address_space<workgroup>>)
// CHECK:               %[[XV:.+]] = vector.load %[[XR]][%c0, %[[COL:.+]]] {alignment = 16 : i64} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK-NEXT:          %[[GV:.+]] = vector.load %[[G]][%[[COL]]] {alignment = 16 : i64}
// CHECK:               %[[XF:.+]] = arith.extf %[[XV]]
// CHECK-NEXT:          %[[X0:.+]] = vector.extract %[[XF]][0]
// CHECK:               %[[GF:.+]] = arith.extf %[[GV]]
// CHECK-NEXT:          %[[G0:.+]] = vector.extract %[[GF]][0]
// CHECK:               %[[SQ:.+]] = arith.mulf %[[X0]], %[[X0]] fastmath<contract>
// CHECK-NEXT:          arith.addf %{{.+}}, %[[SQ]] fastmath<contract>
// CHECK-NEXT:          arith.mulf %[[X0]], %[[G0]] : f32
// CHECK-COUNT-25:      gpu.shuffle  xor
// CHECK:               scf.if
// CHECK-COUNT-5:         memref.store %{{.+}}, %[[P]]
// CHECK:               gpu.barrier
// CHECK:               scf.if
// CHECK-COUNT-8:         memref.load %[[P]]
// CHECK:                 %[[ROWSQ:.+]] = arith.addi %{{.+}}, %c4 : index
// CHECK:                 memref.load %[[P]][%c0, %[[ROWSQ]]]
// CHECK:                 %[[K:.+]] = arith.constant 2.048000e+03 : f32
// CHECK-NEXT:            %[[MEAN:.+]] = arith.divf %{{.+}}, %[[K]] : f32
// CHECK-NEXT:            %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK-NEXT:            %[[ADD:.+]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK-NEXT:            %[[INV:.+]] = math.rsqrt %[[ADD]] : f32
// CHECK-NEXT:            arith.mulf %{{.+}}, %[[INV]] : f32
// CHECK-NOT:     rat.rms_norm
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%[[N]] :
func.func @fused(%x: memref<?x1x2048xbf16>, %g: memref<2048xbf16>, %w: memref<6656x2048xbf16>, %b: memref<2048xbf16>) -> memref<?x1x6656xbf16> {
  %c0 = arith.constant 0 : index
  %d = memref.dim %x, %c0 : memref<?x1x2048xbf16>
  %n = memref.alloc(%d) : memref<?x1x2048xbf16>
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %g : memref<?x1x2048xbf16>, memref<2048xbf16>) outs(%n : memref<?x1x2048xbf16>)
  %y = memref.alloc(%d) : memref<?x1x6656xbf16>
  rat.matmul ins(%n, %w : memref<?x1x2048xbf16>, memref<6656x2048xbf16>) outs(%y : memref<?x1x6656xbf16>)
  %v = memref.subview %y[0, 0, 0] [%d, 1, 2048] [1, 1, 1] : memref<?x1x6656xbf16> to memref<?x1x2048xbf16, strided<[6656, 6656, 1]>>
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1, d2) -> (d2)>, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v, %b : memref<?x1x2048xbf16, strided<[6656, 6656, 1]>>, memref<2048xbf16>) outs(%n : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %c: bf16, %o: bf16):
    %s = arith.addf %a, %c : bf16
    linalg.yield %s : bf16
  }
  memref.dealloc %n : memref<?x1x2048xbf16>
  return %y : memref<?x1x6656xbf16>
}

// -----

// The normalised rows are read again after the matmul (through a view):
// the norm stays a kernel of its own, before the dispatch.
// CHECK-LABEL: func.func @read_later
// CHECK:         rat.rms_norm
// CHECK-NEXT:    %[[Y:.+]] = memref.alloc
// CHECK:         gpu.launch {{.+}} workgroup(%{{.+}} : memref<8x4xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:       math.rsqrt
// CHECK:         memref.collapse_shape
func.func @read_later(%x: memref<?x1x2048xbf16>, %g: memref<2048xbf16>, %w: memref<6656x2048xbf16>, %o: memref<?x2048xbf16>) -> memref<?x1x6656xbf16> {
  %c0 = arith.constant 0 : index
  %d = memref.dim %x, %c0 : memref<?x1x2048xbf16>
  %n = memref.alloc(%d) : memref<?x1x2048xbf16>
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %g : memref<?x1x2048xbf16>, memref<2048xbf16>) outs(%n : memref<?x1x2048xbf16>)
  %y = memref.alloc(%d) : memref<?x1x6656xbf16>
  rat.matmul ins(%n, %w : memref<?x1x2048xbf16>, memref<6656x2048xbf16>) outs(%y : memref<?x1x6656xbf16>)
  %c = memref.collapse_shape %n [[0], [1, 2]] : memref<?x1x2048xbf16> into memref<?x2048xbf16>
  memref.copy %c, %o : memref<?x2048xbf16> to memref<?x2048xbf16>
  return %y : memref<?x1x6656xbf16>
}

// -----

// f32 rows (no gemv kernel, no kernel at all): nothing changes.
// CHECK-LABEL: func.func @f32
// CHECK:         rat.rms_norm
// CHECK-NEXT:    rat.matmul
func.func @f32(%x: memref<?x64xf32>, %g: memref<64xf32>, %w: memref<96x64xf32>, %n: memref<?x64xf32>, %y: memref<?x96xf32>) {
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %g : memref<?x64xf32>, memref<64xf32>) outs(%n : memref<?x64xf32>)
  rat.matmul ins(%n, %w : memref<?x64xf32>, memref<96x64xf32>) outs(%y : memref<?x96xf32>)
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// The output gate before out_proj: sigmoid(z) * o, z a strided column block
// of the input projection, read only by the matmul. The gemv kernel loads z
// and o instead of x and applies the generic's body per element (rounded to
// bf16 as the generic stores it); the tensor-core variants run the generic
// first, in their branch.
// CHECK-LABEL: func.func @producer
// CHECK-SAME:    (%[[P:[^:]+]]: memref<?x1x6656xbf16>, %[[O:[^:]+]]: memref<?x1x2048xbf16>
// CHECK:         %[[Z:.+]] = memref.subview %[[P]]
// CHECK-NOT:     linalg.generic
// CHECK:         %[[ZR:.+]] = memref.collapse_shape %[[Z]]
// CHECK:         %[[OR:.+]] = memref.collapse_shape %[[O]]
// CHECK:         scf.if
// CHECK:           scf.if
// CHECK-NEXT:        linalg.generic
// CHECK:             nvvm.wgmma.mma_async
// CHECK:           } else {
// CHECK:             gpu.launch
// CHECK:               vector.load %[[ZR]][%c0, %[[COL:.+]]] {alignment = 16 : i64} : memref<?x2048xbf16, strided<[6656, 1]>>, vector<8xbf16>
// CHECK-NEXT:          vector.load %[[OR]][%c0, %[[COL]]] {alignment = 16 : i64} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK:               math.exp
// CHECK:               arith.truncf %{{.+}} : f32 to bf16
// CHECK:               gpu.shuffle  xor
// CHECK-NOT:     linalg.generic
func.func @producer(%p: memref<?x1x6656xbf16>, %o: memref<?x1x2048xbf16>, %w: memref<2048x2048xbf16>, %y: memref<?x1x2048xbf16>, %g: memref<2048xbf16>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %p, %c0 : memref<?x1x6656xbf16>
  %z = memref.subview %p[0, 0, 0] [%d, 1, 2048] [1, 1, 1] : memref<?x1x6656xbf16> to memref<?x1x2048xbf16, strided<[6656, 6656, 1]>>
  %x = memref.alloc(%d) : memref<?x1x2048xbf16>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%z, %o : memref<?x1x2048xbf16, strided<[6656, 6656, 1]>>, memref<?x1x2048xbf16>) outs(%x : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %out: bf16):
    %one = arith.constant 1.0 : f32
    %af = arith.extf %a : bf16 to f32
    %n = arith.negf %af : f32
    %e = math.exp %n : f32
    %s = arith.addf %e, %one : f32
    %r = arith.divf %one, %s : f32
    %rb = arith.truncf %r : f32 to bf16
    %rf = arith.extf %rb : bf16 to f32
    %bf = arith.extf %b : bf16 to f32
    %m = arith.mulf %rf, %bf : f32
    %mb = arith.truncf %m : f32 to bf16
    linalg.yield %mb : bf16
  }
  rat.matmul ins(%x, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x1x2048xbf16>)
  rat.rms_norm epsilon = 1.0e-06 ins(%y, %g : memref<?x1x2048xbf16>, memref<2048xbf16>) outs(%x : memref<?x1x2048xbf16>)
  memref.dealloc %x : memref<?x1x2048xbf16>
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not fused: the gated rows are read again after the matmul.
// CHECK-LABEL: func.func @producer_read_later
// CHECK:         linalg.generic
// CHECK:         gpu.launch
// CHECK-NOT:       math.exp
// CHECK:         linalg.copy
func.func @producer_read_later(%z: memref<?x1x2048xbf16>, %w: memref<2048x2048xbf16>, %y: memref<?x1x2048xbf16>, %sink: memref<?x1x2048xbf16>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %z, %c0 : memref<?x1x2048xbf16>
  %x = memref.alloc(%d) : memref<?x1x2048xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%z : memref<?x1x2048xbf16>) outs(%x : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %out: bf16):
    %af = arith.extf %a : bf16 to f32
    %e = math.exp %af : f32
    %eb = arith.truncf %e : f32 to bf16
    linalg.yield %eb : bf16
  }
  rat.matmul ins(%x, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x1x2048xbf16>)
  linalg.copy ins(%x : memref<?x1x2048xbf16>) outs(%sink : memref<?x1x2048xbf16>)
  memref.dealloc %x : memref<?x1x2048xbf16>
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not fused: the epilogue consumer writes the result over the norm's input
// (a residual add in place), which every gemv block reads whole for the
// norm's statistics while others store. The norm stays a kernel of its own
// before the dispatch.
// CHECK-LABEL: func.func @norm_result_over_input
// CHECK:         rat.rms_norm
// CHECK:         gpu.launch {{.+}} workgroup(%{{.+}} : memref<8x4xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:       math.rsqrt
// CHECK:         return
func.func @norm_result_over_input(%x: memref<?x1x2048xbf16>, %g: memref<2048xbf16>, %w: memref<2048x2048xbf16>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %x, %c0 : memref<?x1x2048xbf16>
  %n = memref.alloc(%d) : memref<?x1x2048xbf16>
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %g : memref<?x1x2048xbf16>, memref<2048xbf16>) outs(%n : memref<?x1x2048xbf16>)
  %y = memref.alloc(%d) : memref<?x1x2048xbf16>
  rat.matmul ins(%n, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x1x2048xbf16>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y : memref<?x1x2048xbf16>) outs(%x : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %out: bf16):
    %s = arith.addf %a, %a : bf16
    linalg.yield %s : bf16
  }
  memref.dealloc %y : memref<?x1x2048xbf16>
  memref.dealloc %n : memref<?x1x2048xbf16>
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not fused: the product is written over one of the producer's inputs.
// CHECK-LABEL: func.func @producer_result_over_input
// CHECK:         linalg.generic
// CHECK:         gpu.launch
// CHECK-NOT:       math.exp
// CHECK:         return
func.func @producer_result_over_input(%z: memref<?x1x2048xbf16>, %w: memref<2048x2048xbf16>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %z, %c0 : memref<?x1x2048xbf16>
  %x = memref.alloc(%d) : memref<?x1x2048xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%z : memref<?x1x2048xbf16>) outs(%x : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %out: bf16):
    %af = arith.extf %a : bf16 to f32
    %e = math.exp %af : f32
    %eb = arith.truncf %e : f32 to bf16
    linalg.yield %eb : bf16
  }
  rat.matmul ins(%x, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%z : memref<?x1x2048xbf16>)
  memref.dealloc %x : memref<?x1x2048xbf16>
  return
}
