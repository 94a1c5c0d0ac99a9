/*===- fake_layer.c - A hand-written `rat_layer` model ------------*- C -*-===*\
|*                                                                            *|
|* A toy recurrence: y[b, t] = w * (x[b, 0] + ... + x[b, t]). prefill scans   *|
|* the whole sequence; decode carries the running sum as state, updated in    *|
|* place, so `--decode` must reproduce prefill exactly.                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeModel.h"

#define WIDTH 4

#ifdef FAKE_TARGET_CUDA
#define FAKE_TARGET "cuda"
#else
#define FAKE_TARGET "cpu"
#endif

const char __rat_manifest[] = "rat-manifest 1\n"
                              "model rat_layer\n"
                              "target " FAKE_TARGET "\n"
                              "dtype f32\n"
                              "param chunk_size 2\n"
                              "entry prefill\n"
                              "arg input x f32 B,T,4\n"
                              "arg weight w f32 4\n"
                              "result output y f32 B,T,4\n"
                              "end\n"
                              "entry decode\n"
                              "arg input x f32 B,1,4\n"
                              "arg index position\n"
                              "arg weight w f32 4\n"
                              "arg state sum f32 B,4\n"
                              "result output y f32 B,1,4\n"
                              "result state sum f32 B,4\n"
                              "end\n";

static void prefill(void **args) {
  MemRef3 *x = (MemRef3 *)args[1];
  MemRef1 *w = (MemRef1 *)args[2];
  int64_t batch = x->sizes[0], length = x->sizes[1];
  float *y = (float *)malloc((size_t)(batch * length * WIDTH) * 4 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    float sum[WIDTH] = {0};
    for (int64_t t = 0; t < length; ++t)
      for (int d = 0; d < WIDTH; ++d) {
        int64_t i = (b * length + t) * WIDTH + d;
        sum[d] += AT(x, float, i);
        y[i] = AT(w, float, d) * sum[d];
      }
  }
  setResult(args[0], y, 3, x->sizes);
}

/* Updates the state in place and returns the argument's buffer as the new
   state, as bufferized code may: the runtime must neither free it nor lose
   it. */
static void decode(void **args) {
  MemRef3 *x = (MemRef3 *)args[1];
  MemRef1 *w = (MemRef1 *)args[3];
  MemRef2 *sum = (MemRef2 *)args[4];
  int64_t batch = x->sizes[0];
  float *y = (float *)malloc((size_t)(batch * WIDTH) * 4 + 1);
  for (int64_t i = 0; i < batch * WIDTH; ++i) {
    AT(sum, float, i) += AT(x, float, i);
    y[i] = AT(w, float, i % WIDTH) * AT(sum, float, i);
  }
  int64_t *words = (int64_t *)args[0];
  int64_t yShape[3] = {batch, 1, WIDTH};
  setResult(words, y, 3, yShape);
  memcpy(words + 9, sum, sizeof(MemRef2));
}

#ifdef FAKE_TARGET_CUDA
static void prefillOnDevice(void **args) {
  MemRef3 x = *(MemRef3 *)args[1];
  MemRef1 w = *(MemRef1 *)args[2];
  argumentToHost(&x, 3, 4);
  argumentToHost(&w, 1, 4);
  void *hostArgs[] = {args[0], &x, &w};
  prefill(hostArgs);
  resultToDevice(args[0], 3, 4);
  freeHostArgument(&x);
  freeHostArgument(&w);
}

/* Keeps decode's in-place contract on the device: the updated sum is copied
   back into the state argument's device buffer, which is returned. */
static void decodeOnDevice(void **args) {
  MemRef3 x = *(MemRef3 *)args[1];
  MemRef1 w = *(MemRef1 *)args[3];
  MemRef2 deviceSum = *(MemRef2 *)args[4];
  MemRef2 sum = deviceSum;
  argumentToHost(&x, 3, 4);
  argumentToHost(&w, 1, 4);
  argumentToHost(&sum, 2, 4);
  void *hostArgs[] = {args[0], &x, args[2], &w, &sum};
  decode(hostArgs);
  int64_t *words = (int64_t *)args[0];
  resultToDevice(words, 3, 4);
  size_t bytes = (size_t)(sum.sizes[0] * sum.sizes[1]) * 4;
  mgpuMemcpy((float *)deviceSum.aligned + deviceSum.offset, sum.aligned, bytes,
             NULL);
  mgpuStreamSynchronize(NULL);
  memcpy(words + 9, &deviceSum, sizeof(MemRef2));
  freeHostArgument(&x);
  freeHostArgument(&w);
  freeHostArgument(&sum);
}

const RatEntry __rat_entries[] = {{"prefill", prefillOnDevice},
                                  {"decode", decodeOnDevice}};
#else
const RatEntry __rat_entries[] = {{"prefill", prefill}, {"decode", decode}};
#endif
const int64_t __rat_num_entries = 2;
