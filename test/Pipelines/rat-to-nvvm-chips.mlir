// REQUIRES: cuda-toolkit, ptxas, fatbinary
// RUN: rat-opt %s --rat-to-nvvm="format=fatbin chip=sm_80,sm_90a" | FileCheck %s
// RUN: rat-opt %s --rat-to-nvvm="format=isa chip=sm_90a,sm_80" | FileCheck %s --check-prefix=ISA
// RUN: not rat-opt %s --rat-to-nvvm="chip=sm_80,sm_90a" 2>&1 | FileCheck %s --check-prefix=BIN

// A chip list: the kernels (all in one gpu.module, rat-merge-kernel-modules)
// get one NVVM target per chip, each with its PTX version; format=fatbin
// bundles a cubin per chip and the lowest chip's PTX into the one object
// of the gpu.binary (rat-gpu-module-to-fatbin).
// (fatbin is the default object format, so it is not printed; the object
// starts with the fatbin magic 0xBA55ED50.)
// CHECK:       gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx73">, "P\EDU\BA
// CHECK-NOT:   #gpu.object
// CHECK-NOT:   gpu.module
// With format=isa, one PTX object per chip, lowest first.
// ISA:         gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx73">, properties = {{{.*}}O = 3 : i32}, assembly = "{{.*}}.target sm_80
// ISA-SAME:    #gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {{{.*}}O = 3 : i32}, assembly = "{{.*}}.target sm_90a
// A cubin holds one chip's code.
// BIN: 'rat-to-nvvm' options: chip lists several chips (sm_80,sm_90a): format=bin holds one chip's cubin, use format=fatbin (a cubin per chip in one fatbin) or isa
func.func @scan(%g: tensor<2x37x24xf32>, %x: tensor<2x37x24xf32>) -> tensor<2x37x24xf32> {
  %e = tensor.empty() : tensor<2x37x24xf32>
  %0 = rat.chunk_scan chunk_size = 3 ins(%g, %x : tensor<2x37x24xf32>, tensor<2x37x24xf32>) outs(%e : tensor<2x37x24xf32>) -> tensor<2x37x24xf32>
  return %0 : tensor<2x37x24xf32>
}
