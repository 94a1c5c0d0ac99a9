// RUN: rat-opt %s --rat-select-kernels --rat-matmul-to-mma -split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias = affine_map<(d0, d1, d2) -> (d2)>

// The residual add after an output projection (in place, as bufferization
// leaves it) is applied by every variant's epilogue: the product rounded to
// bf16, the residual loaded at the same index, the sum stored; the separate
// elementwise loop is gone.
// CHECK-LABEL: func.func @residual
// CHECK-NOT:     linalg.generic
// The 64x64 split-K variant: the f32 partials summed, then the epilogue.
// CHECK:         gpu.launch
// CHECK:           nvvm.mma.sync
// CHECK:         gpu.launch
// CHECK:           vector.load %{{.+}} : memref<?x?x2048xf32>, vector<4xf32>
// CHECK-COUNT-4:   memref.load %[[X:.+]][%{{.+}}, %{{.+}}] : memref<?x2048xbf16>
// CHECK:           arith.truncf %{{.+}} : vector<4xf32> to vector<4xbf16>
// The wgmma variant: the epilogue between the staging tile and the store.
// The residual of each of the warp's 16 rows (128 rows / 8 warps) is loaded
// first, 8 columns per vector load, then each row is computed and stored.
// CHECK:         gpu.launch
// CHECK:           nvvm.wgmma.mma_async
// CHECK-COUNT-16:  vector.load %{{.+}} {alignment = 16 : i64} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK-NOT:       memref.load
// CHECK:           vector.load %{{.+}} : memref<128x264xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:           arith.truncf %{{.+}} : f32 to bf16
// CHECK:           vector.extract %{{.+}}[0] : bf16 from vector<8xbf16>
// CHECK:           arith.addf %{{.+}}, %{{.+}} : f32
// CHECK:           vector.store %{{.+}} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK-NOT:     linalg.generic
func.func @residual(%x: memref<?x?x2048xbf16>, %h: memref<?x?x2048xbf16>, %w: memref<2048x2048xbf16>, %y: memref<?x?x2048xbf16>) {
  rat.matmul ins(%h, %w : memref<?x?x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x?x2048xbf16>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %y : memref<?x?x2048xbf16>, memref<?x?x2048xbf16>) outs(%y : memref<?x?x2048xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %ae = arith.extf %a : bf16 to f32
    %be = arith.extf %b : bf16 to f32
    %s = arith.addf %ae, %be : f32
    %t = arith.truncf %s : f32 to bf16
    linalg.yield %t : bf16
  }
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias = affine_map<(d0, d1, d2) -> (d2)>

// A bias and GELU into another buffer: the bias is loaded by column, the
// kernel stores into the consumer's output, and the product's own buffer,
// read by nothing else, is not allocated any more.
// CHECK-LABEL: func.func @bias_gelu
// CHECK-NOT:     memref.alloc
// CHECK:         gpu.launch
// CHECK:           nvvm.wgmma.mma_async
// CHECK:           vector.load %{{.+}}[%{{.+}}] {alignment = 16 : i64} : memref<8192xbf16>, vector<8xbf16>
// CHECK:           math.erf
// CHECK:           vector.store %{{.+}} : memref<?x8192xbf16>, vector<8xbf16>
// CHECK-NOT:     linalg.generic
func.func @bias_gelu(%h: memref<?x?x2048xbf16>, %w: memref<8192x2048xbf16>, %bias: memref<8192xbf16>, %z: memref<?x?x8192xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.dim %h, %c0 : memref<?x?x2048xbf16>
  %t = memref.dim %h, %c1 : memref<?x?x2048xbf16>
  %y = memref.alloc(%b, %t) : memref<?x?x8192xbf16>
  rat.matmul ins(%h, %w : memref<?x?x2048xbf16>, memref<8192x2048xbf16>) outs(%y : memref<?x?x8192xbf16>)
      {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8>}
  linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y, %bias : memref<?x?x8192xbf16>, memref<8192xbf16>) outs(%z : memref<?x?x8192xbf16>) {
  ^bb0(%a: bf16, %c: bf16, %o: bf16):
    %ae = arith.extf %a : bf16 to f32
    %ce = arith.extf %c : bf16 to f32
    %s = arith.addf %ae, %ce : f32
    %e = math.erf %s : f32
    %g = arith.mulf %s, %e : f32
    %r = arith.truncf %g : f32 to bf16
    linalg.yield %r : bf16
  }
  memref.dealloc %y : memref<?x?x8192xbf16>
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not fused: the product is read again after the consumer (it would never
// be written), and a consumer that reads its output's current value.
// CHECK-LABEL: func.func @product_read_later
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK-LABEL: func.func @reads_output
// CHECK:         linalg.generic
func.func @product_read_later(%h: memref<?x?x2048xbf16>, %w: memref<2048x2048xbf16>, %y: memref<?x?x2048xbf16>, %z: memref<?x?x2048xbf16>, %u: memref<?x?x2048xbf16>) {
  rat.matmul ins(%h, %w : memref<?x?x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x?x2048xbf16>)
      {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8>}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y : memref<?x?x2048xbf16>) outs(%z : memref<?x?x2048xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %n = arith.negf %a : bf16
    linalg.yield %n : bf16
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y : memref<?x?x2048xbf16>) outs(%u : memref<?x?x2048xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    linalg.yield %a : bf16
  }
  return
}
func.func @reads_output(%h: memref<?x?x2048xbf16>, %w: memref<2048x2048xbf16>, %y: memref<?x?x2048xbf16>, %z: memref<?x?x2048xbf16>) {
  rat.matmul ins(%h, %w : memref<?x?x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x?x2048xbf16>)
      {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8>}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y : memref<?x?x2048xbf16>) outs(%z : memref<?x?x2048xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %s = arith.addf %a, %o : bf16
    linalg.yield %s : bf16
  }
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Two FFN layers whose f32 fc1 products share one buffer (as bufferization
// leaves them) and whose GELU outputs are allocated between the matmul and
// the consumer: both fused, each kernel emitted where its consumer was, after
// the output's allocation.
// CHECK-LABEL: func.func @shared_product
// CHECK:         %[[Z0:.+]] = memref.alloc
// CHECK:         gpu.launch
// CHECK:           math.erf
// CHECK:         %[[Z1:.+]] = memref.alloc
// CHECK:         gpu.launch
// CHECK:           math.erf
// CHECK-NOT:     linalg.generic
func.func @shared_product(%h: memref<?x?x128xbf16>, %w0: memref<512x128xbf16>, %w1: memref<512x128xbf16>) -> (memref<?x?x512xbf16>, memref<?x?x512xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.dim %h, %c0 : memref<?x?x128xbf16>
  %t = memref.dim %h, %c1 : memref<?x?x128xbf16>
  %y = memref.alloc(%b, %t) : memref<?x?x512xf32>
  rat.matmul ins(%h, %w0 : memref<?x?x128xbf16>, memref<512x128xbf16>) outs(%y : memref<?x?x512xf32>)
      {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8>}
  %z0 = memref.alloc(%b, %t) : memref<?x?x512xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y : memref<?x?x512xf32>) outs(%z0 : memref<?x?x512xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %e = math.erf %a : f32
    %g = arith.mulf %a, %e : f32
    %r = arith.truncf %g : f32 to bf16
    linalg.yield %r : bf16
  }
  rat.matmul ins(%h, %w1 : memref<?x?x128xbf16>, memref<512x128xbf16>) outs(%y : memref<?x?x512xf32>)
      {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8>}
  %z1 = memref.alloc(%b, %t) : memref<?x?x512xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y : memref<?x?x512xf32>) outs(%z1 : memref<?x?x512xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %e = math.erf %a : f32
    %g = arith.mulf %a, %e : f32
    %r = arith.truncf %g : f32 to bf16
    linalg.yield %r : bf16
  }
  memref.dealloc %y : memref<?x?x512xf32>
  return %z0, %z1 : memref<?x?x512xbf16>, memref<?x?x512xbf16>
}
