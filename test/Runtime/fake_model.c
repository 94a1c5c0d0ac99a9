/*===- fake_model.c - A hand-written `function` model -------------*- C -*-===*\
|*                                                                            *|
|* Stands in for a compiled object: defines the manifest and entry table the  *|
|* generic main reads, and implements each entry on the packed convention,    *|
|* results allocated with malloc as the CPU target does.                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeModel.h"

#ifdef FAKE_TARGET_CUDA
#define FAKE_TARGET "cuda"
#else
#define FAKE_TARGET "cpu"
#endif

const char __rat_manifest[] =
    "rat-manifest 1\n"
    "model function\n"
    "target " FAKE_TARGET "\n"
    "dtype f32\n"
    "param purpose runtime-test\n"
    "entry axpy                       # z = alpha * x + y\n"
    "arg input x f32 N\n"
    "arg input y f32 N\n"
    "arg weight alpha f32 -\n"
    "result output z f32 N\n"
    "end\n"
    "entry scale                      # out = k * m, total = sum(m)\n"
    "arg input m f32 R,4\n"
    "arg index k\n"
    "result output out f32 R,4\n"
    "result output total f32 -\n"
    "end\n"
    "entry halve                      # bf16 in, bf16 out\n"
    "arg input x bf16 ?\n"
    "result output y bf16 ?\n"
    "end\n"
    "entry identity                   # returns its argument's buffer\n"
    "arg input x i32 N\n"
    "result output y i32 N\n"
    "end\n"
    "entry wrong_shape                # returns [N + 1] for a [N] result\n"
    "arg input x f32 N\n"
    "result output y f32 N\n"
    "end\n";

static void axpy(void **args) {
  MemRef1 *x = (MemRef1 *)args[1], *y = (MemRef1 *)args[2];
  MemRef0 *alpha = (MemRef0 *)args[3];
  int64_t n = x->sizes[0];
  float *z = (float *)malloc((size_t)n * sizeof(float) + 1);
  float a = AT(alpha, float, 0);
  for (int64_t i = 0; i < n; ++i)
    z[i] = a * AT(x, float, i) + AT(y, float, i);
  setResult(args[0], z, 1, &n);
}

static void scale(void **args) {
  MemRef2 *m = (MemRef2 *)args[1];
  int64_t k = *(int64_t *)args[2];
  int64_t count = m->sizes[0] * m->sizes[1];
  float *out = (float *)malloc((size_t)count * sizeof(float) + 1);
  float *total = (float *)malloc(sizeof(float));
  *total = 0;
  for (int64_t i = 0; i < count; ++i) {
    out[i] = (float)k * AT(m, float, i);
    *total += AT(m, float, i);
  }
  int64_t *words = (int64_t *)args[0];
  setResult(words, out, 2, m->sizes);
  setResult(words + 3 + 2 * 2, total, 0, NULL);
}

static float bf16ToFloat(uint16_t value) {
  uint32_t bits = (uint32_t)value << 16;
  float result;
  memcpy(&result, &bits, sizeof(result));
  return result;
}

static uint16_t floatToBf16(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static void halve(void **args) {
  MemRef1 *x = (MemRef1 *)args[1];
  int64_t n = x->sizes[0];
  uint16_t *y = (uint16_t *)malloc((size_t)n * sizeof(uint16_t) + 1);
  for (int64_t i = 0; i < n; ++i)
    y[i] = floatToBf16(bf16ToFloat(AT(x, uint16_t, i)) / 2);
  setResult(args[0], y, 1, &n);
}

static void identity(void **args) {
  MemRef1 *x = (MemRef1 *)args[1];
  /* Aliasing the argument: the runtime must not free it twice. */
  setResult(args[0], x->allocated, 1, x->sizes);
}

static void wrongShape(void **args) {
  MemRef1 *x = (MemRef1 *)args[1];
  int64_t n = x->sizes[0] + 1;
  float *y = (float *)calloc((size_t)n, sizeof(float));
  setResult(args[0], y, 1, &n);
}

const RatEntry __rat_entries[] = {{"axpy", axpy},
                                  {"scale", scale},
                                  {"halve", halve},
                                  {"identity", identity},
                                  {"wrong_shape", wrongShape}};
const int64_t __rat_num_entries =
    sizeof(__rat_entries) / sizeof(__rat_entries[0]);
