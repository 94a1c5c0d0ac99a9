/*===- fake_lm.c - A hand-written `lm` model ----------------------*- C -*-===*\
|*                                                                            *|
|* The "language model" predicts next = (token + 1) % V with one-hot logits   *|
|* scaled by a weight, and carries a per-row count of tokens seen as decode   *|
|* state. decode checks that the state it receives equals the position,       *|
|* which catches a runtime that loses or mixes up state between calls.        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeModel.h"

#include <stdio.h>

#define VOCAB 8

#ifdef FAKE_TARGET_CUDA
#define FAKE_TARGET "cuda"
#else
#define FAKE_TARGET "cpu"
#endif

const char __rat_manifest[] = "rat-manifest 1\n"
                              "model lm\n"
                              "target " FAKE_TARGET "\n"
                              "dtype f32\n"
                              "param vocab_size 8\n"
                              "param max_seq_len 32\n"
                              "entry prefill\n"
                              "arg input tokens i32 B,T\n"
                              "arg weight scale f32 8\n"
                              "result output logits f32 B,T,8\n"
                              "result output next_token i32 B\n"
                              "result state count i64 B\n"
                              "end\n"
                              "entry decode\n"
                              "arg input token i32 B\n"
                              "arg index position\n"
                              "arg weight scale f32 8\n"
                              "arg state count i64 B\n"
                              "result output next_token i32 B\n"
                              "result output logits f32 B,1,8\n"
                              "result state count i64 B\n"
                              "end\n";

static void oneHot(float *logits, int32_t token, const MemRef1 *scale) {
  int32_t next = (token + 1) % VOCAB;
  for (int v = 0; v < VOCAB; ++v)
    logits[v] = v == next ? AT(scale, float, v) : 0.0f;
}

static void prefill(void **args) {
  MemRef2 *tokens = (MemRef2 *)args[1];
  MemRef1 *scale = (MemRef1 *)args[2];
  int64_t batch = tokens->sizes[0], length = tokens->sizes[1];
  float *logits = (float *)malloc((size_t)(batch * length * VOCAB) * 4 + 1);
  int32_t *next = (int32_t *)malloc((size_t)batch * 4 + 1);
  int64_t *count = (int64_t *)malloc((size_t)batch * 8 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < length; ++t)
      oneHot(logits + (b * length + t) * VOCAB,
             AT(tokens, int32_t, b * length + t), scale);
    next[b] = (AT(tokens, int32_t, b * length + length - 1) + 1) % VOCAB;
    count[b] = length;
  }
  int64_t *words = (int64_t *)args[0];
  int64_t logitsShape[3] = {batch, length, VOCAB};
  setResult(words, logits, 3, logitsShape);
  setResult(words + 9, next, 1, &batch);
  setResult(words + 14, count, 1, &batch);
}

static void decode(void **args) {
  MemRef1 *token = (MemRef1 *)args[1];
  int64_t position = *(int64_t *)args[2];
  MemRef1 *scale = (MemRef1 *)args[3];
  MemRef1 *count = (MemRef1 *)args[4];
  int64_t batch = token->sizes[0];
  int32_t *next = (int32_t *)malloc((size_t)batch * 4 + 1);
  float *logits = (float *)malloc((size_t)(batch * VOCAB) * 4 + 1);
  int64_t *newCount = (int64_t *)malloc((size_t)batch * 8 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    if (AT(count, int64_t, b) != position) {
      fprintf(stderr, "fake_lm: row %ld has count %ld at position %ld\n",
              (long)b, (long)AT(count, int64_t, b), (long)position);
      exit(3);
    }
    int32_t id = AT(token, int32_t, b);
    next[b] = (id + 1) % VOCAB;
    oneHot(logits + b * VOCAB, id, scale);
    newCount[b] = position + 1;
  }
  int64_t *words = (int64_t *)args[0];
  int64_t logitsShape[3] = {batch, 1, VOCAB};
  setResult(words, next, 1, &batch);
  setResult(words + 5, logits, 3, logitsShape);
  setResult(words + 14, newCount, 1, &batch);
}

#ifdef FAKE_TARGET_CUDA
static void prefillOnDevice(void **args) {
  MemRef2 tokens = *(MemRef2 *)args[1];
  MemRef1 scale = *(MemRef1 *)args[2];
  argumentToHost(&tokens, 2, 4);
  argumentToHost(&scale, 1, 4);
  void *hostArgs[] = {args[0], &tokens, &scale};
  prefill(hostArgs);
  int64_t *words = (int64_t *)args[0];
  resultToDevice(words, 3, 4);
  resultToDevice(words + 9, 1, 4);
  resultToDevice(words + 14, 1, 8);
  freeHostArgument(&tokens);
  freeHostArgument(&scale);
}

static void decodeOnDevice(void **args) {
  MemRef1 token = *(MemRef1 *)args[1];
  MemRef1 scale = *(MemRef1 *)args[3];
  MemRef1 count = *(MemRef1 *)args[4];
  argumentToHost(&token, 1, 4);
  argumentToHost(&scale, 1, 4);
  argumentToHost(&count, 1, 8);
  void *hostArgs[] = {args[0], &token, args[2], &scale, &count};
  decode(hostArgs);
  int64_t *words = (int64_t *)args[0];
  resultToDevice(words, 1, 4);
  resultToDevice(words + 5, 3, 4);
  resultToDevice(words + 14, 1, 8);
  freeHostArgument(&token);
  freeHostArgument(&scale);
  freeHostArgument(&count);
}

const RatEntry __rat_entries[] = {{"prefill", prefillOnDevice},
                                  {"decode", decodeOnDevice}};
#else
const RatEntry __rat_entries[] = {{"prefill", prefill}, {"decode", decode}};
#endif
const int64_t __rat_num_entries = 2;
