/* c_api_check.c - the C API of a model library, call by call.
 *
 *   c_api_check LIBRARY-KIND WEIGHTS
 *
 * Linked with examples/tiny_rat_lm built by rat-compile --emit shared
 * (c_api.test). Every check prints `ok: ...` or `FAIL: ...`; the exit status
 * is the number of failures (capped at 100). Expected tokens are those of
 * examples/tiny_rat_lm/expected_greedy.npy (the float64 reference).
 */

#include "rat/Runtime/rat_model.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void check(int condition, const char *what) {
  printf("%s: %s\n", condition ? "ok" : "FAIL", what);
  if (!condition)
    ++failures;
}

/* `status` is `expected` and the message contains `text`. */
static void check_error(rat_status status, rat_status expected,
                        const char *text, const char *what) {
  const char *message = rat_last_error();
  int good = status == expected && strstr(message, text) != NULL;
  printf("%s: %s: %s: %s\n", good ? "ok" : "FAIL", what,
         rat_status_name(status), message);
  if (!good)
    ++failures;
}

static const int32_t kPrompt[16] = {80,  89,  180, 133, 117, 73, 64, 81,
                                    212, 119, 12,  65,  6,   47, 28, 64};
static const int32_t kExpected[16] = {127, 56,  1,   179, 171, 5,
                                      95,  63,  29,  219, 200, 12,
                                      105, 119, 213, 120};

static rat_tensor tensor(void *data, rat_dtype dtype, int32_t rank,
                         int64_t d0, int64_t d1, int64_t d2) {
  rat_tensor t;
  memset(&t, 0, sizeof(t));
  t.data = data;
  t.dtype = dtype;
  t.rank = rank;
  t.shape[0] = d0;
  t.shape[1] = d1;
  t.shape[2] = d2;
  return t;
}

/* Greedy generation of 16 tokens after kPrompt; 1 if they are kExpected. */
static int generate_expected(rat_model *model) {
  int32_t prompt[16], out[32];
  memcpy(prompt, kPrompt, sizeof(prompt));
  rat_tensor tokens = tensor(prompt, RAT_I32, 2, 1, 16, 0);
  rat_tensor output = tensor(out, RAT_I32, 2, 1, 32, 0);
  rat_generate_options options;
  rat_generate_options_init(&options);
  options.max_new_tokens = 16;
  if (rat_model_generate(model, &tokens, &options, &output, NULL) != RAT_OK)
    return 0;
  return memcmp(out, kPrompt, sizeof(kPrompt)) == 0 &&
         memcmp(out + 16, kExpected, sizeof(kExpected)) == 0;
}

/* on_token: counts the steps. */
static void count_tokens(void *user_data, int64_t step, const int32_t *tokens,
                         int64_t batch) {
  (void)step;
  (void)tokens;
  (void)batch;
  ++*(int64_t *)user_data;
}

struct worker {
  rat_model *model;
  int runs;
  int good;
};

static void *work(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < w->runs; ++i)
    w->good += generate_expected(w->model);
  return NULL;
}

/* `threads` threads generating on models[i % num_models], 4 runs each. */
static int run_threads(rat_model **models, int num_models, int threads) {
  pthread_t ids[8];
  struct worker workers[8];
  for (int i = 0; i < threads; ++i) {
    workers[i].model = models[i % num_models];
    workers[i].runs = 4;
    workers[i].good = 0;
    pthread_create(&ids[i], NULL, work, &workers[i]);
  }
  int good = 1;
  for (int i = 0; i < threads; ++i) {
    pthread_join(ids[i], NULL);
    good &= workers[i].good == workers[i].runs;
  }
  return good;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s WEIGHTS\n", argv[0]);
    return 100;
  }
  const char *weights = argv[1];
  check(rat_api_version() == RAT_MODEL_API_VERSION, "rat_api_version");
  check(strstr(rat_manifest(), "model lm") != NULL,
        "rat_manifest without opening");

  /* Opening: every failure is a status and a message. */
  rat_model *model = (rat_model *)1;
  check_error(rat_model_open(NULL, &model), RAT_ERROR_INVALID_ARGUMENT,
              "rat_open_options is NULL", "open without options");
  check(model == NULL, "a failed open sets *model to NULL");
  rat_open_options options;
  rat_open_options_init(&options);
  check_error(rat_model_open(&options, &model), RAT_ERROR_INVALID_ARGUMENT,
              "this model needs weights", "open without weights");
  options.weights = "/nonexistent/w.safetensors";
  check_error(rat_model_open(&options, &model), RAT_ERROR_FAILED,
              "/nonexistent/w.safetensors", "open a missing checkpoint");
  rat_open_options zero;
  memset(&zero, 0, sizeof(zero));
  zero.weights = weights;
  check_error(rat_model_open(&zero, &model), RAT_ERROR_INVALID_ARGUMENT,
              "struct_size 0", "options without rat_open_options_init");
  options.weights = weights;
  check_error(rat_model_open(&options, NULL), RAT_ERROR_INVALID_ARGUMENT,
              "model pointer is NULL", "open into NULL");
  if (rat_model_open(&options, &model) != RAT_OK) {
    printf("FAIL: open: %s\n", rat_last_error());
    return 100;
  }
  check(strcmp(rat_last_error(), "") == 0, "no message after a success");

  /* The manifest. */
  rat_model_info info;
  check(rat_model_get_info(model, &info) == RAT_OK &&
            strcmp(info.kind, "lm") == 0 && strcmp(info.target, "cpu") == 0 &&
            strcmp(info.dtype, "f32") == 0 &&
            strcmp(info.device, "host CPU") == 0 && info.num_entries == 3,
        "rat_model_get_info: lm, cpu, f32, host CPU, 3 entries");
  const char *vocab = rat_model_find_param(model, "vocab_size");
  check(vocab && strcmp(vocab, "256") == 0, "param vocab_size 256");
  check(rat_model_find_param(model, "no_such_param") == NULL,
        "an absent param is NULL");
  const char *key = NULL, *value = NULL;
  check(rat_model_get_param(model, 0, &key, &value) == RAT_OK && key && value,
        "rat_model_get_param 0");
  check_error(rat_model_get_param(model, info.num_params, &key, &value),
              RAT_ERROR_INVALID_ARGUMENT, "out of range", "param past the end");
  int prefill_index = -1;
  for (int32_t e = 0; e < info.num_entries; ++e) {
    rat_entry_info entry;
    rat_model_get_entry(model, e, &entry);
    if (strcmp(entry.name, "prefill") == 0)
      prefill_index = e;
  }
  check(prefill_index >= 0, "an entry named prefill");
  rat_value_info arg, result;
  check(rat_model_get_value(model, prefill_index, 0, 0, &arg) == RAT_OK &&
            strcmp(arg.name, "tokens") == 0 && arg.role == RAT_ROLE_INPUT &&
            arg.dtype == RAT_I32 && arg.rank == 2 &&
            strcmp(arg.dims, "B,T") == 0 && arg.shape[0] == -1,
        "prefill arg 0: input tokens i32 [B,T]");
  check(rat_model_get_value(model, prefill_index, 1, 0, &result) == RAT_OK &&
            strcmp(result.name, "logits") == 0 &&
            result.role == RAT_ROLE_OUTPUT && result.rank == 3 &&
            result.shape[2] == 256 && strcmp(result.dims, "B,T,256") == 0,
        "prefill result 0: output logits [B,T,256]");
  check_error(rat_model_get_value(model, prefill_index, 1, 99, &result),
              RAT_ERROR_INVALID_ARGUMENT, "out of range", "value past the end");

  /* Prefill: next token and logits, into caller buffers. */
  int32_t prompt[16];
  memcpy(prompt, kPrompt, sizeof(prompt));
  rat_tensor tokens = tensor(prompt, RAT_I32, 2, 1, 16, 0);
  int32_t next = -1;
  rat_tensor next_token = tensor(&next, RAT_I32, 1, 1, 0, 0);
  float *logits = malloc(sizeof(float) * 16 * 256);
  rat_tensor logits_out = tensor(logits, RAT_F32, 3, 1, 16, 256);
  check(rat_model_prefill(model, &tokens, 0, &next_token, &logits_out) ==
                RAT_OK &&
            next == kExpected[0],
        "prefill: next_token is the first expected token");
  int best = 0;
  for (int i = 1; i < 256; ++i)
    if (logits[15 * 256 + i] > logits[15 * 256 + best])
      best = i;
  check(best == kExpected[0], "prefill: the argmax of the last logits row");
  int64_t prompt64[16];
  for (int i = 0; i < 16; ++i)
    prompt64[i] = kPrompt[i];
  rat_tensor tokens64 = tensor(prompt64, RAT_I64, 2, 1, 16, 0);
  next = -1;
  check(rat_model_prefill(model, &tokens64, 0, &next_token, NULL) == RAT_OK &&
            next == kExpected[0],
        "prefill with int64 tokens");

  /* A library-allocated output. */
  rat_tensor allocated;
  memset(&allocated, 0, sizeof(allocated));
  check(rat_model_prefill(model, &tokens, 10, NULL, &allocated) == RAT_OK &&
            allocated.data && allocated.dtype == RAT_F32 &&
            allocated.rank == 3 && allocated.shape[0] == 1 &&
            allocated.shape[1] == 10 && allocated.shape[2] == 256 &&
            memcmp(allocated.data, logits, sizeof(float) * 10 * 256) == 0,
        "prefill prompt_len 10 into a library buffer: the first 10 rows");
  rat_free(allocated.data);

  /* Argument errors: nothing runs. */
  rat_tensor wrong = tensor(logits, RAT_F32, 3, 1, 16, 255);
  check_error(rat_model_prefill(model, &tokens, 0, NULL, &wrong),
              RAT_ERROR_INVALID_ARGUMENT,
              "logits has shape [1, 16, 255], the result will have "
              "[1, 16, 256]",
              "a logits buffer of the wrong shape");
  rat_tensor int_logits = tensor(logits, RAT_I32, 3, 1, 16, 256);
  check_error(rat_model_prefill(model, &tokens, 0, NULL, &int_logits),
              RAT_ERROR_INVALID_ARGUMENT, "logits is i32, the result is f32",
              "an integer buffer for float logits");
  rat_tensor float_tokens = tensor(logits, RAT_F32, 2, 1, 16, 0);
  check_error(rat_model_prefill(model, &float_tokens, 0, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "tokens is f32, the model takes i32",
              "float tokens");
  int32_t out_of_range[2] = {1, 256};
  rat_tensor bad = tensor(out_of_range, RAT_I32, 2, 1, 2, 0);
  check_error(rat_model_prefill(model, &bad, 0, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT,
              "tokens: token 256 at [0, 1] is out of range for vocab_size "
              "256",
              "a token id past the vocabulary");
  check_error(rat_model_prefill(model, &tokens, 17, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT,
              "prompt_len 17 exceeds the 16 tokens in tokens",
              "prompt_len past T");
  rat_tensor rank3 = tensor(prompt, RAT_I32, 3, 1, 4, 4);
  check_error(rat_model_prefill(model, &rank3, 0, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "expected token ids [B, T]",
              "tokens of rank 3");
  rat_tensor no_data = tensor(NULL, RAT_I32, 2, 1, 16, 0);
  check_error(rat_model_prefill(model, &no_data, 0, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "tokens has no data",
              "tokens without data");

  /* Decode steps on the model's state: prefill, then step by step. */
  int32_t steps[16];
  check(rat_model_prefill(model, &tokens, 0, &next_token, NULL) == RAT_OK,
        "prefill seeds the decode state");
  steps[0] = next;
  int stepped = 1;
  float step_logits[256];
  rat_tensor step_logits_out = tensor(step_logits, RAT_F32, 3, 1, 1, 256);
  for (int i = 1; i < 16; ++i) {
    int32_t token = steps[i - 1];
    rat_tensor input = tensor(&token, RAT_I32, 1, 1, 0, 0);
    stepped &= rat_model_decode_step(model, &input, 15 + i, &next_token,
                                     i == 1 ? &step_logits_out : NULL) ==
               RAT_OK;
    steps[i] = next;
  }
  check(stepped && memcmp(steps, kExpected, sizeof(steps)) == 0,
        "15 decode steps give the expected tokens");
  best = 0;
  for (int i = 1; i < 256; ++i)
    if (step_logits[i] > step_logits[best])
      best = i;
  check(best == kExpected[1], "a decode step's logits");
  int32_t token = 300;
  rat_tensor input = tensor(&token, RAT_I32, 1, 1, 0, 0);
  check_error(rat_model_decode_step(model, &input, 31, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT,
              "token: token 300 at [0] is out of range",
              "a decode token past the vocabulary");
  token = 5;
  check_error(rat_model_decode_step(model, &input, 64, &next_token, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "position 64 is outside [0, 64)",
              "a position past max_seq_len");
  int32_t two[2] = {1, 2}, two_next[2];
  rat_tensor input2 = tensor(two, RAT_I32, 1, 2, 0, 0);
  rat_tensor next2 = tensor(two_next, RAT_I32, 1, 2, 0, 0);
  check_error(rat_model_decode_step(model, &input2, 31, &next2, NULL),
              RAT_ERROR_INVALID_ARGUMENT,
              "has shape [1, 64], expected [B, 64] (B = 2",
              "a batch of 2 on the state of a batch of 1");
  check(rat_model_reset(model) == RAT_OK &&
            rat_model_decode_step(model, &input2, 0, &next2, NULL) == RAT_OK,
        "after a reset, a step from zero state with a batch of 2");

  /* Generation. */
  check(generate_expected(model), "generate: the expected 16 tokens");
  int32_t out[32], lens[1] = {-1};
  rat_tensor output = tensor(out, RAT_I32, 2, 1, 32, 0);
  rat_tensor output_lens = tensor(lens, RAT_I32, 1, 1, 0, 0);
  rat_generate_options gen;
  rat_generate_options_init(&gen);
  gen.max_new_tokens = 16;
  check(rat_model_generate(model, &tokens, &gen, &output, &output_lens) ==
                RAT_OK &&
            lens[0] == 16 && memcmp(out + 16, kExpected, sizeof(kExpected)) == 0,
        "generate again (the cached generator): same tokens, output_lens 16");
  /* One new token is one decode step too (it samples the prefill's logits). */
  int32_t one_out[17];
  rat_tensor one_output = tensor(one_out, RAT_I32, 2, 1, 17, 0);
  gen.max_new_tokens = 1;
  check(rat_model_generate(model, &tokens, &gen, &one_output, NULL) ==
                RAT_OK &&
            one_out[16] == kExpected[0],
        "generate one token: the prefill's greedy token");
  gen.max_new_tokens = 60;
  rat_tensor output60 = tensor(NULL, RAT_I32, 2, 1, 76, 0);
  check_error(rat_model_generate(model, &tokens, &gen, &output60, NULL),
              RAT_ERROR_INVALID_ARGUMENT,
              "prompt_len 16 + max_new_tokens 60 exceeds the model's "
              "max_seq_len 64",
              "a generation past max_seq_len");
  gen.max_new_tokens = 0;
  check_error(rat_model_generate(model, &tokens, &gen, &output, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "max_new_tokens must be >= 1",
              "max_new_tokens 0");
  gen.max_new_tokens = 16;
  rat_tensor short_output = tensor(out, RAT_I32, 2, 1, 31, 0);
  check_error(rat_model_generate(model, &tokens, &gen, &short_output, NULL),
              RAT_ERROR_INVALID_ARGUMENT,
              "output has shape [1, 31], the result will have [1, 32]",
              "an output buffer too short");
  gen.temperature = -1;
  check_error(rat_model_generate(model, &tokens, &gen, &output, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "temperature must be >= 0",
              "a negative temperature");
  gen.temperature = 0;
  gen.top_p = 1.5f;
  check_error(rat_model_generate(model, &tokens, &gen, &output, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "top_p must be in (0, 1]",
              "top_p past 1");
  gen.top_p = 0;
  rat_generate_options old = gen;
  old.struct_size = 0;
  check_error(rat_model_generate(model, &tokens, &old, &output, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "struct_size 0",
              "generate options without rat_generate_options_init");

  /* Serving options: ragged prompts, stop ids, sampling, streaming. */
  int32_t two_prompts[32], ragged_out[2 * 32], ragged_lens[2] = {-1, -1};
  memcpy(two_prompts, kPrompt, sizeof(kPrompt));
  memcpy(two_prompts + 16, kPrompt, sizeof(kPrompt));
  for (int i = 10; i < 16; ++i)
    two_prompts[16 + i] = 255; /* past row 1's prompt: ignored */
  int64_t prompt_lens[2] = {16, 10};
  rat_tensor tokens2 = tensor(two_prompts, RAT_I32, 2, 2, 16, 0);
  rat_tensor ragged = tensor(ragged_out, RAT_I32, 2, 2, 32, 0);
  rat_tensor ragged_lens_out = tensor(ragged_lens, RAT_I32, 1, 2, 0, 0);
  rat_generate_options serve;
  rat_generate_options_init(&serve);
  serve.max_new_tokens = 16;
  serve.prompt_lens = prompt_lens;
  int32_t alone[26];
  rat_generate_options short_prompt;
  rat_generate_options_init(&short_prompt);
  short_prompt.max_new_tokens = 16;
  short_prompt.prompt_len = 10;
  rat_tensor alone_out = tensor(alone, RAT_I32, 2, 1, 26, 0);
  check(rat_model_generate(model, &tokens, &short_prompt, &alone_out, NULL) ==
                RAT_OK &&
            rat_model_generate(model, &tokens2, &serve, &ragged,
                               &ragged_lens_out) == RAT_OK &&
            memcmp(ragged_out + 16, kExpected, sizeof(kExpected)) == 0 &&
            memcmp(ragged_out + 32, alone, sizeof(alone)) == 0 &&
            ragged_out[32 + 26] == -1 && ragged_lens[0] == 16 &&
            ragged_lens[1] == 16,
        "ragged prompts 16 and 10: each row as its prompt alone, -1 after");
  int64_t eos_id = kExpected[3];
  gen.max_new_tokens = 16;
  gen.eos_ids = &eos_id;
  gen.num_eos = 1;
  int stopped = rat_model_generate(model, &tokens, &gen, &output,
                                   &output_lens) == RAT_OK &&
                lens[0] == 4 && out[16 + 3] == kExpected[3] &&
                out[16 + 4] == -1 && out[31] == -1;
  check(stopped, "eos: stops after the 4th token, -1 after, output_lens 4");
  gen.eos_ids = NULL;
  gen.num_eos = 0;
  int32_t sampled[2][32];
  gen.temperature = 1.5f;
  gen.top_k = 20;
  for (int i = 0; i < 2; ++i) {
    rat_tensor sample_out = tensor(sampled[i], RAT_I32, 2, 1, 32, 0);
    gen.seed = 7;
    check(rat_model_generate(model, &tokens, &gen, &sample_out, NULL) ==
              RAT_OK,
          "sampling with temperature 1.5, top_k 20, seed 7");
  }
  check(memcmp(sampled[0], sampled[1], sizeof(sampled[0])) == 0 &&
            memcmp(sampled[0] + 16, kExpected, sizeof(kExpected)) != 0,
        "the same seed gives the same tokens, not the greedy ones");
  gen.temperature = 0;
  gen.top_k = 0;
  gen.on_token = count_tokens;
  int64_t streamed = 0;
  gen.user_data = &streamed;
  check(rat_model_generate(model, &tokens, &gen, &output, NULL) == RAT_OK &&
            streamed == 16,
        "on_token: called once per step");
  gen.on_token = NULL;

  /* Any entry by name: prefill takes the tokens and the prompt lengths. */
  int32_t prompt_len16 = 16;
  rat_tensor run_inputs[2];
  run_inputs[0] = tokens;
  run_inputs[1] = tensor(&prompt_len16, RAT_I32, 1, 1, 0, 0);
  float next_logits[256];
  rat_tensor run_outputs[2];
  run_outputs[0] = tensor(logits, RAT_F32, 3, 1, 16, 256);
  run_outputs[1] = tensor(next_logits, RAT_F32, 2, 1, 256, 0);
  int run_ok = rat_model_run(model, "prefill", 2, run_inputs, 0, NULL, 2,
                             run_outputs) == RAT_OK;
  best = 0;
  for (int i = 1; i < 256; ++i)
    if (next_logits[i] > next_logits[best])
      best = i;
  check(run_ok && best == kExpected[0],
        "rat_model_run prefill: logits and gen.logits");
  check_error(rat_model_run(model, "nope", 1, &tokens, 0, NULL, 0, NULL),
              RAT_ERROR_UNSUPPORTED, "no entry 'nope' (entries: ",
              "an unknown entry");
  check_error(rat_model_run(model, "prefill", 0, NULL, 0, NULL, 0, NULL),
              RAT_ERROR_INVALID_ARGUMENT, "takes 2 input(s), got 0",
              "an entry without its input");

  /* Threads: models of one library at once, and one model shared. */
  rat_model *second = NULL;
  check(rat_model_open(&options, &second) == RAT_OK, "a second model");
  rat_model *models[2] = {model, second};
  check(run_threads(models, 2, 4),
        "4 threads on 2 models: every generation as expected");
  check(run_threads(models, 1, 4),
        "4 threads on 1 model: every generation as expected");
  rat_model_close(second);

  rat_model_close(model);
  rat_model_close(NULL);
  free(logits);
  printf("%d failure(s)\n", failures);
  return failures > 100 ? 100 : failures;
}
