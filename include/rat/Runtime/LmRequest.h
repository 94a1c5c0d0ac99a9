//===- LmRequest.h - Checking and assembling an LM request ------*- C++ -*-===//
//
// What every client of an `lm` model does around Generator
// (Generation.h), once: pick the entries, check the prompt (token ids,
// lengths, max_seq_len), cut the prompt columns, choose the prefill slices
// (Generation.h's collectTokens assembles the generated tokens). The C API
// (ModelApi.cpp) calls these with its own spelling of the options
// (LmOptionNames); the messages are those of the executable's command line
// (RunLm.cpp, which still has its own copy of the checks while the serving
// options reshape it).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_LMREQUEST_H
#define RAT_RUNTIME_LMREQUEST_H

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
  const char *generate = "--generate";
  const char *prefillRows = "--prefill-rows";
};

/// The entries an LM request runs.
struct LmEntries {
  /// `prompt` when no logits are asked for and the model has it (the same
  /// prefill without the [B, T, V] logits), else `prefill`.
  const EntrySpec *prefill = nullptr;
  /// The decode entry, when more than one token is generated.
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

/// Checks an LM prompt: `tokens` (from `source`) is int32 [B, T] with T >=
/// 1, the prompt length (default T) is 1 <= P <= T, P + generate fits the
/// model's max_seq_len, the prompt's ids are in the vocabulary. Returns P.
int64_t checkLmPrompt(const Manifest &manifest, const HostTensor &tokens,
                      std::optional<int64_t> promptLen, int64_t generate,
                      const std::string &source,
                      const LmOptionNames &names = {});

/// The first `promptLen` columns of `tokens` [B, T]: [B, P].
HostTensor promptColumns(const HostTensor &tokens, int64_t promptLen);

/// Sequences per call of `prefill` for prompts of `promptLen` tokens:
/// `requested` (0: the whole batch), by default as many as fit
/// kDefaultPrefillTokens. 0 (one call) for an entry whose results or states
/// do not all lead with the batch; then a requested R > 0 is an error.
int64_t prefillSliceRows(const EntrySpec &prefill, int64_t promptLen,
                         std::optional<int64_t> requested,
                         const LmOptionNames &names = {});

} // namespace rat

#endif // RAT_RUNTIME_LMREQUEST_H
