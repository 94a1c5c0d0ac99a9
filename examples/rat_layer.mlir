// The sequence-mixing part of a RAT layer (spec section 4) on a small
// static shape: chunk scan of values and keys under one gate, rotary
// encoding at the chunk index, and attention over chunk-final states.
//
//   rat-opt examples/rat_layer.mlir --rat-graph-to-tiled   # tiled level
//   rat-opt examples/rat_layer.mlir --rat-to-cpu           # LLVM dialect
func.func @rat_mixer(%gate: tensor<2x64x256xf32>, %v: tensor<2x64x256xf32>,
                     %k: tensor<2x64x256xf32>, %q: tensor<2x2x64x64xf32>)
    -> tensor<2x4x64x64xf32> {
  %e = tensor.empty() : tensor<2x64x256xf32>
  %vs = rat.chunk_scan chunk_size = 16
          ins(%gate, %v : tensor<2x64x256xf32>, tensor<2x64x256xf32>)
          outs(%e : tensor<2x64x256xf32>) -> tensor<2x64x256xf32>
  %ks = rat.chunk_scan chunk_size = 16
          ins(%gate, %k : tensor<2x64x256xf32>, tensor<2x64x256xf32>)
          outs(%e : tensor<2x64x256xf32>) -> tensor<2x64x256xf32>
  %vh = tensor.expand_shape %vs [[0], [1], [2, 3]] output_shape [2, 64, 4, 64]
          : tensor<2x64x256xf32> into tensor<2x64x4x64xf32>
  %kh = tensor.expand_shape %ks [[0], [1], [2, 3]] output_shape [2, 64, 4, 64]
          : tensor<2x64x256xf32> into tensor<2x64x4x64xf32>
  %et = tensor.empty() : tensor<2x4x64x64xf32>
  %vt = linalg.transpose ins(%vh : tensor<2x64x4x64xf32>)
          outs(%et : tensor<2x4x64x64xf32>) permutation = [0, 2, 1, 3]
  %kt = linalg.transpose ins(%kh : tensor<2x64x4x64xf32>)
          outs(%et : tensor<2x4x64x64xf32>) permutation = [0, 2, 1, 3]
  %kr = rat.rope chunk_size = 16 base = 10000.0 ins(%kt : tensor<2x4x64x64xf32>)
          outs(%et : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
  %eq = tensor.empty() : tensor<2x2x64x64xf32>
  %qr = rat.rope chunk_size = 16 base = 10000.0 ins(%q : tensor<2x2x64x64xf32>)
          outs(%eq : tensor<2x2x64x64xf32>) -> tensor<2x2x64x64xf32>
  %o = rat.chunk_attention chunk_size = 16
         ins(%qr, %kr, %vt : tensor<2x2x64x64xf32>, tensor<2x4x64x64xf32>,
                             tensor<2x4x64x64xf32>)
         outs(%et : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
  return %o : tensor<2x4x64x64xf32>
}
