/*===- FakeModel.h - Helpers for hand-written test models ---------*- C -*-===*\
|*                                                                            *|
|* Memref descriptor structs of the packed calling convention, as the         *|
|* compiled code sees them, for the fake models that test the generic main    *|
|* without a compiler.                                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef RAT_TEST_RUNTIME_FAKEMODEL_H
#define RAT_TEST_RUNTIME_FAKEMODEL_H

#include "rat/Runtime/Abi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
} MemRef0;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} MemRef1;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} MemRef2;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} MemRef3;

/* Fills a fresh row-major result descriptor of rank `rank` at `out`. */
static inline void setResult(void *out, void *buffer, int rank,
                             const int64_t *sizes) {
  int64_t *words = (int64_t *)out;
  int64_t stride = 1;
  memcpy(&words[0], &buffer, sizeof(buffer));
  memcpy(&words[1], &buffer, sizeof(buffer));
  words[2] = 0;
  for (int d = rank - 1; d >= 0; --d) {
    words[3 + d] = sizes[d];
    words[3 + rank + d] = stride;
    stride *= sizes[d];
  }
}

/* The manifest of the fake LMs (fake_lm.c, fake_cuda_decode.c): vocabulary
 * 8, one `count` state, the generation ABI of docs/Runtime.md ("Generation"). */
#define FAKE_LM_MANIFEST(TARGET, MAX_SEQ_LEN)                                  \
  "rat-manifest 1\n"                                                          \
  "model lm\n"                                                                \
  "target " TARGET "\n"                                                       \
  "dtype f32\n"                                                               \
  "param vocab_size 8\n"                                                      \
  "param max_seq_len " MAX_SEQ_LEN "\n"                                       \
  "entry prefill\n"                                                           \
  "arg input tokens i32 B,T\n"                                                \
  "arg input lengths i32 B\n"                                                 \
  "arg weight scale f32 8\n"                                                  \
  "result output logits f32 B,T,8\n"                                          \
  "result state gen.logits f32 B,8\n"                                         \
  "result state gen.position i32 B\n"                                         \
  "result state count i64 B\n"                                                \
  "end\n"                                                                     \
  "entry decode\n"                                                            \
  "arg state_inout gen.logits f32 B,8\n"                                      \
  "arg state_inout gen.position i32 B\n"                                      \
  "arg state_inout gen.finished i32 B\n"                                      \
  "arg state_inout gen.temperature f32 B\n"                                   \
  "arg state_inout gen.top_k i32 B\n"                                         \
  "arg state_inout gen.top_p f32 B\n"                                         \
  "arg state_inout gen.seed i64 B\n"                                          \
  "arg state_inout gen.eos i32 B,E\n"                                         \
  "arg state_inout count i64 B\n"                                             \
  "arg weight scale f32 8\n"                                                  \
  "result output token i32 B\n"                                               \
  "end\n"

/* Element i of a descriptor's data, honouring offset (strides are dense). */
#define AT(desc, type, i) (((type *)(desc)->aligned)[(desc)->offset + (i)])

#ifdef FAKE_TARGET_CUDA
#include <stdbool.h>
#include <stddef.h>

/* The CUDA runtime entry points the fakes use (MLIR 22 signatures). */
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void mgpuStreamSynchronize(void *stream);

/* The CUDA variants of the fakes compute on the host: their wrappers copy
   device arguments to host memory and results back to device memory, so the
   runtime sees exactly what a real CUDA model gives it. */

static inline size_t descriptorBytes(const int64_t *words, int rank,
                                     size_t elementSize) {
  size_t count = 1;
  for (int d = 0; d < rank; ++d)
    count *= (size_t)words[3 + d];
  return count * elementSize;
}

/* Rewrites a (copied) argument descriptor to point to a host copy. */
static inline void argumentToHost(void *descriptor, int rank,
                                  size_t elementSize) {
  int64_t *words = (int64_t *)descriptor;
  size_t bytes = descriptorBytes(words, rank, elementSize);
  char *device;
  memcpy(&device, &words[1], sizeof(device));
  device += words[2] * (int64_t)elementSize;
  void *host = malloc(bytes + 1);
  mgpuMemcpy(host, device, bytes, NULL);
  mgpuStreamSynchronize(NULL);
  memcpy(&words[0], &host, sizeof(host));
  memcpy(&words[1], &host, sizeof(host));
  words[2] = 0;
}

/* Moves a host result (from malloc) to fresh device memory. */
static inline void resultToDevice(void *descriptor, int rank,
                                  size_t elementSize) {
  int64_t *words = (int64_t *)descriptor;
  size_t bytes = descriptorBytes(words, rank, elementSize);
  void *host;
  memcpy(&host, &words[0], sizeof(host));
  void *device = mgpuMemAlloc(bytes ? bytes : 1, NULL, false);
  mgpuMemcpy(device, host, bytes, NULL);
  mgpuStreamSynchronize(NULL);
  free(host);
  memcpy(&words[0], &device, sizeof(device));
  memcpy(&words[1], &device, sizeof(device));
  words[2] = 0;
}

/* Frees the host copy made by argumentToHost. */
static inline void freeHostArgument(void *descriptor) {
  void *host;
  memcpy(&host, descriptor, sizeof(host));
  free(host);
}
#endif /* FAKE_TARGET_CUDA */

#endif /* RAT_TEST_RUNTIME_FAKEMODEL_H */
