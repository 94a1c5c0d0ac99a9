/*===- fake_cuda_decode.c - Fakes with capturable decode steps ---*- C -*-===*\
|*                                                                            *|
|* Like fake_lm.c and fake_layer.c, but decode runs on the device as          *|
|* gpu-to-llvm output does: temporaries from _mlir_memref_to_llvm_alloc, one  *|
|* stream per launch (create, launch, synchronise, destroy), decode state    *|
|* updated in place (state_inout); the layer's position passed to the        *|
|* kernels by value, the LM's read from its generation state in device       *|
|* memory. So its decode steps can be captured into a CUDA graph and         *|
|* replayed, and the kernels check that every replay sees the right position *|
|* and state: a wrong one makes the LM generate token -100 (out of range)    *|
|* and the layer write NaN.                                                   *|
|*                                                                            *|
|* The kernels exist twice: as PTX for a real GPU, and as host functions      *|
|* (fake_kernel_*) for fake_libcuda.c. Prefill computes on the host through  *|
|* FakeModel.h's copies, as the other CUDA fakes do.                          *|
|*                                                                            *|
|* FAKE_LAYER selects the rat_layer model, else the lm.                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define FAKE_TARGET_CUDA
#include "FakeModel.h"

#include <math.h>

void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuStreamDestroy(void *stream);
void *_mlir_memref_to_llvm_alloc(size_t sizeBytes);
void _mlir_memref_to_llvm_free(void *ptr);

#define VOCAB 8
#define WIDTH 4

/*===------------------------------------------------------------------===*
 * Kernels: PTX, and the same on the host for the fake driver
 *===------------------------------------------------------------------===*/

static char kernelsPtx[] =
    ".version 7.0\n"
    ".target sm_70\n"
    ".address_size 64\n"
    /* tmp[i] = count[i] == position[i] ? argmax(logits[i, :]) : -100;
       position[i] += 1; count[i] += 1 */
    ".visible .entry lm_step(.param .u64 plogits, .param .u64 ppos,\n"
    "    .param .u64 pcount, .param .u64 ptmp, .param .u64 pn)\n"
    "{\n"
    "  .reg .pred %p<5>;\n"
    "  .reg .b32 %r<12>;\n"
    "  .reg .b64 %rd<20>;\n"
    "  .reg .f32 %f<4>;\n"
    "  ld.param.u64 %rd1, [plogits];\n"
    "  ld.param.u64 %rd2, [ppos];\n"
    "  ld.param.u64 %rd3, [pcount];\n"
    "  ld.param.u64 %rd4, [ptmp];\n"
    "  ld.param.u64 %rd5, [pn];\n"
    "  mov.u32 %r1, %ctaid.x;\n"
    "  mov.u32 %r2, %ntid.x;\n"
    "  mov.u32 %r3, %tid.x;\n"
    "  mad.lo.s32 %r4, %r1, %r2, %r3;\n"
    "  cvt.u64.u32 %rd6, %r4;\n"
    "  setp.ge.u64 %p1, %rd6, %rd5;\n"
    "  @%p1 bra LM_STEP_DONE;\n"
    "  cvta.to.global.u64 %rd1, %rd1;\n"
    "  cvta.to.global.u64 %rd2, %rd2;\n"
    "  cvta.to.global.u64 %rd3, %rd3;\n"
    "  cvta.to.global.u64 %rd4, %rd4;\n"
    "  shl.b64 %rd7, %rd6, 5;\n"
    "  add.s64 %rd8, %rd1, %rd7;\n"
    "  ld.global.f32 %f1, [%rd8];\n"
    "  mov.u32 %r5, 0;\n"
    "  mov.u32 %r6, 1;\n"
    "LM_STEP_LOOP:\n"
    "  mul.wide.u32 %rd9, %r6, 4;\n"
    "  add.s64 %rd10, %rd8, %rd9;\n"
    "  ld.global.f32 %f2, [%rd10];\n"
    "  setp.gt.f32 %p2, %f2, %f1;\n"
    "  selp.f32 %f1, %f2, %f1, %p2;\n"
    "  selp.b32 %r5, %r6, %r5, %p2;\n"
    "  add.s32 %r6, %r6, 1;\n"
    "  setp.lt.u32 %p3, %r6, 8;\n"
    "  @%p3 bra LM_STEP_LOOP;\n"
    "  shl.b64 %rd11, %rd6, 2;\n"
    "  add.s64 %rd12, %rd2, %rd11;\n"
    "  shl.b64 %rd13, %rd6, 3;\n"
    "  add.s64 %rd14, %rd3, %rd13;\n"
    "  ld.global.u32 %r7, [%rd12];\n"
    "  ld.global.u64 %rd15, [%rd14];\n"
    "  cvt.s64.s32 %rd16, %r7;\n"
    "  setp.ne.s64 %p4, %rd15, %rd16;\n"
    "  selp.b32 %r8, -100, %r5, %p4;\n"
    "  add.s64 %rd17, %rd4, %rd11;\n"
    "  st.global.u32 [%rd17], %r8;\n"
    "  add.s32 %r9, %r7, 1;\n"
    "  st.global.u32 [%rd12], %r9;\n"
    "  add.s64 %rd18, %rd16, 1;\n"
    "  st.global.u64 [%rd14], %rd18;\n"
    "LM_STEP_DONE:\n"
    "  ret;\n"
    "}\n"
    /* token[i] = finished[i] ? -1 : tmp[i];
       logits[i, v] = v == (tmp[i] + 1) % 8 ? scale[v] : 0 */
    ".visible .entry lm_out(.param .u64 ptmp, .param .u64 pscale,\n"
    "    .param .u64 pfinished, .param .u64 ptoken, .param .u64 plogits,\n"
    "    .param .u64 pn)\n"
    "{\n"
    "  .reg .pred %p<5>;\n"
    "  .reg .b32 %r<12>;\n"
    "  .reg .b64 %rd<20>;\n"
    "  .reg .f32 %f<3>;\n"
    "  ld.param.u64 %rd1, [ptmp];\n"
    "  ld.param.u64 %rd2, [pscale];\n"
    "  ld.param.u64 %rd3, [pfinished];\n"
    "  ld.param.u64 %rd4, [ptoken];\n"
    "  ld.param.u64 %rd5, [plogits];\n"
    "  ld.param.u64 %rd6, [pn];\n"
    "  mov.u32 %r1, %ctaid.x;\n"
    "  mov.u32 %r2, %ntid.x;\n"
    "  mov.u32 %r3, %tid.x;\n"
    "  mad.lo.s32 %r4, %r1, %r2, %r3;\n"
    "  cvt.u64.u32 %rd7, %r4;\n"
    "  setp.ge.u64 %p1, %rd7, %rd6;\n"
    "  @%p1 bra LM_OUT_DONE;\n"
    "  cvta.to.global.u64 %rd1, %rd1;\n"
    "  cvta.to.global.u64 %rd2, %rd2;\n"
    "  cvta.to.global.u64 %rd3, %rd3;\n"
    "  cvta.to.global.u64 %rd4, %rd4;\n"
    "  cvta.to.global.u64 %rd5, %rd5;\n"
    "  shl.b64 %rd8, %rd7, 2;\n"
    "  add.s64 %rd9, %rd1, %rd8;\n"
    "  ld.global.u32 %r5, [%rd9];\n"
    "  add.s64 %rd10, %rd3, %rd8;\n"
    "  ld.global.u32 %r6, [%rd10];\n"
    "  setp.ne.s32 %p2, %r6, 0;\n"
    "  selp.b32 %r7, -1, %r5, %p2;\n"
    "  add.s64 %rd11, %rd4, %rd8;\n"
    "  st.global.u32 [%rd11], %r7;\n"
    "  add.s32 %r8, %r5, 1;\n"
    "  and.b32 %r8, %r8, 7;\n"
    "  shl.b64 %rd12, %rd7, 5;\n"
    "  add.s64 %rd13, %rd5, %rd12;\n"
    "  mov.u32 %r9, 0;\n"
    "LM_OUT_LOOP:\n"
    "  setp.eq.s32 %p3, %r9, %r8;\n"
    "  mul.wide.u32 %rd14, %r9, 4;\n"
    "  add.s64 %rd15, %rd2, %rd14;\n"
    "  ld.global.f32 %f1, [%rd15];\n"
    "  selp.f32 %f2, %f1, 0f00000000, %p3;\n"
    "  add.s64 %rd16, %rd13, %rd14;\n"
    "  st.global.f32 [%rd16], %f2;\n"
    "  add.s32 %r9, %r9, 1;\n"
    "  setp.lt.u32 %p4, %r9, 8;\n"
    "  @%p4 bra LM_OUT_LOOP;\n"
    "LM_OUT_DONE:\n"
    "  ret;\n"
    "}\n"
    /* i < n = B * 4: b = i / 4, d = i % 4; sum[i] += x[i];
       y[i] = steps[b] == position ? w[d] * sum[i] : NaN */
    ".visible .entry layer_step(.param .u64 px, .param .u64 pw,\n"
    "    .param .u64 psum, .param .u64 psteps, .param .u64 ppos,\n"
    "    .param .u64 py, .param .u64 pn)\n"
    "{\n"
    "  .reg .pred %p<3>;\n"
    "  .reg .b32 %r<6>;\n"
    "  .reg .b64 %rd<24>;\n"
    "  .reg .f32 %f<8>;\n"
    "  ld.param.u64 %rd1, [px];\n"
    "  ld.param.u64 %rd2, [pw];\n"
    "  ld.param.u64 %rd3, [psum];\n"
    "  ld.param.u64 %rd4, [psteps];\n"
    "  ld.param.u64 %rd5, [ppos];\n"
    "  ld.param.u64 %rd6, [py];\n"
    "  ld.param.u64 %rd7, [pn];\n"
    "  mov.u32 %r1, %ctaid.x;\n"
    "  mov.u32 %r2, %ntid.x;\n"
    "  mov.u32 %r3, %tid.x;\n"
    "  mad.lo.s32 %r4, %r1, %r2, %r3;\n"
    "  cvt.u64.u32 %rd8, %r4;\n"
    "  setp.ge.u64 %p1, %rd8, %rd7;\n"
    "  @%p1 bra LAYER_STEP_DONE;\n"
    "  cvta.to.global.u64 %rd1, %rd1;\n"
    "  cvta.to.global.u64 %rd2, %rd2;\n"
    "  cvta.to.global.u64 %rd3, %rd3;\n"
    "  cvta.to.global.u64 %rd4, %rd4;\n"
    "  cvta.to.global.u64 %rd6, %rd6;\n"
    "  shl.b64 %rd9, %rd8, 2;\n"
    "  shr.u64 %rd10, %rd8, 2;\n"
    "  and.b64 %rd11, %rd8, 3;\n"
    "  add.s64 %rd12, %rd1, %rd9;\n"
    "  add.s64 %rd13, %rd3, %rd9;\n"
    "  add.s64 %rd14, %rd6, %rd9;\n"
    "  shl.b64 %rd15, %rd11, 2;\n"
    "  add.s64 %rd16, %rd2, %rd15;\n"
    "  shl.b64 %rd17, %rd10, 3;\n"
    "  add.s64 %rd18, %rd4, %rd17;\n"
    "  ld.global.f32 %f1, [%rd12];\n"
    "  ld.global.f32 %f2, [%rd13];\n"
    "  add.f32 %f3, %f2, %f1;\n"
    "  st.global.f32 [%rd13], %f3;\n"
    "  ld.global.f32 %f4, [%rd16];\n"
    "  mul.f32 %f5, %f4, %f3;\n"
    "  ld.global.u64 %rd19, [%rd18];\n"
    "  setp.eq.s64 %p2, %rd19, %rd5;\n"
    "  selp.f32 %f6, %f5, 0f7FC00000, %p2;\n"
    "  st.global.f32 [%rd14], %f6;\n"
    "LAYER_STEP_DONE:\n"
    "  ret;\n"
    "}\n"
    /* steps[i] = position + 1 for i < n = B */
    ".visible .entry layer_count(.param .u64 psteps, .param .u64 ppos,\n"
    "    .param .u64 pn)\n"
    "{\n"
    "  .reg .pred %p<2>;\n"
    "  .reg .b32 %r<5>;\n"
    "  .reg .b64 %rd<10>;\n"
    "  ld.param.u64 %rd1, [psteps];\n"
    "  ld.param.u64 %rd2, [ppos];\n"
    "  ld.param.u64 %rd3, [pn];\n"
    "  mov.u32 %r1, %ctaid.x;\n"
    "  mov.u32 %r2, %ntid.x;\n"
    "  mov.u32 %r3, %tid.x;\n"
    "  mad.lo.s32 %r4, %r1, %r2, %r3;\n"
    "  cvt.u64.u32 %rd4, %r4;\n"
    "  setp.ge.u64 %p1, %rd4, %rd3;\n"
    "  @%p1 bra LAYER_COUNT_DONE;\n"
    "  cvta.to.global.u64 %rd1, %rd1;\n"
    "  shl.b64 %rd5, %rd4, 3;\n"
    "  add.s64 %rd6, %rd1, %rd5;\n"
    "  add.s64 %rd7, %rd2, 1;\n"
    "  st.global.u64 [%rd6], %rd7;\n"
    "LAYER_COUNT_DONE:\n"
    "  ret;\n"
    "}\n";

/* The host versions: one loop over the grid's threads. */
#define THREADS(grid, block) ((uint64_t)(grid)[0] * (block)[0])

const unsigned fake_kernel_lm_step_params[] = {8, 8, 8, 8, 8, 0};
void fake_kernel_lm_step(const unsigned grid[3], const unsigned block[3],
                         void **params) {
  const float *logits = *(float **)params[0];
  int32_t *position = *(int32_t **)params[1];
  int64_t *count = *(int64_t **)params[2];
  int32_t *tmp = *(int32_t **)params[3];
  uint64_t n = *(uint64_t *)params[4];
  for (uint64_t i = 0; i < THREADS(grid, block) && i < n; ++i) {
    int32_t best = 0;
    for (int v = 1; v < VOCAB; ++v)
      if (logits[i * VOCAB + v] > logits[i * VOCAB + best])
        best = v;
    tmp[i] = count[i] == position[i] ? best : -100;
    count[i] = (int64_t)position[i] + 1;
    position[i] += 1;
  }
}

const unsigned fake_kernel_lm_out_params[] = {8, 8, 8, 8, 8, 8, 0};
void fake_kernel_lm_out(const unsigned grid[3], const unsigned block[3],
                        void **params) {
  const int32_t *tmp = *(int32_t **)params[0];
  const float *scale = *(float **)params[1];
  const int32_t *finished = *(int32_t **)params[2];
  int32_t *token = *(int32_t **)params[3];
  float *logits = *(float **)params[4];
  uint64_t n = *(uint64_t *)params[5];
  for (uint64_t i = 0; i < THREADS(grid, block) && i < n; ++i) {
    token[i] = finished[i] ? -1 : tmp[i];
    for (int v = 0; v < VOCAB; ++v)
      logits[i * VOCAB + v] = v == ((tmp[i] + 1) & 7) ? scale[v] : 0.0f;
  }
}

const unsigned fake_kernel_layer_step_params[] = {8, 8, 8, 8, 8, 8, 8, 0};
void fake_kernel_layer_step(const unsigned grid[3], const unsigned block[3],
                            void **params) {
  const float *x = *(float **)params[0];
  const float *w = *(float **)params[1];
  float *sum = *(float **)params[2];
  const int64_t *steps = *(int64_t **)params[3];
  int64_t position = *(int64_t *)params[4];
  float *y = *(float **)params[5];
  uint64_t n = *(uint64_t *)params[6];
  for (uint64_t i = 0; i < THREADS(grid, block) && i < n; ++i) {
    sum[i] += x[i];
    y[i] = steps[i / WIDTH] == position ? w[i % WIDTH] * sum[i] : NAN;
  }
}

const unsigned fake_kernel_layer_count_params[] = {8, 8, 8, 0};
void fake_kernel_layer_count(const unsigned grid[3], const unsigned block[3],
                             void **params) {
  int64_t *steps = *(int64_t **)params[0];
  int64_t position = *(int64_t *)params[1];
  uint64_t n = *(uint64_t *)params[2];
  for (uint64_t i = 0; i < THREADS(grid, block) && i < n; ++i)
    steps[i] = position + 1;
}

static void *module;

__attribute__((constructor(123))) static void loadKernels(void) {
  module = mgpuModuleLoadJIT(kernelsPtx, 2);
}

__attribute__((destructor(123))) static void unloadKernels(void) {
  mgpuModuleUnload(module);
}

/* What gpu-to-llvm emits for one synchronous gpu.launch_func. */
static void launch(const char *name, uint64_t threads, void **params,
                   size_t count) {
  void *function = mgpuModuleGetFunction(module, name);
  void *stream = mgpuStreamCreate();
  intptr_t blocks = (intptr_t)((threads + 127) / 128);
  mgpuLaunchKernel(function, blocks ? blocks : 1, 1, 1, 128, 1, 1, 0, stream,
                   params, NULL, count);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
}

static void *dataOf(const void *descriptor, size_t elementSize) {
  const MemRef0 *memref = (const MemRef0 *)descriptor;
  return (char *)memref->aligned + memref->offset * (int64_t)elementSize;
}

#ifndef FAKE_LAYER

/*===------------------------------------------------------------------===*
 * lm: next = (token + 1) % 8 (the generation ABI of fake_lm.c, greedy
 * only: sampling parameters and eos ids are ignored), count of tokens seen
 * as state
 *===------------------------------------------------------------------===*/

const char __rat_manifest[] = FAKE_LM_MANIFEST("cuda", "64");

static void prefill(void **args) {
  MemRef2 tokens = *(MemRef2 *)args[1];
  MemRef1 lengths = *(MemRef1 *)args[2];
  MemRef1 scale = *(MemRef1 *)args[3];
  argumentToHost(&tokens, 2, 4);
  argumentToHost(&lengths, 1, 4);
  argumentToHost(&scale, 1, 4);
  int64_t batch = tokens.sizes[0], length = tokens.sizes[1], vocab = VOCAB;
  float *logits = (float *)malloc((size_t)(batch * length * VOCAB) * 4 + 1);
  float *last = (float *)malloc((size_t)(batch * VOCAB) * 4 + 1);
  int32_t *position = (int32_t *)malloc((size_t)batch * 4 + 1);
  int64_t *count = (int64_t *)malloc((size_t)batch * 8 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    int32_t n = AT(&lengths, int32_t, b);
    for (int64_t t = 0; t < length; ++t) {
      int32_t next = (AT(&tokens, int32_t, b * length + t) + 1) % VOCAB;
      for (int v = 0; v < VOCAB; ++v)
        logits[(b * length + t) * VOCAB + v] =
            v == next ? AT(&scale, float, v) : 0.0f;
    }
    memcpy(last + b * VOCAB, logits + (b * length + n - 1) * VOCAB,
           VOCAB * 4);
    position[b] = n;
    count[b] = n;
  }
  int64_t *words = (int64_t *)args[0];
  int64_t logitsShape[3] = {batch, length, VOCAB};
  int64_t lastShape[2] = {batch, vocab};
  setResult(words, logits, 3, logitsShape);
  setResult(words + 9, last, 2, lastShape);
  setResult(words + 16, position, 1, &batch);
  setResult(words + 21, count, 1, &batch);
  resultToDevice(words, 3, 4);
  resultToDevice(words + 9, 2, 4);
  resultToDevice(words + 16, 1, 4);
  resultToDevice(words + 21, 1, 8);
  freeHostArgument(&tokens);
  freeHostArgument(&lengths);
  freeHostArgument(&scale);
}

static void decode(void **args) {
  MemRef2 *logits = (MemRef2 *)args[1];
  MemRef1 *position = (MemRef1 *)args[2];
  MemRef1 *finished = (MemRef1 *)args[3];
  MemRef1 *count = (MemRef1 *)args[9];
  MemRef1 *scale = (MemRef1 *)args[10];
  uint64_t batch = (uint64_t)position->sizes[0];
  void *logitsData = dataOf(logits, 4), *positionData = dataOf(position, 4);
  void *finishedData = dataOf(finished, 4), *countData = dataOf(count, 8);
  void *scaleData = dataOf(scale, 4);
  void *tmp = _mlir_memref_to_llvm_alloc(batch * 4);
  void *token = _mlir_memref_to_llvm_alloc(batch * 4);
  void *step[] = {&logitsData, &positionData, &countData, &tmp, &batch};
  launch("lm_step", batch, step, 5);
  void *out[] = {&tmp, &scaleData, &finishedData, &token, &logitsData,
                 &batch};
  launch("lm_out", batch, out, 6);
  _mlir_memref_to_llvm_free(tmp);
  int64_t b = (int64_t)batch;
  setResult(args[0], token, 1, &b);
}

#else /* FAKE_LAYER */

/*===------------------------------------------------------------------===*
 * rat_layer: y[b, t] = w * (x[b, 0] + ... + x[b, t])
 *===------------------------------------------------------------------===*/

const char __rat_manifest[] = "rat-manifest 1\n"
                              "model rat_layer\n"
                              "target cuda\n"
                              "dtype f32\n"
                              "param max_seq_len 64\n"
                              "entry prefill\n"
                              "arg input x f32 B,T,4\n"
                              "arg weight w f32 4\n"
                              "result output y f32 B,T,4\n"
                              "end\n"
                              "entry decode\n"
                              "arg input x f32 B,1,4\n"
                              "arg index position\n"
                              "arg weight w f32 4\n"
                              "arg state_inout sum f32 B,4\n"
                              "arg state_inout steps i64 B\n"
                              "result output y f32 B,1,4\n"
                              "end\n";

static void prefill(void **args) {
  MemRef3 x = *(MemRef3 *)args[1];
  MemRef1 w = *(MemRef1 *)args[2];
  argumentToHost(&x, 3, 4);
  argumentToHost(&w, 1, 4);
  int64_t batch = x.sizes[0], length = x.sizes[1];
  float *y = (float *)malloc((size_t)(batch * length * WIDTH) * 4 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    float sum[WIDTH] = {0};
    for (int64_t t = 0; t < length; ++t)
      for (int d = 0; d < WIDTH; ++d) {
        int64_t i = (b * length + t) * WIDTH + d;
        sum[d] += AT(&x, float, i);
        y[i] = AT(&w, float, d) * sum[d];
      }
  }
  setResult(args[0], y, 3, x.sizes);
  resultToDevice(args[0], 3, 4);
  freeHostArgument(&x);
  freeHostArgument(&w);
}

static void decode(void **args) {
  MemRef3 *x = (MemRef3 *)args[1];
  int64_t position = *(int64_t *)args[2];
  MemRef1 *w = (MemRef1 *)args[3];
  MemRef2 *sum = (MemRef2 *)args[4];
  MemRef1 *steps = (MemRef1 *)args[5];
  uint64_t batch = (uint64_t)x->sizes[0], n = batch * WIDTH;
  void *xData = dataOf(x, 4), *wData = dataOf(w, 4);
  void *sumData = dataOf(sum, 4), *stepsData = dataOf(steps, 8);
  void *y = _mlir_memref_to_llvm_alloc(n * 4);
  void *step[] = {&xData, &wData, &sumData, &stepsData, &position, &y, &n};
  launch("layer_step", n, step, 7);
  void *count[] = {&stepsData, &position, &batch};
  launch("layer_count", batch, count, 3);
  int64_t shape[3] = {(int64_t)batch, 1, WIDTH};
  setResult(args[0], y, 3, shape);
}

#endif /* FAKE_LAYER */

const RatEntry __rat_entries[] = {{"prefill", prefill}, {"decode", decode}};
const int64_t __rat_num_entries = 2;
