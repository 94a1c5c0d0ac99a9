/* tiny_rat_lm_generate.c - a C host of a compiled model library.
 *
 *   tiny_rat_lm_generate WEIGHTS [N [TOKEN...]]
 *
 * Links with a model built by `rat-compile --emit shared` (rat_add_model in
 * CMakeLists.txt builds examples/tiny_rat_lm that way) and uses the C API of
 * rat/Runtime/rat_model.h: opens the model with the checkpoint WEIGHTS,
 * prints what its manifest says, computes the prompt's logits, then
 * generates N tokens (default 16) after the prompt TOKEN... (default the 16
 * tokens of examples/tiny_rat_lm/prompt.npy) twice: with rat_model_generate,
 * and step by step with rat_model_prefill and rat_model_decode_step. Exit
 * status 0 when every call succeeded and the two agree.
 */

#include "rat/Runtime/rat_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints a failed call with the library's message; returns 0 then. */
static int ok(rat_status status, const char *call) {
  if (status == RAT_OK)
    return 1;
  fprintf(stderr, "%s failed: %s: %s\n", call, rat_status_name(status),
          rat_last_error());
  return 0;
}

static void print_tokens(const char *label, const int32_t *ids, int64_t n) {
  printf("%s", label);
  for (int64_t i = 0; i < n; ++i)
    printf(" %d", ids[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  static const int32_t default_prompt[] = {80,  89, 180, 133, 117, 73, 64, 81,
                                           212, 119, 12, 65,  6,   47, 28, 64};
  if (argc < 2) {
    fprintf(stderr, "usage: %s WEIGHTS [N [TOKEN...]]\n", argv[0]);
    return 2;
  }
  int64_t n = argc > 2 ? atoll(argv[2]) : 16;
  int64_t p = argc > 3 ? argc - 3 : 16;
  if (n < 1) {
    fprintf(stderr, "N must be >= 1\n");
    return 2;
  }
  int32_t *prompt = malloc(sizeof(int32_t) * (size_t)p);
  int32_t *generated = malloc(sizeof(int32_t) * (size_t)(p + n));
  int32_t *stepped = malloc(sizeof(int32_t) * (size_t)n);
  for (int64_t i = 0; i < p; ++i)
    prompt[i] = argc > 3 ? atoi(argv[3 + i]) : default_prompt[i];

  /* Open: the weights are read once and stay loaded until the close. */
  rat_open_options options;
  rat_open_options_init(&options);
  options.weights = argv[1];
  rat_model *model = NULL;
  if (!ok(rat_model_open(&options, &model), "rat_model_open"))
    return 1;

  /* The manifest: kind, parameters, entries and their shapes. */
  rat_model_info info;
  if (!ok(rat_model_get_info(model, &info), "rat_model_get_info"))
    return 1;
  printf("model: %s, target %s, dtype %s, on %s\n", info.kind, info.target,
         info.dtype, info.device);
  const char *vocab = rat_model_find_param(model, "vocab_size");
  printf("vocab_size %s, max_seq_len %s\n", vocab ? vocab : "?",
         rat_model_find_param(model, "max_seq_len"));
  for (int32_t e = 0; e < info.num_entries; ++e) {
    rat_entry_info entry;
    if (!ok(rat_model_get_entry(model, e, &entry), "rat_model_get_entry"))
      return 1;
    printf("entry %s:", entry.name);
    for (int32_t r = 0; r < 2; ++r) {
      int32_t count = r ? entry.num_results : entry.num_args;
      for (int32_t i = 0; i < count; ++i) {
        rat_value_info value;
        if (!ok(rat_model_get_value(model, e, r, i, &value),
                "rat_model_get_value"))
          return 1;
        if (value.role == RAT_ROLE_INPUT || value.role == RAT_ROLE_OUTPUT)
          printf(r ? " -> %s[%s]" : " %s[%s]", value.name, value.dims);
      }
    }
    printf("\n");
  }

  /* Logits of the prompt, in a buffer the library allocates. */
  rat_tensor tokens = {prompt, RAT_I32, 2, {1, p}};
  rat_tensor logits;
  memset(&logits, 0, sizeof(logits));
  if (!ok(rat_model_prefill(model, &tokens, 0, NULL, &logits),
          "rat_model_prefill"))
    return 1;
  int64_t v = logits.shape[2];
  const float *last = (const float *)logits.data + (p - 1) * v;
  int64_t best = 0;
  for (int64_t i = 1; i < v; ++i)
    if (last[i] > last[best])
      best = i;
  printf("logits [%lld, %lld, %lld], argmax at the last position: %lld\n",
         (long long)logits.shape[0], (long long)logits.shape[1],
         (long long)v, (long long)best);
  rat_free(logits.data);

  /* Generation into the caller's buffer [1, P + N]. */
  rat_tensor output = {generated, RAT_I32, 2, {1, p + n}};
  rat_generate_options generate;
  rat_generate_options_init(&generate);
  generate.max_new_tokens = n;
  if (!ok(rat_model_generate(model, &tokens, &generate, &output, NULL),
          "rat_model_generate"))
    return 1;
  print_tokens("prompt:   ", generated, p);
  print_tokens("generate: ", generated + p, n);

  /* The same greedy tokens, step by step on the model's decode state. */
  int32_t next = 0;
  rat_tensor next_token = {&next, RAT_I32, 1, {1}};
  if (!ok(rat_model_prefill(model, &tokens, 0, &next_token, NULL),
          "rat_model_prefill"))
    return 1;
  stepped[0] = next;
  for (int64_t i = 1; i < n; ++i) {
    int32_t token = stepped[i - 1];
    rat_tensor input = {&token, RAT_I32, 1, {1}};
    if (!ok(rat_model_decode_step(model, &input, p + i - 1, &next_token, NULL),
            "rat_model_decode_step"))
      return 1;
    stepped[i] = next;
  }
  print_tokens("steps:    ", stepped, n);
  int same = memcmp(stepped, generated + p, sizeof(int32_t) * (size_t)n) == 0;
  printf("%s\n", same ? "match: generate and the decode steps agree"
                      : "MISMATCH between generate and the decode steps");

  /* What a caller sees when a call fails: a status and a message. */
  int32_t bad = vocab ? atoi(vocab) : -1;
  rat_tensor bad_tokens = {&bad, RAT_I32, 2, {1, 1}};
  rat_status status = rat_model_prefill(model, &bad_tokens, 0, &next_token,
                                        NULL);
  printf("a token out of range: %s: %s\n", rat_status_name(status),
         rat_last_error());

  rat_model_close(model);
  free(prompt);
  free(generated);
  free(stepped);
  return same && status == RAT_ERROR_INVALID_ARGUMENT ? 0 : 1;
}
