// Every rat op with each dimension in turn dynamic or zero (and all
// dynamic), in f32 and, for the ops with GPU kernels, bf16: each one that
// verifies lowers through every pipeline (issue 16; before, dynamic head or
// group counts failed tiling and zero-sized dims failed inside
// rat-tile-and-fuse with an out-of-bounds slice). shapes-nvvm.test runs the
// same file through rat-to-nvvm where the CUDA toolkit is present.
// RUN: rat-opt %s --rat-to-cpu | FileCheck %s --check-prefix=CPU --implicit-check-not=rat.
// RUN: rat-opt %s --rat-to-cpu=emulate-gpu=true | FileCheck %s --check-prefix=CPU
// RUN: rat-opt %s --rat-to-cpu=tile=false | FileCheck %s --check-prefix=CPU
// RUN: rat-opt %s --rat-graph-to-tiled=gpu=true --rat-tiled-to-loops="gpu=true mma=true" --rat-loops-to-kernels | FileCheck %s --check-prefix=KERNELS --implicit-check-not=rat.

// CPU-LABEL: llvm.func @rms_norm_Bdyn_f32(
// CPU-LABEL: llvm.func @rms_norm_B0_f32(
// CPU-LABEL: llvm.func @rms_norm_Tdyn_f32(
// CPU-LABEL: llvm.func @rms_norm_T0_f32(
// CPU-LABEL: llvm.func @rms_norm_Ddyn_f32(
// CPU-LABEL: llvm.func @rms_norm_D0_f32(
// CPU-LABEL: llvm.func @rms_norm_alldyn_f32(
// CPU-LABEL: llvm.func @rope_Bdyn_f32(
// CPU-LABEL: llvm.func @rope_B0_f32(
// CPU-LABEL: llvm.func @rope_Hdyn_f32(
// CPU-LABEL: llvm.func @rope_H0_f32(
// CPU-LABEL: llvm.func @rope_Tdyn_f32(
// CPU-LABEL: llvm.func @rope_T0_f32(
// CPU-LABEL: llvm.func @rope_alldyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_Bdyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_B0_f32(
// CPU-LABEL: llvm.func @chunk_scan_Tdyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_T0_f32(
// CPU-LABEL: llvm.func @chunk_scan_Ddyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_D0_f32(
// CPU-LABEL: llvm.func @chunk_scan_alldyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_Bdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_B0_f32(
// CPU-LABEL: llvm.func @chunk_attention_Gdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_Hdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_H0_f32(
// CPU-LABEL: llvm.func @chunk_attention_Tdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_T0_f32(
// CPU-LABEL: llvm.func @chunk_attention_alldyn_f32(
// CPU-LABEL: llvm.func @window_attention_Bdyn_f32(
// CPU-LABEL: llvm.func @window_attention_B0_f32(
// CPU-LABEL: llvm.func @window_attention_Gdyn_f32(
// CPU-LABEL: llvm.func @window_attention_Hdyn_f32(
// CPU-LABEL: llvm.func @window_attention_H0_f32(
// CPU-LABEL: llvm.func @window_attention_Tdyn_f32(
// CPU-LABEL: llvm.func @window_attention_T0_f32(
// CPU-LABEL: llvm.func @window_attention_alldyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_step_Bdyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_step_B0_f32(
// CPU-LABEL: llvm.func @chunk_scan_step_Ddyn_f32(
// CPU-LABEL: llvm.func @chunk_scan_step_D0_f32(
// CPU-LABEL: llvm.func @chunk_scan_step_alldyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_Bdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_B0_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_Gdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_Hdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_H0_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_Rdyn_f32(
// CPU-LABEL: llvm.func @chunk_attention_step_alldyn_f32(
// CPU-LABEL: llvm.func @window_attention_step_Bdyn_f32(
// CPU-LABEL: llvm.func @window_attention_step_B0_f32(
// CPU-LABEL: llvm.func @window_attention_step_Gdyn_f32(
// CPU-LABEL: llvm.func @window_attention_step_Hdyn_f32(
// CPU-LABEL: llvm.func @window_attention_step_H0_f32(
// CPU-LABEL: llvm.func @window_attention_step_Rdyn_f32(
// CPU-LABEL: llvm.func @window_attention_step_alldyn_f32(
// CPU-LABEL: llvm.func @matmul_Bdyn_f32(
// CPU-LABEL: llvm.func @matmul_B0_f32(
// CPU-LABEL: llvm.func @matmul_Tdyn_f32(
// CPU-LABEL: llvm.func @matmul_T0_f32(
// CPU-LABEL: llvm.func @matmul_Kdyn_f32(
// CPU-LABEL: llvm.func @matmul_K0_f32(
// CPU-LABEL: llvm.func @matmul_Odyn_f32(
// CPU-LABEL: llvm.func @matmul_O0_f32(
// CPU-LABEL: llvm.func @matmul_alldyn_f32(
// CPU-LABEL: llvm.func @rms_norm_Bdyn_bf16(
// CPU-LABEL: llvm.func @rms_norm_B0_bf16(
// CPU-LABEL: llvm.func @rms_norm_Tdyn_bf16(
// CPU-LABEL: llvm.func @rms_norm_T0_bf16(
// CPU-LABEL: llvm.func @rms_norm_Ddyn_bf16(
// CPU-LABEL: llvm.func @rms_norm_D0_bf16(
// CPU-LABEL: llvm.func @rms_norm_alldyn_bf16(
// CPU-LABEL: llvm.func @rope_Bdyn_bf16(
// CPU-LABEL: llvm.func @rope_B0_bf16(
// CPU-LABEL: llvm.func @rope_Hdyn_bf16(
// CPU-LABEL: llvm.func @rope_H0_bf16(
// CPU-LABEL: llvm.func @rope_Tdyn_bf16(
// CPU-LABEL: llvm.func @rope_T0_bf16(
// CPU-LABEL: llvm.func @rope_alldyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_Bdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_B0_bf16(
// CPU-LABEL: llvm.func @chunk_attention_Gdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_Hdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_H0_bf16(
// CPU-LABEL: llvm.func @chunk_attention_Tdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_T0_bf16(
// CPU-LABEL: llvm.func @chunk_attention_alldyn_bf16(
// CPU-LABEL: llvm.func @window_attention_Bdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_B0_bf16(
// CPU-LABEL: llvm.func @window_attention_Gdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_Hdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_H0_bf16(
// CPU-LABEL: llvm.func @window_attention_Tdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_T0_bf16(
// CPU-LABEL: llvm.func @window_attention_alldyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_Bdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_B0_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_Gdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_Hdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_H0_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_Rdyn_bf16(
// CPU-LABEL: llvm.func @chunk_attention_step_alldyn_bf16(
// CPU-LABEL: llvm.func @window_attention_step_Bdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_step_B0_bf16(
// CPU-LABEL: llvm.func @window_attention_step_Gdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_step_Hdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_step_H0_bf16(
// CPU-LABEL: llvm.func @window_attention_step_Rdyn_bf16(
// CPU-LABEL: llvm.func @window_attention_step_alldyn_bf16(
// CPU-LABEL: llvm.func @matmul_Bdyn_bf16(
// CPU-LABEL: llvm.func @matmul_B0_bf16(
// CPU-LABEL: llvm.func @matmul_Tdyn_bf16(
// CPU-LABEL: llvm.func @matmul_T0_bf16(
// CPU-LABEL: llvm.func @matmul_Kdyn_bf16(
// CPU-LABEL: llvm.func @matmul_K0_bf16(
// CPU-LABEL: llvm.func @matmul_Odyn_bf16(
// CPU-LABEL: llvm.func @matmul_O0_bf16(
// CPU-LABEL: llvm.func @matmul_alldyn_bf16(

// KERNELS-LABEL: func.func @rms_norm_Bdyn_f32(
// KERNELS-LABEL: func.func @rms_norm_B0_f32(
// KERNELS-LABEL: func.func @rms_norm_Tdyn_f32(
// KERNELS-LABEL: func.func @rms_norm_T0_f32(
// KERNELS-LABEL: func.func @rms_norm_Ddyn_f32(
// KERNELS-LABEL: func.func @rms_norm_D0_f32(
// KERNELS-LABEL: func.func @rms_norm_alldyn_f32(
// KERNELS-LABEL: func.func @rope_Bdyn_f32(
// KERNELS-LABEL: func.func @rope_B0_f32(
// KERNELS-LABEL: func.func @rope_Hdyn_f32(
// KERNELS-LABEL: func.func @rope_H0_f32(
// KERNELS-LABEL: func.func @rope_Tdyn_f32(
// KERNELS-LABEL: func.func @rope_T0_f32(
// KERNELS-LABEL: func.func @rope_alldyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_Bdyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_B0_f32(
// KERNELS-LABEL: func.func @chunk_scan_Tdyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_T0_f32(
// KERNELS-LABEL: func.func @chunk_scan_Ddyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_D0_f32(
// KERNELS-LABEL: func.func @chunk_scan_alldyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_Bdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_B0_f32(
// KERNELS-LABEL: func.func @chunk_attention_Gdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_Hdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_H0_f32(
// KERNELS-LABEL: func.func @chunk_attention_Tdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_T0_f32(
// KERNELS-LABEL: func.func @chunk_attention_alldyn_f32(
// KERNELS-LABEL: func.func @window_attention_Bdyn_f32(
// KERNELS-LABEL: func.func @window_attention_B0_f32(
// KERNELS-LABEL: func.func @window_attention_Gdyn_f32(
// KERNELS-LABEL: func.func @window_attention_Hdyn_f32(
// KERNELS-LABEL: func.func @window_attention_H0_f32(
// KERNELS-LABEL: func.func @window_attention_Tdyn_f32(
// KERNELS-LABEL: func.func @window_attention_T0_f32(
// KERNELS-LABEL: func.func @window_attention_alldyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_step_Bdyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_step_B0_f32(
// KERNELS-LABEL: func.func @chunk_scan_step_Ddyn_f32(
// KERNELS-LABEL: func.func @chunk_scan_step_D0_f32(
// KERNELS-LABEL: func.func @chunk_scan_step_alldyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_Bdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_B0_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_Gdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_Hdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_H0_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_Rdyn_f32(
// KERNELS-LABEL: func.func @chunk_attention_step_alldyn_f32(
// KERNELS-LABEL: func.func @window_attention_step_Bdyn_f32(
// KERNELS-LABEL: func.func @window_attention_step_B0_f32(
// KERNELS-LABEL: func.func @window_attention_step_Gdyn_f32(
// KERNELS-LABEL: func.func @window_attention_step_Hdyn_f32(
// KERNELS-LABEL: func.func @window_attention_step_H0_f32(
// KERNELS-LABEL: func.func @window_attention_step_Rdyn_f32(
// KERNELS-LABEL: func.func @window_attention_step_alldyn_f32(
// KERNELS-LABEL: func.func @matmul_Bdyn_f32(
// KERNELS-LABEL: func.func @matmul_B0_f32(
// KERNELS-LABEL: func.func @matmul_Tdyn_f32(
// KERNELS-LABEL: func.func @matmul_T0_f32(
// KERNELS-LABEL: func.func @matmul_Kdyn_f32(
// KERNELS-LABEL: func.func @matmul_K0_f32(
// KERNELS-LABEL: func.func @matmul_Odyn_f32(
// KERNELS-LABEL: func.func @matmul_O0_f32(
// KERNELS-LABEL: func.func @matmul_alldyn_f32(
// KERNELS-LABEL: func.func @rms_norm_Bdyn_bf16(
// KERNELS-LABEL: func.func @rms_norm_B0_bf16(
// KERNELS-LABEL: func.func @rms_norm_Tdyn_bf16(
// KERNELS-LABEL: func.func @rms_norm_T0_bf16(
// KERNELS-LABEL: func.func @rms_norm_Ddyn_bf16(
// KERNELS-LABEL: func.func @rms_norm_D0_bf16(
// KERNELS-LABEL: func.func @rms_norm_alldyn_bf16(
// KERNELS-LABEL: func.func @rope_Bdyn_bf16(
// KERNELS-LABEL: func.func @rope_B0_bf16(
// KERNELS-LABEL: func.func @rope_Hdyn_bf16(
// KERNELS-LABEL: func.func @rope_H0_bf16(
// KERNELS-LABEL: func.func @rope_Tdyn_bf16(
// KERNELS-LABEL: func.func @rope_T0_bf16(
// KERNELS-LABEL: func.func @rope_alldyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_Bdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_B0_bf16(
// KERNELS-LABEL: func.func @chunk_attention_Gdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_Hdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_H0_bf16(
// KERNELS-LABEL: func.func @chunk_attention_Tdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_T0_bf16(
// KERNELS-LABEL: func.func @chunk_attention_alldyn_bf16(
// KERNELS-LABEL: func.func @window_attention_Bdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_B0_bf16(
// KERNELS-LABEL: func.func @window_attention_Gdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_Hdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_H0_bf16(
// KERNELS-LABEL: func.func @window_attention_Tdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_T0_bf16(
// KERNELS-LABEL: func.func @window_attention_alldyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_Bdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_B0_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_Gdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_Hdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_H0_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_Rdyn_bf16(
// KERNELS-LABEL: func.func @chunk_attention_step_alldyn_bf16(
// KERNELS-LABEL: func.func @window_attention_step_Bdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_step_B0_bf16(
// KERNELS-LABEL: func.func @window_attention_step_Gdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_step_Hdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_step_H0_bf16(
// KERNELS-LABEL: func.func @window_attention_step_Rdyn_bf16(
// KERNELS-LABEL: func.func @window_attention_step_alldyn_bf16(
// KERNELS-LABEL: func.func @matmul_Bdyn_bf16(
// KERNELS-LABEL: func.func @matmul_B0_bf16(
// KERNELS-LABEL: func.func @matmul_Tdyn_bf16(
// KERNELS-LABEL: func.func @matmul_T0_bf16(
// KERNELS-LABEL: func.func @matmul_Kdyn_bf16(
// KERNELS-LABEL: func.func @matmul_K0_bf16(
// KERNELS-LABEL: func.func @matmul_Odyn_bf16(
// KERNELS-LABEL: func.func @matmul_O0_bf16(
// KERNELS-LABEL: func.func @matmul_alldyn_bf16(

// NVVM-LABEL: llvm.func @rms_norm_Bdyn_f32(
// NVVM-LABEL: llvm.func @rms_norm_B0_f32(
// NVVM-LABEL: llvm.func @rms_norm_Tdyn_f32(
// NVVM-LABEL: llvm.func @rms_norm_T0_f32(
// NVVM-LABEL: llvm.func @rms_norm_Ddyn_f32(
// NVVM-LABEL: llvm.func @rms_norm_D0_f32(
// NVVM-LABEL: llvm.func @rms_norm_alldyn_f32(
// NVVM-LABEL: llvm.func @rope_Bdyn_f32(
// NVVM-LABEL: llvm.func @rope_B0_f32(
// NVVM-LABEL: llvm.func @rope_Hdyn_f32(
// NVVM-LABEL: llvm.func @rope_H0_f32(
// NVVM-LABEL: llvm.func @rope_Tdyn_f32(
// NVVM-LABEL: llvm.func @rope_T0_f32(
// NVVM-LABEL: llvm.func @rope_alldyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_Bdyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_B0_f32(
// NVVM-LABEL: llvm.func @chunk_scan_Tdyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_T0_f32(
// NVVM-LABEL: llvm.func @chunk_scan_Ddyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_D0_f32(
// NVVM-LABEL: llvm.func @chunk_scan_alldyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_Bdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_B0_f32(
// NVVM-LABEL: llvm.func @chunk_attention_Gdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_Hdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_H0_f32(
// NVVM-LABEL: llvm.func @chunk_attention_Tdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_T0_f32(
// NVVM-LABEL: llvm.func @chunk_attention_alldyn_f32(
// NVVM-LABEL: llvm.func @window_attention_Bdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_B0_f32(
// NVVM-LABEL: llvm.func @window_attention_Gdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_Hdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_H0_f32(
// NVVM-LABEL: llvm.func @window_attention_Tdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_T0_f32(
// NVVM-LABEL: llvm.func @window_attention_alldyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_step_Bdyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_step_B0_f32(
// NVVM-LABEL: llvm.func @chunk_scan_step_Ddyn_f32(
// NVVM-LABEL: llvm.func @chunk_scan_step_D0_f32(
// NVVM-LABEL: llvm.func @chunk_scan_step_alldyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_Bdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_B0_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_Gdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_Hdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_H0_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_Rdyn_f32(
// NVVM-LABEL: llvm.func @chunk_attention_step_alldyn_f32(
// NVVM-LABEL: llvm.func @window_attention_step_Bdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_step_B0_f32(
// NVVM-LABEL: llvm.func @window_attention_step_Gdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_step_Hdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_step_H0_f32(
// NVVM-LABEL: llvm.func @window_attention_step_Rdyn_f32(
// NVVM-LABEL: llvm.func @window_attention_step_alldyn_f32(
// NVVM-LABEL: llvm.func @matmul_Bdyn_f32(
// NVVM-LABEL: llvm.func @matmul_B0_f32(
// NVVM-LABEL: llvm.func @matmul_Tdyn_f32(
// NVVM-LABEL: llvm.func @matmul_T0_f32(
// NVVM-LABEL: llvm.func @matmul_Kdyn_f32(
// NVVM-LABEL: llvm.func @matmul_K0_f32(
// NVVM-LABEL: llvm.func @matmul_Odyn_f32(
// NVVM-LABEL: llvm.func @matmul_O0_f32(
// NVVM-LABEL: llvm.func @matmul_alldyn_f32(
// NVVM-LABEL: llvm.func @rms_norm_Bdyn_bf16(
// NVVM-LABEL: llvm.func @rms_norm_B0_bf16(
// NVVM-LABEL: llvm.func @rms_norm_Tdyn_bf16(
// NVVM-LABEL: llvm.func @rms_norm_T0_bf16(
// NVVM-LABEL: llvm.func @rms_norm_Ddyn_bf16(
// NVVM-LABEL: llvm.func @rms_norm_D0_bf16(
// NVVM-LABEL: llvm.func @rms_norm_alldyn_bf16(
// NVVM-LABEL: llvm.func @rope_Bdyn_bf16(
// NVVM-LABEL: llvm.func @rope_B0_bf16(
// NVVM-LABEL: llvm.func @rope_Hdyn_bf16(
// NVVM-LABEL: llvm.func @rope_H0_bf16(
// NVVM-LABEL: llvm.func @rope_Tdyn_bf16(
// NVVM-LABEL: llvm.func @rope_T0_bf16(
// NVVM-LABEL: llvm.func @rope_alldyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_Bdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_B0_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_Gdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_Hdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_H0_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_Tdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_T0_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_alldyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_Bdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_B0_bf16(
// NVVM-LABEL: llvm.func @window_attention_Gdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_Hdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_H0_bf16(
// NVVM-LABEL: llvm.func @window_attention_Tdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_T0_bf16(
// NVVM-LABEL: llvm.func @window_attention_alldyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_Bdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_B0_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_Gdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_Hdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_H0_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_Rdyn_bf16(
// NVVM-LABEL: llvm.func @chunk_attention_step_alldyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_Bdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_B0_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_Gdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_Hdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_H0_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_Rdyn_bf16(
// NVVM-LABEL: llvm.func @window_attention_step_alldyn_bf16(
// NVVM-LABEL: llvm.func @matmul_Bdyn_bf16(
// NVVM-LABEL: llvm.func @matmul_B0_bf16(
// NVVM-LABEL: llvm.func @matmul_Tdyn_bf16(
// NVVM-LABEL: llvm.func @matmul_T0_bf16(
// NVVM-LABEL: llvm.func @matmul_Kdyn_bf16(
// NVVM-LABEL: llvm.func @matmul_K0_bf16(
// NVVM-LABEL: llvm.func @matmul_Odyn_bf16(
// NVVM-LABEL: llvm.func @matmul_O0_bf16(
// NVVM-LABEL: llvm.func @matmul_alldyn_bf16(

func.func @rms_norm_Bdyn_f32(%x: tensor<?x8x16xf32>, %w: tensor<16xf32>, %i: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<?x8x16xf32>, tensor<16xf32>) outs(%i : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  return %0 : tensor<?x8x16xf32>
}

func.func @rms_norm_B0_f32(%x: tensor<0x8x16xf32>, %w: tensor<16xf32>, %i: tensor<0x8x16xf32>) -> tensor<0x8x16xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<0x8x16xf32>, tensor<16xf32>) outs(%i : tensor<0x8x16xf32>) -> tensor<0x8x16xf32>
  return %0 : tensor<0x8x16xf32>
}

func.func @rms_norm_Tdyn_f32(%x: tensor<2x?x16xf32>, %w: tensor<16xf32>, %i: tensor<2x?x16xf32>) -> tensor<2x?x16xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x?x16xf32>, tensor<16xf32>) outs(%i : tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %0 : tensor<2x?x16xf32>
}

func.func @rms_norm_T0_f32(%x: tensor<2x0x16xf32>, %w: tensor<16xf32>, %i: tensor<2x0x16xf32>) -> tensor<2x0x16xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x0x16xf32>, tensor<16xf32>) outs(%i : tensor<2x0x16xf32>) -> tensor<2x0x16xf32>
  return %0 : tensor<2x0x16xf32>
}

func.func @rms_norm_Ddyn_f32(%x: tensor<2x8x?xf32>, %w: tensor<?xf32>, %i: tensor<2x8x?xf32>) -> tensor<2x8x?xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x?xf32>, tensor<?xf32>) outs(%i : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  return %0 : tensor<2x8x?xf32>
}

func.func @rms_norm_D0_f32(%x: tensor<2x8x0xf32>, %w: tensor<0xf32>, %i: tensor<2x8x0xf32>) -> tensor<2x8x0xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x0xf32>, tensor<0xf32>) outs(%i : tensor<2x8x0xf32>) -> tensor<2x8x0xf32>
  return %0 : tensor<2x8x0xf32>
}

func.func @rms_norm_alldyn_f32(%x: tensor<?x?x?xf32>, %w: tensor<?xf32>, %i: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<?x?x?xf32>, tensor<?xf32>) outs(%i : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

func.func @rope_Bdyn_f32(%x: tensor<?x2x8x16xf32>, %i: tensor<?x2x8x16xf32>, %off: index) -> tensor<?x2x8x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<?x2x8x16xf32>) offset(%off) outs(%i : tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %0 : tensor<?x2x8x16xf32>
}

func.func @rope_B0_f32(%x: tensor<0x2x8x16xf32>, %i: tensor<0x2x8x16xf32>, %off: index) -> tensor<0x2x8x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<0x2x8x16xf32>) offset(%off) outs(%i : tensor<0x2x8x16xf32>) -> tensor<0x2x8x16xf32>
  return %0 : tensor<0x2x8x16xf32>
}

func.func @rope_Hdyn_f32(%x: tensor<2x?x8x16xf32>, %i: tensor<2x?x8x16xf32>, %off: index) -> tensor<2x?x8x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x?x8x16xf32>) offset(%off) outs(%i : tensor<2x?x8x16xf32>) -> tensor<2x?x8x16xf32>
  return %0 : tensor<2x?x8x16xf32>
}

func.func @rope_H0_f32(%x: tensor<2x0x8x16xf32>, %i: tensor<2x0x8x16xf32>, %off: index) -> tensor<2x0x8x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x0x8x16xf32>) offset(%off) outs(%i : tensor<2x0x8x16xf32>) -> tensor<2x0x8x16xf32>
  return %0 : tensor<2x0x8x16xf32>
}

func.func @rope_Tdyn_f32(%x: tensor<2x2x?x16xf32>, %i: tensor<2x2x?x16xf32>, %off: index) -> tensor<2x2x?x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x2x?x16xf32>) offset(%off) outs(%i : tensor<2x2x?x16xf32>) -> tensor<2x2x?x16xf32>
  return %0 : tensor<2x2x?x16xf32>
}

func.func @rope_T0_f32(%x: tensor<2x2x0x16xf32>, %i: tensor<2x2x0x16xf32>, %off: index) -> tensor<2x2x0x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x2x0x16xf32>) offset(%off) outs(%i : tensor<2x2x0x16xf32>) -> tensor<2x2x0x16xf32>
  return %0 : tensor<2x2x0x16xf32>
}

func.func @rope_alldyn_f32(%x: tensor<?x?x?x16xf32>, %i: tensor<?x?x?x16xf32>, %off: index) -> tensor<?x?x?x16xf32> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<?x?x?x16xf32>) offset(%off) outs(%i : tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32>
  return %0 : tensor<?x?x?x16xf32>
}

func.func @chunk_scan_Bdyn_f32(%g: tensor<?x8x16xf32>, %x: tensor<?x8x16xf32>, %i: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<?x8x16xf32>, tensor<?x8x16xf32>) outs(%i : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  return %0 : tensor<?x8x16xf32>
}

func.func @chunk_scan_B0_f32(%g: tensor<0x8x16xf32>, %x: tensor<0x8x16xf32>, %i: tensor<0x8x16xf32>) -> tensor<0x8x16xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<0x8x16xf32>, tensor<0x8x16xf32>) outs(%i : tensor<0x8x16xf32>) -> tensor<0x8x16xf32>
  return %0 : tensor<0x8x16xf32>
}

func.func @chunk_scan_Tdyn_f32(%g: tensor<2x?x16xf32>, %x: tensor<2x?x16xf32>, %i: tensor<2x?x16xf32>) -> tensor<2x?x16xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x?x16xf32>, tensor<2x?x16xf32>) outs(%i : tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %0 : tensor<2x?x16xf32>
}

func.func @chunk_scan_T0_f32(%g: tensor<2x0x16xf32>, %x: tensor<2x0x16xf32>, %i: tensor<2x0x16xf32>) -> tensor<2x0x16xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x0x16xf32>, tensor<2x0x16xf32>) outs(%i : tensor<2x0x16xf32>) -> tensor<2x0x16xf32>
  return %0 : tensor<2x0x16xf32>
}

func.func @chunk_scan_Ddyn_f32(%g: tensor<2x8x?xf32>, %x: tensor<2x8x?xf32>, %i: tensor<2x8x?xf32>) -> tensor<2x8x?xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x8x?xf32>, tensor<2x8x?xf32>) outs(%i : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  return %0 : tensor<2x8x?xf32>
}

func.func @chunk_scan_D0_f32(%g: tensor<2x8x0xf32>, %x: tensor<2x8x0xf32>, %i: tensor<2x8x0xf32>) -> tensor<2x8x0xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x8x0xf32>, tensor<2x8x0xf32>) outs(%i : tensor<2x8x0xf32>) -> tensor<2x8x0xf32>
  return %0 : tensor<2x8x0xf32>
}

func.func @chunk_scan_alldyn_f32(%g: tensor<?x?x?xf32>, %x: tensor<?x?x?xf32>, %i: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<?x?x?xf32>, tensor<?x?x?xf32>) outs(%i : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

func.func @chunk_attention_Bdyn_f32(%q: tensor<?x1x8x16xf32>, %k: tensor<?x1x8x16xf32>, %v: tensor<?x2x8x16xf32>, %i: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x1x8x16xf32>, tensor<?x1x8x16xf32>, tensor<?x2x8x16xf32>) outs(%i : tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %0 : tensor<?x2x8x16xf32>
}

func.func @chunk_attention_B0_f32(%q: tensor<0x1x8x16xf32>, %k: tensor<0x1x8x16xf32>, %v: tensor<0x2x8x16xf32>, %i: tensor<0x2x8x16xf32>) -> tensor<0x2x8x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<0x1x8x16xf32>, tensor<0x1x8x16xf32>, tensor<0x2x8x16xf32>) outs(%i : tensor<0x2x8x16xf32>) -> tensor<0x2x8x16xf32>
  return %0 : tensor<0x2x8x16xf32>
}

func.func @chunk_attention_Gdyn_f32(%q: tensor<2x?x8x16xf32>, %k: tensor<2x?x8x16xf32>, %v: tensor<2x2x8x16xf32>, %i: tensor<2x2x8x16xf32>) -> tensor<2x2x8x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x?x8x16xf32>, tensor<2x?x8x16xf32>, tensor<2x2x8x16xf32>) outs(%i : tensor<2x2x8x16xf32>) -> tensor<2x2x8x16xf32>
  return %0 : tensor<2x2x8x16xf32>
}

func.func @chunk_attention_Hdyn_f32(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x?x8x16xf32>, %i: tensor<2x?x8x16xf32>) -> tensor<2x?x8x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x?x8x16xf32>) outs(%i : tensor<2x?x8x16xf32>) -> tensor<2x?x8x16xf32>
  return %0 : tensor<2x?x8x16xf32>
}

func.func @chunk_attention_H0_f32(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x0x8x16xf32>, %i: tensor<2x0x8x16xf32>) -> tensor<2x0x8x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x0x8x16xf32>) outs(%i : tensor<2x0x8x16xf32>) -> tensor<2x0x8x16xf32>
  return %0 : tensor<2x0x8x16xf32>
}

func.func @chunk_attention_Tdyn_f32(%q: tensor<2x1x?x16xf32>, %k: tensor<2x1x?x16xf32>, %v: tensor<2x2x?x16xf32>, %i: tensor<2x2x?x16xf32>) -> tensor<2x2x?x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x?x16xf32>, tensor<2x1x?x16xf32>, tensor<2x2x?x16xf32>) outs(%i : tensor<2x2x?x16xf32>) -> tensor<2x2x?x16xf32>
  return %0 : tensor<2x2x?x16xf32>
}

func.func @chunk_attention_T0_f32(%q: tensor<2x1x0x16xf32>, %k: tensor<2x1x0x16xf32>, %v: tensor<2x2x0x16xf32>, %i: tensor<2x2x0x16xf32>) -> tensor<2x2x0x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x0x16xf32>, tensor<2x1x0x16xf32>, tensor<2x2x0x16xf32>) outs(%i : tensor<2x2x0x16xf32>) -> tensor<2x2x0x16xf32>
  return %0 : tensor<2x2x0x16xf32>
}

func.func @chunk_attention_alldyn_f32(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>, %v: tensor<?x?x?x16xf32>, %i: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) outs(%i : tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32>
  return %0 : tensor<?x?x?x16xf32>
}

func.func @window_attention_Bdyn_f32(%q: tensor<?x1x8x16xf32>, %k: tensor<?x1x8x16xf32>, %v: tensor<?x2x8x16xf32>, %i: tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<?x1x8x16xf32>, tensor<?x1x8x16xf32>, tensor<?x2x8x16xf32>) outs(%i : tensor<?x2x8x16xf32>) -> tensor<?x2x8x16xf32>
  return %0 : tensor<?x2x8x16xf32>
}

func.func @window_attention_B0_f32(%q: tensor<0x1x8x16xf32>, %k: tensor<0x1x8x16xf32>, %v: tensor<0x2x8x16xf32>, %i: tensor<0x2x8x16xf32>) -> tensor<0x2x8x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<0x1x8x16xf32>, tensor<0x1x8x16xf32>, tensor<0x2x8x16xf32>) outs(%i : tensor<0x2x8x16xf32>) -> tensor<0x2x8x16xf32>
  return %0 : tensor<0x2x8x16xf32>
}

func.func @window_attention_Gdyn_f32(%q: tensor<2x?x8x16xf32>, %k: tensor<2x?x8x16xf32>, %v: tensor<2x2x8x16xf32>, %i: tensor<2x2x8x16xf32>) -> tensor<2x2x8x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x?x8x16xf32>, tensor<2x?x8x16xf32>, tensor<2x2x8x16xf32>) outs(%i : tensor<2x2x8x16xf32>) -> tensor<2x2x8x16xf32>
  return %0 : tensor<2x2x8x16xf32>
}

func.func @window_attention_Hdyn_f32(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x?x8x16xf32>, %i: tensor<2x?x8x16xf32>) -> tensor<2x?x8x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x?x8x16xf32>) outs(%i : tensor<2x?x8x16xf32>) -> tensor<2x?x8x16xf32>
  return %0 : tensor<2x?x8x16xf32>
}

func.func @window_attention_H0_f32(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x0x8x16xf32>, %i: tensor<2x0x8x16xf32>) -> tensor<2x0x8x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x0x8x16xf32>) outs(%i : tensor<2x0x8x16xf32>) -> tensor<2x0x8x16xf32>
  return %0 : tensor<2x0x8x16xf32>
}

func.func @window_attention_Tdyn_f32(%q: tensor<2x1x?x16xf32>, %k: tensor<2x1x?x16xf32>, %v: tensor<2x2x?x16xf32>, %i: tensor<2x2x?x16xf32>) -> tensor<2x2x?x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x?x16xf32>, tensor<2x1x?x16xf32>, tensor<2x2x?x16xf32>) outs(%i : tensor<2x2x?x16xf32>) -> tensor<2x2x?x16xf32>
  return %0 : tensor<2x2x?x16xf32>
}

func.func @window_attention_T0_f32(%q: tensor<2x1x0x16xf32>, %k: tensor<2x1x0x16xf32>, %v: tensor<2x2x0x16xf32>, %i: tensor<2x2x0x16xf32>) -> tensor<2x2x0x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x0x16xf32>, tensor<2x1x0x16xf32>, tensor<2x2x0x16xf32>) outs(%i : tensor<2x2x0x16xf32>) -> tensor<2x2x0x16xf32>
  return %0 : tensor<2x2x0x16xf32>
}

func.func @window_attention_alldyn_f32(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>, %v: tensor<?x?x?x16xf32>, %i: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) outs(%i : tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32>
  return %0 : tensor<?x?x?x16xf32>
}

func.func @chunk_scan_step_Bdyn_f32(%g: tensor<?x16xf32>, %x: tensor<?x16xf32>, %s: tensor<?x16xf32>, %p: index) -> tensor<?x16xf32> {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<?x16xf32>, tensor<?x16xf32>) position(%p) outs(%s : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

func.func @chunk_scan_step_B0_f32(%g: tensor<0x16xf32>, %x: tensor<0x16xf32>, %s: tensor<0x16xf32>, %p: index) -> tensor<0x16xf32> {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<0x16xf32>, tensor<0x16xf32>) position(%p) outs(%s : tensor<0x16xf32>) -> tensor<0x16xf32>
  return %0 : tensor<0x16xf32>
}

func.func @chunk_scan_step_Ddyn_f32(%g: tensor<2x?xf32>, %x: tensor<2x?xf32>, %s: tensor<2x?xf32>, %p: index) -> tensor<2x?xf32> {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x?xf32>, tensor<2x?xf32>) position(%p) outs(%s : tensor<2x?xf32>) -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

func.func @chunk_scan_step_D0_f32(%g: tensor<2x0xf32>, %x: tensor<2x0xf32>, %s: tensor<2x0xf32>, %p: index) -> tensor<2x0xf32> {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x0xf32>, tensor<2x0xf32>) position(%p) outs(%s : tensor<2x0xf32>) -> tensor<2x0xf32>
  return %0 : tensor<2x0xf32>
}

func.func @chunk_scan_step_alldyn_f32(%g: tensor<?x?xf32>, %x: tensor<?x?xf32>, %s: tensor<?x?xf32>, %p: index) -> tensor<?x?xf32> {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<?x?xf32>, tensor<?x?xf32>) position(%p) outs(%s : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

func.func @chunk_attention_step_Bdyn_f32(%q: tensor<?x1x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %o: tensor<?x2x16xf32>, %kc: tensor<?x2x4x16xf32>, %vc: tensor<?x2x4x16xf32>, %p: index) -> (tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<?x1x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>) -> tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>
}

func.func @chunk_attention_step_B0_f32(%q: tensor<0x1x16xf32>, %k: tensor<0x2x16xf32>, %v: tensor<0x2x16xf32>, %o: tensor<0x2x16xf32>, %kc: tensor<0x2x4x16xf32>, %vc: tensor<0x2x4x16xf32>, %p: index) -> (tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<0x1x16xf32>, tensor<0x2x16xf32>, tensor<0x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>) -> tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>
}

func.func @chunk_attention_step_Gdyn_f32(%q: tensor<2x?x16xf32>, %k: tensor<2x2x16xf32>, %v: tensor<2x2x16xf32>, %o: tensor<2x2x16xf32>, %kc: tensor<2x2x4x16xf32>, %vc: tensor<2x2x4x16xf32>, %p: index) -> (tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x?x16xf32>, tensor<2x2x16xf32>, tensor<2x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>) -> tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>
}

func.func @chunk_attention_step_Hdyn_f32(%q: tensor<2x1x16xf32>, %k: tensor<2x?x16xf32>, %v: tensor<2x?x16xf32>, %o: tensor<2x?x16xf32>, %kc: tensor<2x?x4x16xf32>, %vc: tensor<2x?x4x16xf32>, %p: index) -> (tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x1x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>) -> tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>
}

func.func @chunk_attention_step_H0_f32(%q: tensor<2x1x16xf32>, %k: tensor<2x0x16xf32>, %v: tensor<2x0x16xf32>, %o: tensor<2x0x16xf32>, %kc: tensor<2x0x4x16xf32>, %vc: tensor<2x0x4x16xf32>, %p: index) -> (tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x1x16xf32>, tensor<2x0x16xf32>, tensor<2x0x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>) -> tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>
}

func.func @chunk_attention_step_Rdyn_f32(%q: tensor<2x1x16xf32>, %k: tensor<2x2x16xf32>, %v: tensor<2x2x16xf32>, %o: tensor<2x2x16xf32>, %kc: tensor<2x2x?x16xf32>, %vc: tensor<2x2x?x16xf32>, %p: index) -> (tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x1x16xf32>, tensor<2x2x16xf32>, tensor<2x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>) -> tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
}

func.func @chunk_attention_step_alldyn_f32(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>, %o: tensor<?x?x16xf32>, %kc: tensor<?x?x?x16xf32>, %vc: tensor<?x?x?x16xf32>, %p: index) -> (tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) -> tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  return %0#0, %0#1, %0#2 : tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
}

func.func @window_attention_step_Bdyn_f32(%q: tensor<?x1x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %o: tensor<?x2x16xf32>, %kc: tensor<?x2x4x16xf32>, %vc: tensor<?x2x4x16xf32>, %p: index) -> (tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<?x1x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>) -> tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<?x2x16xf32>, tensor<?x2x4x16xf32>, tensor<?x2x4x16xf32>
}

func.func @window_attention_step_B0_f32(%q: tensor<0x1x16xf32>, %k: tensor<0x2x16xf32>, %v: tensor<0x2x16xf32>, %o: tensor<0x2x16xf32>, %kc: tensor<0x2x4x16xf32>, %vc: tensor<0x2x4x16xf32>, %p: index) -> (tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<0x1x16xf32>, tensor<0x2x16xf32>, tensor<0x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>) -> tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<0x2x16xf32>, tensor<0x2x4x16xf32>, tensor<0x2x4x16xf32>
}

func.func @window_attention_step_Gdyn_f32(%q: tensor<2x?x16xf32>, %k: tensor<2x2x16xf32>, %v: tensor<2x2x16xf32>, %o: tensor<2x2x16xf32>, %kc: tensor<2x2x4x16xf32>, %vc: tensor<2x2x4x16xf32>, %p: index) -> (tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x?x16xf32>, tensor<2x2x16xf32>, tensor<2x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>) -> tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>
}

func.func @window_attention_step_Hdyn_f32(%q: tensor<2x1x16xf32>, %k: tensor<2x?x16xf32>, %v: tensor<2x?x16xf32>, %o: tensor<2x?x16xf32>, %kc: tensor<2x?x4x16xf32>, %vc: tensor<2x?x4x16xf32>, %p: index) -> (tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x1x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>) -> tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x?x16xf32>, tensor<2x?x4x16xf32>, tensor<2x?x4x16xf32>
}

func.func @window_attention_step_H0_f32(%q: tensor<2x1x16xf32>, %k: tensor<2x0x16xf32>, %v: tensor<2x0x16xf32>, %o: tensor<2x0x16xf32>, %kc: tensor<2x0x4x16xf32>, %vc: tensor<2x0x4x16xf32>, %p: index) -> (tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x1x16xf32>, tensor<2x0x16xf32>, tensor<2x0x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>) -> tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x0x16xf32>, tensor<2x0x4x16xf32>, tensor<2x0x4x16xf32>
}

func.func @window_attention_step_Rdyn_f32(%q: tensor<2x1x16xf32>, %k: tensor<2x2x16xf32>, %v: tensor<2x2x16xf32>, %o: tensor<2x2x16xf32>, %kc: tensor<2x2x?x16xf32>, %vc: tensor<2x2x?x16xf32>, %p: index) -> (tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x1x16xf32>, tensor<2x2x16xf32>, tensor<2x2x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>) -> tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
}

func.func @window_attention_step_alldyn_f32(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>, %o: tensor<?x?x16xf32>, %kc: tensor<?x?x?x16xf32>, %vc: tensor<?x?x?x16xf32>, %p: index) -> (tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) -> tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  return %0#0, %0#1, %0#2 : tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
}

func.func @matmul_Bdyn_f32(%x: tensor<?x8x16xf32>, %w: tensor<8x16xf32>, %i: tensor<?x8x8xf32>) -> tensor<?x8x8xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<?x8x16xf32>, tensor<8x16xf32>) outs(%i : tensor<?x8x8xf32>) -> tensor<?x8x8xf32>
  return %0 : tensor<?x8x8xf32>
}

func.func @matmul_B0_f32(%x: tensor<0x8x16xf32>, %w: tensor<8x16xf32>, %i: tensor<0x8x8xf32>) -> tensor<0x8x8xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<0x8x16xf32>, tensor<8x16xf32>) outs(%i : tensor<0x8x8xf32>) -> tensor<0x8x8xf32>
  return %0 : tensor<0x8x8xf32>
}

func.func @matmul_Tdyn_f32(%x: tensor<2x?x16xf32>, %w: tensor<8x16xf32>, %i: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x?x16xf32>, tensor<8x16xf32>) outs(%i : tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

func.func @matmul_T0_f32(%x: tensor<2x0x16xf32>, %w: tensor<8x16xf32>, %i: tensor<2x0x8xf32>) -> tensor<2x0x8xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x0x16xf32>, tensor<8x16xf32>) outs(%i : tensor<2x0x8xf32>) -> tensor<2x0x8xf32>
  return %0 : tensor<2x0x8xf32>
}

func.func @matmul_Kdyn_f32(%x: tensor<2x8x?xf32>, %w: tensor<8x?xf32>, %i: tensor<2x8x8xf32>) -> tensor<2x8x8xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x?xf32>, tensor<8x?xf32>) outs(%i : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  return %0 : tensor<2x8x8xf32>
}

func.func @matmul_K0_f32(%x: tensor<2x8x0xf32>, %w: tensor<8x0xf32>, %i: tensor<2x8x8xf32>) -> tensor<2x8x8xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x0xf32>, tensor<8x0xf32>) outs(%i : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  return %0 : tensor<2x8x8xf32>
}

func.func @matmul_Odyn_f32(%x: tensor<2x8x16xf32>, %w: tensor<?x16xf32>, %i: tensor<2x8x?xf32>) -> tensor<2x8x?xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x16xf32>, tensor<?x16xf32>) outs(%i : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  return %0 : tensor<2x8x?xf32>
}

func.func @matmul_O0_f32(%x: tensor<2x8x16xf32>, %w: tensor<0x16xf32>, %i: tensor<2x8x0xf32>) -> tensor<2x8x0xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x16xf32>, tensor<0x16xf32>) outs(%i : tensor<2x8x0xf32>) -> tensor<2x8x0xf32>
  return %0 : tensor<2x8x0xf32>
}

func.func @matmul_alldyn_f32(%x: tensor<?x?x?xf32>, %w: tensor<?x?xf32>, %i: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<?x?x?xf32>, tensor<?x?xf32>) outs(%i : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

func.func @rms_norm_Bdyn_bf16(%x: tensor<?x8x16xbf16>, %w: tensor<16xbf16>, %i: tensor<?x8x16xbf16>) -> tensor<?x8x16xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<?x8x16xbf16>, tensor<16xbf16>) outs(%i : tensor<?x8x16xbf16>) -> tensor<?x8x16xbf16>
  return %0 : tensor<?x8x16xbf16>
}

func.func @rms_norm_B0_bf16(%x: tensor<0x8x16xbf16>, %w: tensor<16xbf16>, %i: tensor<0x8x16xbf16>) -> tensor<0x8x16xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<0x8x16xbf16>, tensor<16xbf16>) outs(%i : tensor<0x8x16xbf16>) -> tensor<0x8x16xbf16>
  return %0 : tensor<0x8x16xbf16>
}

func.func @rms_norm_Tdyn_bf16(%x: tensor<2x?x16xbf16>, %w: tensor<16xbf16>, %i: tensor<2x?x16xbf16>) -> tensor<2x?x16xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x?x16xbf16>, tensor<16xbf16>) outs(%i : tensor<2x?x16xbf16>) -> tensor<2x?x16xbf16>
  return %0 : tensor<2x?x16xbf16>
}

func.func @rms_norm_T0_bf16(%x: tensor<2x0x16xbf16>, %w: tensor<16xbf16>, %i: tensor<2x0x16xbf16>) -> tensor<2x0x16xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x0x16xbf16>, tensor<16xbf16>) outs(%i : tensor<2x0x16xbf16>) -> tensor<2x0x16xbf16>
  return %0 : tensor<2x0x16xbf16>
}

func.func @rms_norm_Ddyn_bf16(%x: tensor<2x8x?xbf16>, %w: tensor<?xbf16>, %i: tensor<2x8x?xbf16>) -> tensor<2x8x?xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x?xbf16>, tensor<?xbf16>) outs(%i : tensor<2x8x?xbf16>) -> tensor<2x8x?xbf16>
  return %0 : tensor<2x8x?xbf16>
}

func.func @rms_norm_D0_bf16(%x: tensor<2x8x0xbf16>, %w: tensor<0xbf16>, %i: tensor<2x8x0xbf16>) -> tensor<2x8x0xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x0xbf16>, tensor<0xbf16>) outs(%i : tensor<2x8x0xbf16>) -> tensor<2x8x0xbf16>
  return %0 : tensor<2x8x0xbf16>
}

func.func @rms_norm_alldyn_bf16(%x: tensor<?x?x?xbf16>, %w: tensor<?xbf16>, %i: tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<?x?x?xbf16>, tensor<?xbf16>) outs(%i : tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16>
  return %0 : tensor<?x?x?xbf16>
}

func.func @rope_Bdyn_bf16(%x: tensor<?x2x8x16xbf16>, %i: tensor<?x2x8x16xbf16>, %off: index) -> tensor<?x2x8x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<?x2x8x16xbf16>) offset(%off) outs(%i : tensor<?x2x8x16xbf16>) -> tensor<?x2x8x16xbf16>
  return %0 : tensor<?x2x8x16xbf16>
}

func.func @rope_B0_bf16(%x: tensor<0x2x8x16xbf16>, %i: tensor<0x2x8x16xbf16>, %off: index) -> tensor<0x2x8x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<0x2x8x16xbf16>) offset(%off) outs(%i : tensor<0x2x8x16xbf16>) -> tensor<0x2x8x16xbf16>
  return %0 : tensor<0x2x8x16xbf16>
}

func.func @rope_Hdyn_bf16(%x: tensor<2x?x8x16xbf16>, %i: tensor<2x?x8x16xbf16>, %off: index) -> tensor<2x?x8x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x?x8x16xbf16>) offset(%off) outs(%i : tensor<2x?x8x16xbf16>) -> tensor<2x?x8x16xbf16>
  return %0 : tensor<2x?x8x16xbf16>
}

func.func @rope_H0_bf16(%x: tensor<2x0x8x16xbf16>, %i: tensor<2x0x8x16xbf16>, %off: index) -> tensor<2x0x8x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x0x8x16xbf16>) offset(%off) outs(%i : tensor<2x0x8x16xbf16>) -> tensor<2x0x8x16xbf16>
  return %0 : tensor<2x0x8x16xbf16>
}

func.func @rope_Tdyn_bf16(%x: tensor<2x2x?x16xbf16>, %i: tensor<2x2x?x16xbf16>, %off: index) -> tensor<2x2x?x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x2x?x16xbf16>) offset(%off) outs(%i : tensor<2x2x?x16xbf16>) -> tensor<2x2x?x16xbf16>
  return %0 : tensor<2x2x?x16xbf16>
}

func.func @rope_T0_bf16(%x: tensor<2x2x0x16xbf16>, %i: tensor<2x2x0x16xbf16>, %off: index) -> tensor<2x2x0x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x2x0x16xbf16>) offset(%off) outs(%i : tensor<2x2x0x16xbf16>) -> tensor<2x2x0x16xbf16>
  return %0 : tensor<2x2x0x16xbf16>
}

func.func @rope_alldyn_bf16(%x: tensor<?x?x?x16xbf16>, %i: tensor<?x?x?x16xbf16>, %off: index) -> tensor<?x?x?x16xbf16> {
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<?x?x?x16xbf16>) offset(%off) outs(%i : tensor<?x?x?x16xbf16>) -> tensor<?x?x?x16xbf16>
  return %0 : tensor<?x?x?x16xbf16>
}

func.func @chunk_attention_Bdyn_bf16(%q: tensor<?x1x8x16xbf16>, %k: tensor<?x1x8x16xbf16>, %v: tensor<?x2x8x16xbf16>, %i: tensor<?x2x8x16xbf16>) -> tensor<?x2x8x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x1x8x16xbf16>, tensor<?x1x8x16xbf16>, tensor<?x2x8x16xbf16>) outs(%i : tensor<?x2x8x16xbf16>) -> tensor<?x2x8x16xbf16>
  return %0 : tensor<?x2x8x16xbf16>
}

func.func @chunk_attention_B0_bf16(%q: tensor<0x1x8x16xbf16>, %k: tensor<0x1x8x16xbf16>, %v: tensor<0x2x8x16xbf16>, %i: tensor<0x2x8x16xbf16>) -> tensor<0x2x8x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<0x1x8x16xbf16>, tensor<0x1x8x16xbf16>, tensor<0x2x8x16xbf16>) outs(%i : tensor<0x2x8x16xbf16>) -> tensor<0x2x8x16xbf16>
  return %0 : tensor<0x2x8x16xbf16>
}

func.func @chunk_attention_Gdyn_bf16(%q: tensor<2x?x8x16xbf16>, %k: tensor<2x?x8x16xbf16>, %v: tensor<2x2x8x16xbf16>, %i: tensor<2x2x8x16xbf16>) -> tensor<2x2x8x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x?x8x16xbf16>, tensor<2x?x8x16xbf16>, tensor<2x2x8x16xbf16>) outs(%i : tensor<2x2x8x16xbf16>) -> tensor<2x2x8x16xbf16>
  return %0 : tensor<2x2x8x16xbf16>
}

func.func @chunk_attention_Hdyn_bf16(%q: tensor<2x1x8x16xbf16>, %k: tensor<2x1x8x16xbf16>, %v: tensor<2x?x8x16xbf16>, %i: tensor<2x?x8x16xbf16>) -> tensor<2x?x8x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x8x16xbf16>, tensor<2x1x8x16xbf16>, tensor<2x?x8x16xbf16>) outs(%i : tensor<2x?x8x16xbf16>) -> tensor<2x?x8x16xbf16>
  return %0 : tensor<2x?x8x16xbf16>
}

func.func @chunk_attention_H0_bf16(%q: tensor<2x1x8x16xbf16>, %k: tensor<2x1x8x16xbf16>, %v: tensor<2x0x8x16xbf16>, %i: tensor<2x0x8x16xbf16>) -> tensor<2x0x8x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x8x16xbf16>, tensor<2x1x8x16xbf16>, tensor<2x0x8x16xbf16>) outs(%i : tensor<2x0x8x16xbf16>) -> tensor<2x0x8x16xbf16>
  return %0 : tensor<2x0x8x16xbf16>
}

func.func @chunk_attention_Tdyn_bf16(%q: tensor<2x1x?x16xbf16>, %k: tensor<2x1x?x16xbf16>, %v: tensor<2x2x?x16xbf16>, %i: tensor<2x2x?x16xbf16>) -> tensor<2x2x?x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x?x16xbf16>, tensor<2x1x?x16xbf16>, tensor<2x2x?x16xbf16>) outs(%i : tensor<2x2x?x16xbf16>) -> tensor<2x2x?x16xbf16>
  return %0 : tensor<2x2x?x16xbf16>
}

func.func @chunk_attention_T0_bf16(%q: tensor<2x1x0x16xbf16>, %k: tensor<2x1x0x16xbf16>, %v: tensor<2x2x0x16xbf16>, %i: tensor<2x2x0x16xbf16>) -> tensor<2x2x0x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x1x0x16xbf16>, tensor<2x1x0x16xbf16>, tensor<2x2x0x16xbf16>) outs(%i : tensor<2x2x0x16xbf16>) -> tensor<2x2x0x16xbf16>
  return %0 : tensor<2x2x0x16xbf16>
}

func.func @chunk_attention_alldyn_bf16(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>, %v: tensor<?x?x?x16xbf16>, %i: tensor<?x?x?x16xbf16>) -> tensor<?x?x?x16xbf16> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>) outs(%i : tensor<?x?x?x16xbf16>) -> tensor<?x?x?x16xbf16>
  return %0 : tensor<?x?x?x16xbf16>
}

func.func @window_attention_Bdyn_bf16(%q: tensor<?x1x8x16xbf16>, %k: tensor<?x1x8x16xbf16>, %v: tensor<?x2x8x16xbf16>, %i: tensor<?x2x8x16xbf16>) -> tensor<?x2x8x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<?x1x8x16xbf16>, tensor<?x1x8x16xbf16>, tensor<?x2x8x16xbf16>) outs(%i : tensor<?x2x8x16xbf16>) -> tensor<?x2x8x16xbf16>
  return %0 : tensor<?x2x8x16xbf16>
}

func.func @window_attention_B0_bf16(%q: tensor<0x1x8x16xbf16>, %k: tensor<0x1x8x16xbf16>, %v: tensor<0x2x8x16xbf16>, %i: tensor<0x2x8x16xbf16>) -> tensor<0x2x8x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<0x1x8x16xbf16>, tensor<0x1x8x16xbf16>, tensor<0x2x8x16xbf16>) outs(%i : tensor<0x2x8x16xbf16>) -> tensor<0x2x8x16xbf16>
  return %0 : tensor<0x2x8x16xbf16>
}

func.func @window_attention_Gdyn_bf16(%q: tensor<2x?x8x16xbf16>, %k: tensor<2x?x8x16xbf16>, %v: tensor<2x2x8x16xbf16>, %i: tensor<2x2x8x16xbf16>) -> tensor<2x2x8x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x?x8x16xbf16>, tensor<2x?x8x16xbf16>, tensor<2x2x8x16xbf16>) outs(%i : tensor<2x2x8x16xbf16>) -> tensor<2x2x8x16xbf16>
  return %0 : tensor<2x2x8x16xbf16>
}

func.func @window_attention_Hdyn_bf16(%q: tensor<2x1x8x16xbf16>, %k: tensor<2x1x8x16xbf16>, %v: tensor<2x?x8x16xbf16>, %i: tensor<2x?x8x16xbf16>) -> tensor<2x?x8x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x8x16xbf16>, tensor<2x1x8x16xbf16>, tensor<2x?x8x16xbf16>) outs(%i : tensor<2x?x8x16xbf16>) -> tensor<2x?x8x16xbf16>
  return %0 : tensor<2x?x8x16xbf16>
}

func.func @window_attention_H0_bf16(%q: tensor<2x1x8x16xbf16>, %k: tensor<2x1x8x16xbf16>, %v: tensor<2x0x8x16xbf16>, %i: tensor<2x0x8x16xbf16>) -> tensor<2x0x8x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x8x16xbf16>, tensor<2x1x8x16xbf16>, tensor<2x0x8x16xbf16>) outs(%i : tensor<2x0x8x16xbf16>) -> tensor<2x0x8x16xbf16>
  return %0 : tensor<2x0x8x16xbf16>
}

func.func @window_attention_Tdyn_bf16(%q: tensor<2x1x?x16xbf16>, %k: tensor<2x1x?x16xbf16>, %v: tensor<2x2x?x16xbf16>, %i: tensor<2x2x?x16xbf16>) -> tensor<2x2x?x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x?x16xbf16>, tensor<2x1x?x16xbf16>, tensor<2x2x?x16xbf16>) outs(%i : tensor<2x2x?x16xbf16>) -> tensor<2x2x?x16xbf16>
  return %0 : tensor<2x2x?x16xbf16>
}

func.func @window_attention_T0_bf16(%q: tensor<2x1x0x16xbf16>, %k: tensor<2x1x0x16xbf16>, %v: tensor<2x2x0x16xbf16>, %i: tensor<2x2x0x16xbf16>) -> tensor<2x2x0x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<2x1x0x16xbf16>, tensor<2x1x0x16xbf16>, tensor<2x2x0x16xbf16>) outs(%i : tensor<2x2x0x16xbf16>) -> tensor<2x2x0x16xbf16>
  return %0 : tensor<2x2x0x16xbf16>
}

func.func @window_attention_alldyn_bf16(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>, %v: tensor<?x?x?x16xbf16>, %i: tensor<?x?x?x16xbf16>) -> tensor<?x?x?x16xbf16> {
  %0 = rat.window_attention window = 3 ins(%q, %k, %v : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>) outs(%i : tensor<?x?x?x16xbf16>) -> tensor<?x?x?x16xbf16>
  return %0 : tensor<?x?x?x16xbf16>
}

func.func @chunk_attention_step_Bdyn_bf16(%q: tensor<?x1x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x2x16xbf16>, %o: tensor<?x2x16xbf16>, %kc: tensor<?x2x4x16xbf16>, %vc: tensor<?x2x4x16xbf16>, %p: index) -> (tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<?x1x16xbf16>, tensor<?x2x16xbf16>, tensor<?x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>) -> tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>
}

func.func @chunk_attention_step_B0_bf16(%q: tensor<0x1x16xbf16>, %k: tensor<0x2x16xbf16>, %v: tensor<0x2x16xbf16>, %o: tensor<0x2x16xbf16>, %kc: tensor<0x2x4x16xbf16>, %vc: tensor<0x2x4x16xbf16>, %p: index) -> (tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<0x1x16xbf16>, tensor<0x2x16xbf16>, tensor<0x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>) -> tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>
}

func.func @chunk_attention_step_Gdyn_bf16(%q: tensor<2x?x16xbf16>, %k: tensor<2x2x16xbf16>, %v: tensor<2x2x16xbf16>, %o: tensor<2x2x16xbf16>, %kc: tensor<2x2x4x16xbf16>, %vc: tensor<2x2x4x16xbf16>, %p: index) -> (tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x?x16xbf16>, tensor<2x2x16xbf16>, tensor<2x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>) -> tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>
}

func.func @chunk_attention_step_Hdyn_bf16(%q: tensor<2x1x16xbf16>, %k: tensor<2x?x16xbf16>, %v: tensor<2x?x16xbf16>, %o: tensor<2x?x16xbf16>, %kc: tensor<2x?x4x16xbf16>, %vc: tensor<2x?x4x16xbf16>, %p: index) -> (tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x1x16xbf16>, tensor<2x?x16xbf16>, tensor<2x?x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>
}

func.func @chunk_attention_step_H0_bf16(%q: tensor<2x1x16xbf16>, %k: tensor<2x0x16xbf16>, %v: tensor<2x0x16xbf16>, %o: tensor<2x0x16xbf16>, %kc: tensor<2x0x4x16xbf16>, %vc: tensor<2x0x4x16xbf16>, %p: index) -> (tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x1x16xbf16>, tensor<2x0x16xbf16>, tensor<2x0x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>) -> tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>
}

func.func @chunk_attention_step_Rdyn_bf16(%q: tensor<2x1x16xbf16>, %k: tensor<2x2x16xbf16>, %v: tensor<2x2x16xbf16>, %o: tensor<2x2x16xbf16>, %kc: tensor<2x2x?x16xbf16>, %vc: tensor<2x2x?x16xbf16>, %p: index) -> (tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x1x16xbf16>, tensor<2x2x16xbf16>, tensor<2x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>) -> tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>
}

func.func @chunk_attention_step_alldyn_bf16(%q: tensor<?x?x16xbf16>, %k: tensor<?x?x16xbf16>, %v: tensor<?x?x16xbf16>, %o: tensor<?x?x16xbf16>, %kc: tensor<?x?x?x16xbf16>, %vc: tensor<?x?x?x16xbf16>, %p: index) -> (tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<?x?x16xbf16>, tensor<?x?x16xbf16>, tensor<?x?x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>) -> tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
}

func.func @window_attention_step_Bdyn_bf16(%q: tensor<?x1x16xbf16>, %k: tensor<?x2x16xbf16>, %v: tensor<?x2x16xbf16>, %o: tensor<?x2x16xbf16>, %kc: tensor<?x2x4x16xbf16>, %vc: tensor<?x2x4x16xbf16>, %p: index) -> (tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<?x1x16xbf16>, tensor<?x2x16xbf16>, tensor<?x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>) -> tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<?x2x16xbf16>, tensor<?x2x4x16xbf16>, tensor<?x2x4x16xbf16>
}

func.func @window_attention_step_B0_bf16(%q: tensor<0x1x16xbf16>, %k: tensor<0x2x16xbf16>, %v: tensor<0x2x16xbf16>, %o: tensor<0x2x16xbf16>, %kc: tensor<0x2x4x16xbf16>, %vc: tensor<0x2x4x16xbf16>, %p: index) -> (tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<0x1x16xbf16>, tensor<0x2x16xbf16>, tensor<0x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>) -> tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<0x2x16xbf16>, tensor<0x2x4x16xbf16>, tensor<0x2x4x16xbf16>
}

func.func @window_attention_step_Gdyn_bf16(%q: tensor<2x?x16xbf16>, %k: tensor<2x2x16xbf16>, %v: tensor<2x2x16xbf16>, %o: tensor<2x2x16xbf16>, %kc: tensor<2x2x4x16xbf16>, %vc: tensor<2x2x4x16xbf16>, %p: index) -> (tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x?x16xbf16>, tensor<2x2x16xbf16>, tensor<2x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>) -> tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xbf16>, tensor<2x2x4x16xbf16>, tensor<2x2x4x16xbf16>
}

func.func @window_attention_step_Hdyn_bf16(%q: tensor<2x1x16xbf16>, %k: tensor<2x?x16xbf16>, %v: tensor<2x?x16xbf16>, %o: tensor<2x?x16xbf16>, %kc: tensor<2x?x4x16xbf16>, %vc: tensor<2x?x4x16xbf16>, %p: index) -> (tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x1x16xbf16>, tensor<2x?x16xbf16>, tensor<2x?x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x?x16xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>
}

func.func @window_attention_step_H0_bf16(%q: tensor<2x1x16xbf16>, %k: tensor<2x0x16xbf16>, %v: tensor<2x0x16xbf16>, %o: tensor<2x0x16xbf16>, %kc: tensor<2x0x4x16xbf16>, %vc: tensor<2x0x4x16xbf16>, %p: index) -> (tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x1x16xbf16>, tensor<2x0x16xbf16>, tensor<2x0x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>) -> tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x0x16xbf16>, tensor<2x0x4x16xbf16>, tensor<2x0x4x16xbf16>
}

func.func @window_attention_step_Rdyn_bf16(%q: tensor<2x1x16xbf16>, %k: tensor<2x2x16xbf16>, %v: tensor<2x2x16xbf16>, %o: tensor<2x2x16xbf16>, %kc: tensor<2x2x?x16xbf16>, %vc: tensor<2x2x?x16xbf16>, %p: index) -> (tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x1x16xbf16>, tensor<2x2x16xbf16>, tensor<2x2x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>) -> tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<2x2x16xbf16>, tensor<2x2x?x16xbf16>, tensor<2x2x?x16xbf16>
}

func.func @window_attention_step_alldyn_bf16(%q: tensor<?x?x16xbf16>, %k: tensor<?x?x16xbf16>, %v: tensor<?x?x16xbf16>, %o: tensor<?x?x16xbf16>, %kc: tensor<?x?x?x16xbf16>, %vc: tensor<?x?x?x16xbf16>, %p: index) -> (tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<?x?x16xbf16>, tensor<?x?x16xbf16>, tensor<?x?x16xbf16>) position(%p) outs(%o, %kc, %vc : tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>) -> tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  return %0#0, %0#1, %0#2 : tensor<?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
}

func.func @matmul_Bdyn_bf16(%x: tensor<?x8x16xbf16>, %w: tensor<8x16xbf16>, %i: tensor<?x8x8xbf16>) -> tensor<?x8x8xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<?x8x16xbf16>, tensor<8x16xbf16>) outs(%i : tensor<?x8x8xbf16>) -> tensor<?x8x8xbf16>
  return %0 : tensor<?x8x8xbf16>
}

func.func @matmul_B0_bf16(%x: tensor<0x8x16xbf16>, %w: tensor<8x16xbf16>, %i: tensor<0x8x8xbf16>) -> tensor<0x8x8xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<0x8x16xbf16>, tensor<8x16xbf16>) outs(%i : tensor<0x8x8xbf16>) -> tensor<0x8x8xbf16>
  return %0 : tensor<0x8x8xbf16>
}

func.func @matmul_Tdyn_bf16(%x: tensor<2x?x16xbf16>, %w: tensor<8x16xbf16>, %i: tensor<2x?x8xbf16>) -> tensor<2x?x8xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<2x?x16xbf16>, tensor<8x16xbf16>) outs(%i : tensor<2x?x8xbf16>) -> tensor<2x?x8xbf16>
  return %0 : tensor<2x?x8xbf16>
}

func.func @matmul_T0_bf16(%x: tensor<2x0x16xbf16>, %w: tensor<8x16xbf16>, %i: tensor<2x0x8xbf16>) -> tensor<2x0x8xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<2x0x16xbf16>, tensor<8x16xbf16>) outs(%i : tensor<2x0x8xbf16>) -> tensor<2x0x8xbf16>
  return %0 : tensor<2x0x8xbf16>
}

func.func @matmul_Kdyn_bf16(%x: tensor<2x8x?xbf16>, %w: tensor<8x?xbf16>, %i: tensor<2x8x8xbf16>) -> tensor<2x8x8xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x?xbf16>, tensor<8x?xbf16>) outs(%i : tensor<2x8x8xbf16>) -> tensor<2x8x8xbf16>
  return %0 : tensor<2x8x8xbf16>
}

func.func @matmul_K0_bf16(%x: tensor<2x8x0xbf16>, %w: tensor<8x0xbf16>, %i: tensor<2x8x8xbf16>) -> tensor<2x8x8xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x0xbf16>, tensor<8x0xbf16>) outs(%i : tensor<2x8x8xbf16>) -> tensor<2x8x8xbf16>
  return %0 : tensor<2x8x8xbf16>
}

func.func @matmul_Odyn_bf16(%x: tensor<2x8x16xbf16>, %w: tensor<?x16xbf16>, %i: tensor<2x8x?xbf16>) -> tensor<2x8x?xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x16xbf16>, tensor<?x16xbf16>) outs(%i : tensor<2x8x?xbf16>) -> tensor<2x8x?xbf16>
  return %0 : tensor<2x8x?xbf16>
}

func.func @matmul_O0_bf16(%x: tensor<2x8x16xbf16>, %w: tensor<0x16xbf16>, %i: tensor<2x8x0xbf16>) -> tensor<2x8x0xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x16xbf16>, tensor<0x16xbf16>) outs(%i : tensor<2x8x0xbf16>) -> tensor<2x8x0xbf16>
  return %0 : tensor<2x8x0xbf16>
}

func.func @matmul_alldyn_bf16(%x: tensor<?x?x?xbf16>, %w: tensor<?x?xbf16>, %i: tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16> {
  %0 = rat.matmul ins(%x, %w : tensor<?x?x?xbf16>, tensor<?x?xbf16>) outs(%i : tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16>
  return %0 : tensor<?x?x?xbf16>
}
