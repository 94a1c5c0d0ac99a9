/*===- fake_lm.c - A hand-written `lm` model ----------------------*- C -*-===*\
|*                                                                            *|
|* The "language model" predicts next = (token + 1) % V with one-hot logits   *|
|* scaled by a weight. Its entries have the generation ABI of compiled LMs    *|
|* (docs/Runtime.md, "Generation"): prefill takes each sequence's prompt      *|
|* length and leaves the logits after its last prompt token and its position  *|
|* (gen.logits, gen.position); decode draws a token from gen.logits, stops    *|
|* sequences at their eos ids and updates the generation state in place.      *|
|* "Sampling" is deterministic here: with a temperature > 0 the token is the  *|
|* argmax plus the sequence's seed plus top_k (mod V), so tests see which     *|
|* seed and top_k each sequence got. A per-row count of tokens seen is extra  *|
|* decode state: decode checks that it equals the row's position, which      *|
|* catches a runtime that loses or mixes up state between calls.             *|
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

const char __rat_manifest[] = FAKE_LM_MANIFEST(FAKE_TARGET, "32");

static void oneHot(float *logits, int32_t token, const MemRef1 *scale) {
  int32_t next = (token + 1) % VOCAB;
  for (int v = 0; v < VOCAB; ++v)
    logits[v] = v == next ? AT(scale, float, v) : 0.0f;
}

static void prefill(void **args) {
  MemRef2 *tokens = (MemRef2 *)args[1];
  MemRef1 *lengths = (MemRef1 *)args[2];
  MemRef1 *scale = (MemRef1 *)args[3];
  int64_t batch = tokens->sizes[0], length = tokens->sizes[1];
  int64_t vocab = VOCAB;
  float *logits = (float *)malloc((size_t)(batch * length * VOCAB) * 4 + 1);
  float *last = (float *)malloc((size_t)(batch * VOCAB) * 4 + 1);
  int32_t *position = (int32_t *)malloc((size_t)batch * 4 + 1);
  int64_t *count = (int64_t *)malloc((size_t)batch * 8 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    int32_t n = AT(lengths, int32_t, b);
    if (n < 1 || n > length) {
      fprintf(stderr, "fake_lm: row %ld has prompt length %d of %ld\n",
              (long)b, n, (long)length);
      exit(3);
    }
    for (int64_t t = 0; t < length; ++t)
      oneHot(logits + (b * length + t) * VOCAB,
             AT(tokens, int32_t, b * length + t), scale);
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
}

static void decode(void **args) {
  MemRef2 *logits = (MemRef2 *)args[1];
  MemRef1 *position = (MemRef1 *)args[2];
  MemRef1 *finished = (MemRef1 *)args[3];
  MemRef1 *temperature = (MemRef1 *)args[4];
  MemRef1 *topK = (MemRef1 *)args[5];
  MemRef1 *seed = (MemRef1 *)args[7];
  MemRef2 *eos = (MemRef2 *)args[8];
  MemRef1 *count = (MemRef1 *)args[9];
  MemRef1 *scale = (MemRef1 *)args[10];
  int64_t batch = position->sizes[0], numEos = eos->sizes[1];
  int32_t *token = (int32_t *)malloc((size_t)batch * 4 + 1);
  for (int64_t b = 0; b < batch; ++b) {
    int32_t at = AT(position, int32_t, b);
    if (AT(count, int64_t, b) != at) {
      fprintf(stderr, "fake_lm: row %ld has count %ld at position %d\n",
              (long)b, (long)AT(count, int64_t, b), at);
      exit(3);
    }
    float *row = &AT(logits, float, b * VOCAB);
    int32_t best = 0;
    for (int v = 1; v < VOCAB; ++v)
      if (row[v] > row[best])
        best = v;
    if (AT(temperature, float, b) > 0)
      best = (int32_t)((best + AT(seed, int64_t, b) + AT(topK, int32_t, b)) %
                       VOCAB);
    int32_t *done = &AT(finished, int32_t, b);
    token[b] = *done ? -1 : best;
    for (int64_t e = 0; e < numEos; ++e)
      if (AT(eos, int32_t, b * numEos + e) == best)
        *done = 1;
    oneHot(row, best, scale);
    AT(position, int32_t, b) = at + 1;
    AT(count, int64_t, b) = at + 1;
  }
  setResult(args[0], token, 1, &batch);
}

#ifdef FAKE_TARGET_CUDA
/* Rank and element size of the decode arguments 1..10. */
static const int decodeRanks[10] = {2, 1, 1, 1, 1, 1, 1, 2, 1, 1};
static const size_t decodeSizes[10] = {4, 4, 4, 4, 4, 4, 8, 4, 8, 4};

static void prefillOnDevice(void **args) {
  MemRef2 tokens = *(MemRef2 *)args[1];
  MemRef1 lengths = *(MemRef1 *)args[2];
  MemRef1 scale = *(MemRef1 *)args[3];
  argumentToHost(&tokens, 2, 4);
  argumentToHost(&lengths, 1, 4);
  argumentToHost(&scale, 1, 4);
  void *hostArgs[] = {args[0], &tokens, &lengths, &scale};
  prefill(hostArgs);
  int64_t *words = (int64_t *)args[0];
  resultToDevice(words, 3, 4);
  resultToDevice(words + 9, 2, 4);
  resultToDevice(words + 16, 1, 4);
  resultToDevice(words + 21, 1, 8);
  freeHostArgument(&tokens);
  freeHostArgument(&lengths);
  freeHostArgument(&scale);
}

/* Decode on host copies of the arguments; the state goes back in place. */
static void decodeOnDevice(void **args) {
  MemRef2 copies[10];
  void *hostArgs[11] = {args[0]};
  for (int i = 0; i < 10; ++i) {
    memcpy(&copies[i], args[i + 1],
           sizeof(int64_t) * (size_t)(3 + 2 * decodeRanks[i]));
    argumentToHost(&copies[i], decodeRanks[i], decodeSizes[i]);
    hostArgs[i + 1] = &copies[i];
  }
  decode(hostArgs);
  for (int i = 0; i < 10; ++i) {
    const int64_t *device = (const int64_t *)args[i + 1];
    char *data;
    memcpy(&data, &device[1], sizeof(data));
    data += device[2] * (int64_t)decodeSizes[i];
    mgpuMemcpy(data, copies[i].aligned,
               descriptorBytes(device, decodeRanks[i], decodeSizes[i]), NULL);
    mgpuStreamSynchronize(NULL);
    freeHostArgument(&copies[i]);
  }
  resultToDevice(args[0], 1, 4);
}

const RatEntry __rat_entries[] = {{"prefill", prefillOnDevice},
                                  {"decode", decodeOnDevice}};
#else
const RatEntry __rat_entries[] = {{"prefill", prefill}, {"decode", decode}};
#endif
const int64_t __rat_num_entries = 2;
