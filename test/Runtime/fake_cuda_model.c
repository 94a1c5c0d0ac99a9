/*===- fake_cuda_model.c - A hand-written CUDA `function` model ---*- C -*-===*\
|*                                                                            *|
|* Mimics what gpu-to-llvm emits: a global constructor (priority 123)         *|
|* registers a PTX image before main, entries create a stream, allocate the   *|
|* result in device memory, launch, synchronise and destroy the stream, and   *|
|* a global destructor unloads the module. Without a driver the executable    *|
|* must fail cleanly; with a GPU (or fake_libcuda.c, which runs              *|
|* fake_kernel_axpy) it computes z = 2 * x + y.                              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeModel.h"

#include <stdbool.h>
#include <stddef.h>

void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);

const char __rat_manifest[] = "rat-manifest 1\n"
                              "model function\n"
                              "target cuda\n"
                              "dtype f32\n"
                              "entry axpy\n"
                              "arg input x f32 N\n"
                              "arg input y f32 N\n"
                              "result output z f32 N\n"
                              "end\n";

static char axpyPtx[] =
    ".version 7.0\n"
    ".target sm_70\n"
    ".address_size 64\n"
    ".visible .entry axpy(.param .u64 px, .param .u64 py, .param .u64 pout,\n"
    "                     .param .u32 pn)\n"
    "{\n"
    "  .reg .pred %p<2>;\n"
    "  .reg .b32 %r<6>;\n"
    "  .reg .b64 %rd<8>;\n"
    "  .reg .f32 %f<4>;\n"
    "  ld.param.u64 %rd1, [px];\n"
    "  ld.param.u64 %rd2, [py];\n"
    "  ld.param.u64 %rd3, [pout];\n"
    "  ld.param.u32 %r1, [pn];\n"
    "  mov.u32 %r2, %ctaid.x;\n"
    "  mov.u32 %r3, %ntid.x;\n"
    "  mov.u32 %r4, %tid.x;\n"
    "  mad.lo.s32 %r5, %r2, %r3, %r4;\n"
    "  setp.ge.u32 %p1, %r5, %r1;\n"
    "  @%p1 bra DONE;\n"
    "  mul.wide.u32 %rd4, %r5, 4;\n"
    "  cvta.to.global.u64 %rd1, %rd1;\n"
    "  cvta.to.global.u64 %rd2, %rd2;\n"
    "  cvta.to.global.u64 %rd3, %rd3;\n"
    "  add.s64 %rd5, %rd1, %rd4;\n"
    "  add.s64 %rd6, %rd2, %rd4;\n"
    "  add.s64 %rd7, %rd3, %rd4;\n"
    "  ld.global.f32 %f1, [%rd5];\n"
    "  ld.global.f32 %f2, [%rd6];\n"
    "  fma.rn.f32 %f3, %f1, 0f40000000, %f2;\n"
    "  st.global.f32 [%rd7], %f3;\n"
    "DONE:\n"
    "  ret;\n"
    "}\n";

/* The same kernel on the host, for fake_libcuda.c. */
const unsigned fake_kernel_axpy_params[] = {8, 8, 8, 4, 0};
void fake_kernel_axpy(const unsigned grid[3], const unsigned block[3],
                      void **params) {
  const float *x = *(float **)params[0], *y = *(float **)params[1];
  float *out = *(float **)params[2];
  uint32_t n = *(uint32_t *)params[3];
  for (uint64_t i = 0; i < (uint64_t)grid[0] * block[0] && i < n; ++i)
    out[i] = 2.0f * x[i] + y[i];
}

static void *module;

__attribute__((constructor(123))) static void loadKernels(void) {
  module = mgpuModuleLoadJIT(axpyPtx, 2);
}

__attribute__((destructor(123))) static void unloadKernels(void) {
  mgpuModuleUnload(module);
}

static void axpy(void **args) {
  MemRef1 *x = (MemRef1 *)args[1], *y = (MemRef1 *)args[2];
  int64_t n = x->sizes[0];
  void *stream = mgpuStreamCreate();
  float *z = (float *)mgpuMemAlloc((uint64_t)n * 4, stream, false);
  float *xData = (float *)x->aligned + x->offset;
  float *yData = (float *)y->aligned + y->offset;
  uint32_t count = (uint32_t)n;
  void *params[] = {&xData, &yData, &z, &count};
  void *function = mgpuModuleGetFunction(module, "axpy");
  mgpuLaunchKernel(function, (n + 127) / 128, 1, 1, 128, 1, 1, 0, stream,
                   params, NULL, 4);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  setResult(args[0], z, 1, &n);
}

const RatEntry __rat_entries[] = {{"axpy", axpy}};
const int64_t __rat_num_entries = 1;
