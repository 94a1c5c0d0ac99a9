//===- LmRequest.h - Checking and assembling an LM request ------*- C++ -*-===//
//
// What every client of an `lm` model does around Generator
// (Generation.h), once: pick the entries, check the prompt (token ids,
// lengths, ragged prompts, max_seq_len) with the rest of the request,
// choose the prefill slices and configure the Generator
// (Generation.h's collectTokens assembles the generated tokens). The
// executable's command line (RunLm.cpp) and the C API
// (ModelApiGeneration.cpp) both call these, each with its own spelling of
// the options in the messages (LmOptionNames).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_LMREQUEST_H
#define RAT_RUNTIME_LMREQUEST_H

#include "rat/Runtime/Generation.h"
#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Manifest.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rat {

/// How a client spells the options of an LM request in its messages.
struct LmOptionNames {
  const char *promptLen = "--prompt-len";
  const char *promptLens = "--prompt-lens";
  const char *generate = "--generate";
  const char *prefillRows = "--prefill-rows";
};

/// The entries an LM request runs.
struct LmEntries {
  /// `prompt` when no logits are asked for and the model has it (the same
  /// prefill without the [B, T, V] logits), else `prefill`.
  const EntrySpec *prefill = nullptr;
  /// The decode entry, when tokens are generated (each of them is drawn by
  /// a decode step, the first from the prefill's logits).
  const EntrySpec *decode = nullptr;

  /// The entries whose weights the request needs.
  std::vector<const EntrySpec *> used() const;
};

/// The entries of a request for `logits` and/or `generate` tokens. Throws
/// RatError when generation needs a decode entry the model lacks.
LmEntries selectLmEntries(const Manifest &manifest, bool logits,
                          int64_t generate, const LmOptionNames &names = {});

/// Checks token ids [B, T] (or [B], one column; int32) in the first
/// `columns` columns of each row: in [0, vocab_size), or only non-negative
/// without one. The error names `what`, the id and its [b, t] position.
void checkTokenIds(const HostTensor &tokens, int64_t columns,
                   std::optional<int64_t> vocabSize, const std::string &what);

/// Checks token ids [B, T] as above in the first `lengths[b]` columns of
/// row b (ragged prompts).
void checkTokenIds(const HostTensor &tokens,
                   const std::vector<int64_t> &lengths,
                   std::optional<int64_t> vocabSize, const std::string &what);

/// Checks that `tokens` (from `source`) are LM token ids: int32 [B, T] with
/// T >= 1.
void checkLmTokens(const HostTensor &tokens, const std::string &source);

/// Checks an LM prompt: `tokens` (from `source`) is int32 [B, T] with T >=
/// 1, the prompt length (default T) is 1 <= P <= T, P + generate fits the
/// model's max_seq_len, the prompt's ids are in the vocabulary. Returns P.
int64_t checkLmPrompt(const Manifest &manifest, const HostTensor &tokens,
                      std::optional<int64_t> promptLen, int64_t generate,
                      const std::string &source,
                      const LmOptionNames &names = {});

/// A checked LM prompt.
struct LmPrompt {
  int64_t batch = 0;
  /// Tokens per prompt row: the longest prompt (shorter ones are padded).
  int64_t width = 0;
  /// Every sequence's prompt length (all `width` without ragged prompts).
  std::vector<int64_t> lengths;
};

/// Checks the prompt and the options of a generation `request` of
/// request.maxNewTokens tokens: `tokens` (from `source`) as checkLmTokens;
/// without request.promptLengths the one prompt length `promptLen`
/// (default T) as checkLmPrompt; with them (ragged prompts, which exclude
/// `promptLen`) 1 <= L[b] <= T; the longest prompt plus the new tokens fit
/// max_seq_len, the end-of-sequence ids and the sampling are valid
/// (validateGenerationOptions), every prompt's ids are in the vocabulary.
LmPrompt checkLmRequest(const Manifest &manifest, const HostTensor &tokens,
                        std::optional<int64_t> promptLen,
                        const GenerationOptions &request,
                        const std::string &source,
                        const LmOptionNames &names = {});

/// Sequences per call of `prefill` for prompts of `promptLen` tokens:
/// `requested` (0: the whole batch), by default as many as fit
/// kDefaultPrefillTokens. 0 (one call) for an entry whose results or states
/// do not all lead with the batch; then a requested R > 0 is an error.
int64_t prefillSliceRows(const EntrySpec &prefill, int64_t promptLen,
                         std::optional<int64_t> requested,
                         const LmOptionNames &names = {});

/// The Generator configuration of a checked `prompt`: its batch and width,
/// `generate` tokens, `sliceRows` sequences per prefill call
/// (prefillSliceRows), the model's vocab_size for the generated tokens.
GenerationConfig lmGenerationConfig(const Manifest &manifest,
                                    const LmPrompt &prompt, int64_t generate,
                                    int64_t sliceRows);

} // namespace rat

#endif // RAT_RUNTIME_LMREQUEST_H
