// RUN: rat-opt %s --rat-select-kernels --rat-tile-and-fuse="attention-tile-sizes=1,1,1 norm-tile-sizes=1,1" | FileCheck %s --check-prefix=KEEP
// RUN: rat-opt %s --rat-tile-and-fuse="attention-tile-sizes=1,1,1 norm-tile-sizes=1,1" | FileCheck %s --check-prefix=TILE
// RUN: rat-opt %s --rat-select-kernels=tensor-cores=false --rat-tile-and-fuse="attention-tile-sizes=1,1,1 norm-tile-sizes=1,1" | FileCheck %s --check-prefix=TILE

// rat-tile-and-fuse leaves whole the ops whose rat.kernel decision names a
// dedicated kernel (bf16 chunk attention with head size 64, rms_norm with a
// static row) and still tiles the others (f32 attention with head size 40:
// no decision). Without decisions (or with tensor-cores=false) everything
// is tiled.
// KEEP-LABEL: func.func @ops
// KEEP:         rat.rms_norm {{.*}} {rat.kernel = #rat.kernel<family = row>} -> tensor<2x8x64xbf16>
// KEEP:         rat.chunk_attention {{.*}} {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>} -> tensor<1x2x8x64xbf16>
// KEEP:         scf.forall
// KEEP:           rat.chunk_attention {{.*}} -> tensor<1x1x1x40xf32>
// TILE-LABEL: func.func @ops
// TILE-COUNT-3: scf.forall
func.func @ops(%x: tensor<2x8x64xbf16>, %w: tensor<64xbf16>, %n: tensor<2x8x64xbf16>,
               %q: tensor<1x2x8x64xbf16>, %o: tensor<1x2x8x64xbf16>,
               %qf: tensor<1x2x8x40xf32>, %of: tensor<1x2x8x40xf32>)
    -> (tensor<2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x40xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<2x8x64xbf16>, tensor<64xbf16>) outs(%n : tensor<2x8x64xbf16>) -> tensor<2x8x64xbf16>
  %1 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>) outs(%o : tensor<1x2x8x64xbf16>) -> tensor<1x2x8x64xbf16>
  %2 = rat.chunk_attention chunk_size = 4 ins(%qf, %qf, %qf : tensor<1x2x8x40xf32>, tensor<1x2x8x40xf32>, tensor<1x2x8x40xf32>) outs(%of : tensor<1x2x8x40xf32>) -> tensor<1x2x8x40xf32>
  return %0, %1, %2 : tensor<2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x40xf32>
}
