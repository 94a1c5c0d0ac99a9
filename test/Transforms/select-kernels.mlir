// RUN: rat-opt %s --rat-select-kernels -split-input-file | FileCheck %s --check-prefix=SM90A
// RUN: rat-opt %s --rat-select-kernels=chip=sm_90 -split-input-file | FileCheck %s --check-prefix=SM90
// RUN: rat-opt %s --rat-select-kernels=chip=sm_80 -split-input-file | FileCheck %s --check-prefix=SM80
// RUN: rat-opt %s --rat-select-kernels=tensor-cores=false -split-input-file | FileCheck %s --check-prefix=NONE
// RUN: rat-opt %s --rat-select-kernels=chip=sm_80,sm_90a -split-input-file | FileCheck %s --check-prefix=LIST
// RUN: rat-opt %s --rat-select-kernels=chip=sm_90a,sm_80 -split-input-file | FileCheck %s --check-prefix=LIST
// RUN: rat-opt %s --rat-select-kernels=chip=sm_86,sm_89 -split-input-file | FileCheck %s --check-prefix=ADA
// RUN: rat-opt %s --rat-select-kernels -split-input-file | rat-opt -split-input-file | FileCheck %s --check-prefix=SM90A
// RUN: rat-opt %s --rat-select-kernels=step-split-states=0 -split-input-file | FileCheck %s --check-prefix=NOSPLIT
// RUN: rat-opt %s --rat-select-kernels=families=step -split-input-file | FileCheck %s --check-prefix=STEPONLY
// RUN: rat-opt --help | FileCheck %s --check-prefix=HELP

// The defaults of the large mma.sync tile, which the SM90, SM80 and LIST
// lines below show (GemmDefaults in SelectKernels.cpp; mma-stages: its
// default in Passes.td), are those the options' help states (and
// docs/RatPasses.md, generated from it).
// HELP: --rat-select-kernels
// HELP: --mma-tile-sizes={{.*}}(default 128, 256, 64)
// HELP: --mma-warps={{.*}}(default 2, 4)

// Per op, the kernel family and configuration, from the chip's target
// description: wgmma GEMMs on sm_90a (with mma.sync variants for few rows),
// mma.sync on sm_90/sm_80 with block thresholds from the chip's SM count
// (132, 108); row kernels for rms_norm; nothing for an f32 matmul (the
// generic path). The decision prints and parses back.
// SM90A-LABEL: func.func @layer
// SM90A:         rat.matmul {{.*}} {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8, min_blocks = 132>, #rat.kernel<family = mma_sync, tile = [128, 128, 64], warps = [2, 4], stages = 3, min_blocks = 132>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3, split_k = 32, blocks = 264>]}
// SM90A:         rat.matmul
// SM90A-NOT:       rat.kernel
// SM90A-SAME:      -> tensor<?x96xf32>
// SM90A:         rat.rms_norm {{.*}} {rat.kernel = #rat.kernel<family = row>}
// SM90-LABEL: func.func @layer
// SM90:         rat.matmul {{.*}} {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = mma_sync, tile = [128, 256, 64], warps = [2, 4], stages = 3, min_blocks = 264>, #rat.kernel<family = mma_sync, tile = [128, 128, 64], warps = [2, 4], stages = 3, min_blocks = 132>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3, split_k = 32, blocks = 264>]}
// SM80-LABEL: func.func @layer
// SM80:         rat.matmul {{.*}} {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = mma_sync, tile = [128, 256, 64], warps = [2, 4], stages = 3, min_blocks = 216>, #rat.kernel<family = mma_sync, tile = [128, 128, 64], warps = [2, 4], stages = 3, min_blocks = 108>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3, split_k = 32, blocks = 216>]}
// NONE-LABEL: func.func @layer
// NONE-NOT:     rat.kernel
// A chip list: kernels every chip runs (mma.sync, since sm_80 has no
// wgmma), with block thresholds for the largest SM count of the list
// (sm_90a: 132; sm_89: 142).
// LIST-LABEL: func.func @layer
// LIST:         rat.matmul {{.*}} {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = mma_sync, tile = [128, 256, 64], warps = [2, 4], stages = 3, min_blocks = 264>, #rat.kernel<family = mma_sync, tile = [128, 128, 64], warps = [2, 4], stages = 3, min_blocks = 132>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3, split_k = 32, blocks = 264>]}
// LIST:         rat.rms_norm {{.*}} {rat.kernel = #rat.kernel<family = row>}
// ADA-LABEL: func.func @layer
// (sm_86 and sm_89 have 99 KiB of shared memory per block: only the small
// tile fits.)
// ADA:         rat.matmul {{.*}} {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3, split_k = 32, blocks = 284>]}
func.func @layer(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>,
                 %xf: tensor<?x64xf32>, %wf: tensor<96x64xf32>, %ef: tensor<?x96xf32>,
                 %nw: tensor<2048xbf16>, %ne: tensor<?x2048xbf16>)
    -> (tensor<?x6656xbf16>, tensor<?x96xf32>, tensor<?x2048xbf16>) {
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>) -> tensor<?x6656xbf16>
  %1 = rat.matmul ins(%xf, %wf : tensor<?x64xf32>, tensor<96x64xf32>) outs(%ef : tensor<?x96xf32>) -> tensor<?x96xf32>
  %2 = rat.rms_norm epsilon = 1.0e-06 ins(%x, %nw : tensor<?x2048xbf16>, tensor<2048xbf16>) outs(%ne : tensor<?x2048xbf16>) -> tensor<?x2048xbf16>
  return %0, %1, %2 : tensor<?x6656xbf16>, tensor<?x96xf32>, tensor<?x2048xbf16>
}

// -----

// A decision written in the input is kept as it is (here: one mma.sync
// configuration for every row count), also with tensor-cores=false.
// SM90A-LABEL: func.func @override
// SM90A:         rat.matmul {{.*}} {rat.kernel = #rat.kernel<family = mma_sync, tile = [64, 128, 64], warps = [2, 2], stages = 2>}
// SM80-LABEL: func.func @override
// SM80:         rat.matmul {{.*}} {rat.kernel = #rat.kernel<family = mma_sync, tile = [64, 128, 64], warps = [2, 2], stages = 2>}
// NONE-LABEL: func.func @override
// NONE:         rat.matmul {{.*}} {rat.kernel = #rat.kernel<family = mma_sync, tile = [64, 128, 64], warps = [2, 2], stages = 2>}
func.func @override(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = #rat.kernel<family = mma_sync, tile = [64, 128, 64], warps = [2, 2], stages = 2>} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

// Attention: bf16 with head size 128 takes the tensor-core kernel (on
// sm_90a the wgmma one: 2 consumer warpgroups of 64 queries, 128 states per
// step, 2 stages; elsewhere mma.sync); decode steps the step kernel; ops
// inside a loop that becomes a kernel get none.
// SM90A-LABEL: func.func @attention
// SM90A:         rat.chunk_attention {{.*}} {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>}
// SM80-LABEL: func.func @attention
// SM80:         rat.chunk_attention {{.*}} {rat.kernel = #rat.kernel<family = attention_mma>}
// SM90-LABEL: func.func @attention
// SM90:         rat.chunk_attention {{.*}} {rat.kernel = #rat.kernel<family = attention_mma>}
// SM90A:         scf.forall
// SM90A-NOT:       rat.kernel
// SM90A:         return
func.func @attention(%q: tensor<?x2x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %o: tensor<?x16x?x128xbf16>,
                     %x: tensor<4x64xf32>, %w: tensor<64xf32>, %y: tensor<4x64xf32>) -> (tensor<?x16x?x128xbf16>, tensor<4x64xf32>) {
  %0 = rat.chunk_attention chunk_size = 16 ins(%q, %k, %k : tensor<?x2x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>) outs(%o : tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16>
  %1 = scf.forall (%i) in (1) shared_outs(%s = %y) -> (tensor<4x64xf32>) {
    %n = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<4x64xf32>, tensor<64xf32>) outs(%s : tensor<4x64xf32>) -> tensor<4x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %n into %s[0, 0] [4, 64] [1, 1] : tensor<4x64xf32> into tensor<4x64xf32>
    }
  }
  return %0, %1 : tensor<?x16x?x128xbf16>, tensor<4x64xf32>
}

// -----

// Decode attention steps: the step kernel, split over the cached states
// until about 4 blocks per SM run (132 SMs on sm_90a, 108 on sm_80), at
// most 64 splits of at least 16 states (step-split-states); 0 never
// splits. families=step chooses the step kernel alone (the host
// emulation), leaving the rms_norm to the generic path.
// SM90A-LABEL: func.func @decode_step
// SM90A:         rat.rms_norm {{.*}} {rat.kernel = #rat.kernel<family = row>}
// SM90A:         rat.chunk_attention_step {{.*}} {rat.kernel = #rat.kernel<family = step, tile = [16], split_k = 64, blocks = 528>}
// SM80-LABEL: func.func @decode_step
// SM80:         rat.chunk_attention_step {{.*}} {rat.kernel = #rat.kernel<family = step, tile = [16], split_k = 64, blocks = 432>}
// NOSPLIT-LABEL: func.func @decode_step
// NOSPLIT:         rat.chunk_attention_step {{.*}} {rat.kernel = #rat.kernel<family = step>}
// STEPONLY-LABEL: func.func @decode_step
// STEPONLY-NOT:    family = row
// STEPONLY:        rat.chunk_attention_step {{.*}} {rat.kernel = #rat.kernel<family = step, tile = [16], split_k = 64, blocks = 528>}
// NONE-LABEL: func.func @decode_step
// NONE-NOT:      rat.kernel
func.func @decode_step(%x: tensor<4x64xf32>, %w: tensor<64xf32>, %y: tensor<4x64xf32>,
                       %q: tensor<?x16x128xbf16>, %pos: index, %kc: tensor<?x16x256x128xbf16>)
    -> (tensor<4x64xf32>, tensor<?x16x128xbf16>, tensor<?x16x256x128xbf16>, tensor<?x16x256x128xbf16>) {
  %n = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<4x64xf32>, tensor<64xf32>) outs(%y : tensor<4x64xf32>) -> tensor<4x64xf32>
  %o:3 = rat.chunk_attention_step chunk_size = 16 ins(%q, %q, %q : tensor<?x16x128xbf16>, tensor<?x16x128xbf16>, tensor<?x16x128xbf16>) position(%pos) outs(%q, %kc, %kc : tensor<?x16x128xbf16>, tensor<?x16x256x128xbf16>, tensor<?x16x256x128xbf16>) -> tensor<?x16x128xbf16>, tensor<?x16x256x128xbf16>, tensor<?x16x256x128xbf16>
  return %n, %o#0, %o#1, %o#2 : tensor<4x64xf32>, tensor<?x16x128xbf16>, tensor<?x16x256x128xbf16>, tensor<?x16x256x128xbf16>
}
