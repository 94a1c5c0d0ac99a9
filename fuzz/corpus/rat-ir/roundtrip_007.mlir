func.func @window_attention(%q: tensor<1x16x?x128xbf16>, %k: tensor<1x16x?x128xbf16>, %v: tensor<1x16x?x128xbf16>, %init: tensor<1x16x?x128xbf16>,
                            %q2: memref<1x2x8x32xf32>, %k2: memref<1x1x8x32xf32>, %v2: memref<1x2x8x32xf32>, %o2: memref<1x2x8x32xf32>) -> tensor<1x16x?x128xbf16> {
  %0 = rat.window_attention window = 1024 ins(%q, %k, %v : tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>) outs(%init : tensor<1x16x?x128xbf16>) -> tensor<1x16x?x128xbf16>
  rat.window_attention window = 0 scale = 0.2 ins(%q2, %k2, %v2 : memref<1x2x8x32xf32>, memref<1x1x8x32xf32>, memref<1x2x8x32xf32>) outs(%o2 : memref<1x2x8x32xf32>)
  return %0 : tensor<1x16x?x128xbf16>
}
