/*===- rat_model.h - A compiled model as a library: the C API -----*- C -*-===*\
|*                                                                            *|
|* `rat-compile ... --emit shared -o libmodel.so` links one compiled model    *|
|* with the rat runtime into a shared library that exports this API and       *|
|* nothing else. A program opens the model with a checkpoint (weights stay    *|
|* in device or host memory until it is closed), reads its manifest, and runs *|
|* prefill, decode steps, generation or any entry on its own host buffers.    *|
|* docs/CApi.md describes it with examples; examples/c/ is a complete host.   *|
|*                                                                            *|
|* Conventions:                                                               *|
|* - Every function that can fail returns a rat_status; on failure            *|
|*   rat_last_error() is a one-line message (the text the executable would    *|
|*   print after `error: `). Nothing is printed, except [rat] lines with      *|
|*   `verbose` and the runtime's warnings (NaN weights) on stderr.            *|
|* - Tensors are dense C-order arrays in host memory (rat_tensor). Inputs are *|
|*   converted to the model's types as the executable converts .npy files     *|
|*   (any float to any float, int64 to int32 with a range check); outputs     *|
|*   are written in the dtype the caller asks for (RAT_DTYPE_DEFAULT: f32 for *|
|*   float results, the result's own type for integers).                     *|
|* - Arguments are checked before any compute: a failed call changes nothing, *|
|*   except as said for rat_model_decode_step.                                *|
|*                                                                            *|
|* Thread safety: every function may be called from any thread. Calls on one *|
|* model run one at a time (a lock per model); on the cpu target different    *|
|* models run concurrently; on the cuda target the compute calls of all       *|
|* models of one loaded library run one at a time (they share the process's   *|
|* CUDA stream). rat_model_close must not race other calls on the same model. *|
|* The model queries (rat_model_info, ...) return pointers into the model,    *|
|* valid until it is closed.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef RAT_RUNTIME_RAT_MODEL_H
#define RAT_RUNTIME_RAT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this API; rat_api_version() returns the library's. */
#define RAT_MODEL_API_VERSION 1

/** The largest rank a rat_tensor carries. */
#define RAT_MAX_RANK 8

typedef enum rat_status {
  RAT_OK = 0,
  /** A bad argument: a null pointer, a shape or dtype that does not match
   *  the model, an option out of range, a token id outside the vocabulary,
   *  an output buffer of the wrong shape. Nothing ran. */
  RAT_ERROR_INVALID_ARGUMENT = 1,
  /** The model cannot do this: no such entry, a call that does not apply to
   *  its kind, or a generation option this library does not implement. */
  RAT_ERROR_UNSUPPORTED = 2,
  /** The run failed: the checkpoint, the device or driver, the compute. */
  RAT_ERROR_FAILED = 3,
  RAT_ERROR_OUT_OF_MEMORY = 4,
  RAT_ERROR_INTERNAL = 5
} rat_status;

/** Element types. RAT_DTYPE_DEFAULT only in outputs (see above). */
typedef enum rat_dtype {
  RAT_DTYPE_DEFAULT = 0,
  RAT_F32 = 1,
  RAT_F64 = 2,
  RAT_F16 = 3,
  RAT_BF16 = 4,
  RAT_I32 = 5,
  RAT_I64 = 6
} rat_dtype;

/** A dense C-order array in host memory.
 *
 *  As an input: `data`, `dtype`, `rank` and `shape` describe the caller's
 *  array; it is read during the call only.
 *  As an output: with `data` set, the caller's buffer of `dtype`, `rank` and
 *  `shape`, which must be the shape of the result (checked before any compute
 *  where the inputs determine it); with `data` NULL, the library allocates
 *  the buffer (free it with rat_free) and fills in `rank` and `shape`. A
 *  zero-initialised rat_tensor is an output the library allocates, in the
 *  default dtype. */
typedef struct rat_tensor {
  void *data;
  rat_dtype dtype;
  int32_t rank;
  int64_t shape[RAT_MAX_RANK];
} rat_tensor;

/** An open model: a Session over the library's compiled entries, its
 *  weights and its decode state. */
typedef struct rat_model rat_model;

/** The API version the library implements (RAT_MODEL_API_VERSION of the
 *  header it was built with). */
int32_t rat_api_version(void);

/** The message of the last failed call on this thread ("" after a call
 *  that succeeded); valid until the next call of this API on the thread. */
const char *rat_last_error(void);

/** `RAT_OK`, `RAT_ERROR_INVALID_ARGUMENT`, ... */
const char *rat_status_name(rat_status status);

/** Frees an output buffer the library allocated (NULL is ignored). */
void rat_free(void *data);

/** The manifest text of the library's model (docs/Runtime.md), readable
 *  without opening the model (no weights needed). */
const char *rat_manifest(void);

/*===----------------------------------------------------------------------===*
 * Opening a model
 *===----------------------------------------------------------------------===*/

typedef struct rat_open_options {
  /** sizeof(rat_open_options), set by rat_open_options_init: a library of a
   *  later version accepts the options of an earlier one. */
  size_t struct_size;
  /** The safetensors checkpoint; NULL when the model takes no weight (or
   *  gives `weights_data`). */
  const char *weights;
  /** Instead of a file: a safetensors image of `weights_size` bytes in
   *  memory, read during rat_model_open only. */
  const void *weights_data;
  size_t weights_size;
  /** CUDA device; -1: $RAT_DEVICE, else 0. Ignored on the cpu target. One
   *  device per loaded library. */
  int32_t device;
  /** Accept checkpoint tensors the model does not use. */
  int32_t allow_extra_weights;
  /** cuda: run the decode steps of rat_model_generate eagerly instead of
   *  replaying a CUDA graph (also $RAT_NO_GRAPHS). */
  int32_t no_graphs;
  /** Print the runtime's `[rat]` lines (phases, times) on stderr. */
  int32_t verbose;
} rat_open_options;

/** Defaults: no weights, device -1, everything else off. */
void rat_open_options_init(rat_open_options *options);

/** Brings up the device of the model's target, checks the checkpoint
 *  against every weight the manifest declares and uploads the weights. On
 *  success `*model` is the open model, else NULL. */
rat_status rat_model_open(const rat_open_options *options, rat_model **model);

/** Frees the model, its weights and state (NULL is ignored). */
void rat_model_close(rat_model *model);

/*===----------------------------------------------------------------------===*
 * The manifest (docs/Runtime.md): model kind, parameters, entries, shapes
 *===----------------------------------------------------------------------===*/

typedef struct rat_model_info {
  /** "lm", "rat_layer" or "function". */
  const char *kind;
  /** "cpu" or "cuda". */
  const char *target;
  /** Storage type of activations and weights: "f32", "bf16" or "f16". */
  const char *dtype;
  /** The manifest text. */
  const char *manifest;
  /** The device: "host CPU", or the GPU's name, ordinal and memory. */
  const char *device;
  int32_t num_params;
  int32_t num_entries;
} rat_model_info;

rat_status rat_model_get_info(const rat_model *model, rat_model_info *info);

/** Parameter `index` (0 <= index < num_params), in manifest order. */
rat_status rat_model_get_param(const rat_model *model, int32_t index,
                               const char **key, const char **value);

/** The value of parameter `key` (e.g. "vocab_size"), or NULL. */
const char *rat_model_find_param(const rat_model *model, const char *key);

typedef enum rat_role {
  RAT_ROLE_INPUT = 0,
  RAT_ROLE_WEIGHT = 1,
  RAT_ROLE_STATE = 2,
  RAT_ROLE_INDEX = 3,
  RAT_ROLE_OUTPUT = 4
} rat_role;

typedef struct rat_entry_info {
  const char *name;
  int32_t num_args;
  int32_t num_results;
} rat_entry_info;

typedef struct rat_value_info {
  const char *name;
  rat_role role;
  /** RAT_DTYPE_DEFAULT for an index argument. */
  rat_dtype dtype;
  int32_t rank;
  /** Sizes of the first min(rank, RAT_MAX_RANK) dims; -1 where the manifest
   *  has a symbol (B, T, ...) or `?`. */
  int64_t shape[RAT_MAX_RANK];
  /** The manifest's spelling of the dims: "B,T,256"; "-" for rank 0, ""
   *  for an index argument. */
  const char *dims;
  /** A state argument the entry updates in place (`state_inout`). */
  int32_t in_place;
} rat_value_info;

/** Entry `index` (0 <= index < num_entries), in manifest order. */
rat_status rat_model_get_entry(const rat_model *model, int32_t index,
                               rat_entry_info *info);

/** Argument (`result` 0) or result (`result` 1) `index` of entry `entry`. */
rat_status rat_model_get_value(const rat_model *model, int32_t entry,
                               int32_t result, int32_t index,
                               rat_value_info *info);

/*===----------------------------------------------------------------------===*
 * Running
 *===----------------------------------------------------------------------===*/

/** Calls entry `entry` (NULL: the first) once, as the executable's function
 *  runner does: `inputs` are the entry's `input` arguments in order,
 *  `indices` its `index` arguments in order, state arguments start at zero;
 *  `outputs` receive its first `num_outputs` results (0 to all, in manifest
 *  order). Any model kind. */
rat_status rat_model_run(rat_model *model, const char *entry,
                         int32_t num_inputs, const rat_tensor *inputs,
                         int32_t num_indices, const int64_t *indices,
                         int32_t num_outputs, rat_tensor *outputs);

/** lm: prefill on the first `prompt_len` tokens (0: all T) of `tokens`
 *  [B, T] (int32 or int64). Writes `next_token` [B] (the argmax of the
 *  last prompt position) and/or `logits` [B, P, V]; either may be NULL.
 *  The model's decode state becomes this prompt's, so that
 *  rat_model_decode_step can continue at position P. */
rat_status rat_model_prefill(rat_model *model, const rat_tensor *tokens,
                             int64_t prompt_len, rat_tensor *next_token,
                             rat_tensor *logits);

/** One decode step at `position`, on the model's decode state (from
 *  rat_model_prefill, or zero after rat_model_reset).
 *  lm: `input` is the token [B] (int32 or int64), `output` gets next_token
 *  [B], `logits` (may be NULL) the step's logits [B, 1, V].
 *  rat_layer: `input` is x [B, 1, D], `output` gets y [B, 1, D]; `logits`
 *  must be NULL.
 *  The state is updated in place: if the step fails after its arguments
 *  were checked (a device fault), call rat_model_reset. Steps run eagerly
 *  (no CUDA graph; rat_model_generate replays graphs). */
rat_status rat_model_decode_step(rat_model *model, const rat_tensor *input,
                                 int64_t position, rat_tensor *output,
                                 rat_tensor *logits);

/** Drops the model's decode state: the next decode step starts from zero
 *  state (position 0 of a rat_layer). */
rat_status rat_model_reset(rat_model *model);

/** Called by rat_model_generate with the tokens of each step as they are
 *  known: `tokens[b]` is sequence b's token of step `step` (0-based), -1
 *  for a sequence that has stopped. */
typedef void (*rat_token_callback)(void *user_data, int64_t step,
                                   const int32_t *tokens, int64_t batch);

/** Generation options. Zero-initialised fields (rat_generate_options_init)
 *  mean greedy decoding of the whole prompt for `max_new_tokens` tokens. */
typedef struct rat_generate_options {
  /** sizeof(rat_generate_options), set by rat_generate_options_init. */
  size_t struct_size;
  /** N >= 1: tokens to generate per sequence. */
  int64_t max_new_tokens;
  /** P: every prompt is the first P tokens of its row (0: all T). */
  int64_t prompt_len;
  /** Ragged prompts: `prompt_lens[b]` (1 <= L[b] <= T) tokens of row b;
   *  NULL: `prompt_len` for every row. */
  const int64_t *prompt_lens;
  /** A sequence stops after emitting one of these ids (`num_eos` of them;
   *  NULL/0: none). */
  const int64_t *eos_ids;
  int32_t num_eos;
  /** Sampling on the device: 0 is greedy (argmax). */
  float temperature;
  /** Sample among the K most likely tokens (0: no limit). */
  int64_t top_k;
  /** Sample within the smallest set of probability >= top_p (0 or 1: no
   *  limit). */
  float top_p;
  /** The random state's seed: the same seed, inputs and target give the
   *  same tokens. */
  uint64_t seed;
  /** Streaming: called with each step's tokens (NULL: not called). */
  rat_token_callback on_token;
  void *user_data;
  /** Sequences per prefill call (the prompt's activations grow with batch x
   *  length): -1 default (as many as fit 16384 tokens), 0 the whole batch,
   *  R > 0 as the executable's --prefill-rows R. */
  int64_t prefill_rows;
} rat_generate_options;

/** Defaults: greedy, whole prompt, prefill_rows -1, max_new_tokens 0 (must
 *  be set). */
void rat_generate_options_init(rat_generate_options *options);

/** lm: generation after the prompts of `tokens` [B, T] (int32 or int64).
 *  `output` gets [B, P + N] ([B, max(L) + N] with `prompt_lens`; int32 or
 *  int64): each row's prompt, then its generated tokens, then -1 (after a
 *  stop, or past a shorter prompt's tokens). `output_lens` (may be NULL)
 *  gets [B]: each sequence's number of generated tokens (an eos id
 *  included). The prompt is prefilled once, then the decode entry runs up
 *  to N times (replayed as a CUDA graph on the cuda target; repeated
 *  calls with the same shapes reuse the graph). Does not touch the decode
 *  state of rat_model_prefill / rat_model_decode_step. */
rat_status rat_model_generate(rat_model *model, const rat_tensor *tokens,
                              const rat_generate_options *options,
                              rat_tensor *output, rat_tensor *output_lens);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RAT_RUNTIME_RAT_MODEL_H */
