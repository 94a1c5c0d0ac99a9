//===- LmRequest.cpp - Checking and assembling an LM request --------------===//

#include "rat/Runtime/LmRequest.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Generation.h"

#include <algorithm>

using namespace rat;

std::vector<const EntrySpec *> LmEntries::used() const {
  std::vector<const EntrySpec *> entries = {prefill};
  if (decode)
    entries.push_back(decode);
  return entries;
}

LmEntries rat::selectLmEntries(const Manifest &manifest, bool logits,
                               int64_t generate, const LmOptionNames &names) {
  LmEntries entries;
  const EntrySpec *prompt = manifest.findEntry("prompt");
  entries.prefill =
      !logits && prompt ? prompt : manifest.findEntry("prefill");
  if (generate > 0) {
    entries.decode = manifest.findEntry("decode");
    if (!entries.decode)
      throw RatError(std::string(names.generate) +
                     ": this model was compiled without a decode entry");
  }
  return entries;
}

/// Checks the ids of row b in columns [0, columns(b)) of `tokens` [B, T]
/// (or [B]).
template <typename Columns>
static void checkIds(const HostTensor &tokens, Columns columns,
                     std::optional<int64_t> vocabSize,
                     const std::string &what) {
  const int32_t *ids = tokens.dataAs<int32_t>();
  bool rows2d = tokens.rank() == 2;
  int64_t rows = tokens.shape()[0], stride = rows2d ? tokens.shape()[1] : 1;
  for (int64_t b = 0; b < rows; ++b) {
    for (int64_t t = 0; t < columns(b); ++t) {
      int32_t id = ids[b * stride + t];
      if (id < 0 || (vocabSize && id >= *vocabSize))
        throw RatError(
            what + ": token " + std::to_string(id) + " at [" +
            std::to_string(b) +
            (rows2d ? ", " + std::to_string(t) : std::string()) +
            "] is out of range" +
            (vocabSize ? " for vocab_size " + std::to_string(*vocabSize)
                       : std::string(" (negative)")));
    }
  }
}

void rat::checkTokenIds(const HostTensor &tokens, int64_t columns,
                        std::optional<int64_t> vocabSize,
                        const std::string &what) {
  checkIds(
      tokens, [&](int64_t) { return columns; }, vocabSize, what);
}

void rat::checkTokenIds(const HostTensor &tokens,
                        const std::vector<int64_t> &lengths,
                        std::optional<int64_t> vocabSize,
                        const std::string &what) {
  checkIds(
      tokens, [&](int64_t b) { return lengths[b]; }, vocabSize, what);
}

void rat::checkLmTokens(const HostTensor &tokens, const std::string &source) {
  if (tokens.dtype() != DType::I32 || tokens.rank() != 2 ||
      tokens.shape()[1] < 1)
    throw RatError(source +
                   ": expected token ids [B, T] with T >= 1, "
                   "got shape " +
                   formatShape(tokens.shape()));
}

/// checkLmPrompt without the token ids: the prompt length P.
static int64_t checkPromptLength(const Manifest &manifest,
                                 const HostTensor &tokens,
                                 std::optional<int64_t> promptLen,
                                 int64_t generate, const std::string &source,
                                 const LmOptionNames &names) {
  checkLmTokens(tokens, source);
  int64_t length = tokens.shape()[1];
  int64_t prompt = promptLen.value_or(length);
  if (prompt < 1)
    throw RatError(std::string(names.promptLen) + " must be >= 1, got " +
                   std::to_string(prompt));
  if (prompt > length)
    throw RatError(std::string(names.promptLen) + " " + std::to_string(prompt) +
                   " exceeds the " + std::to_string(length) + " tokens in " +
                   source);
  std::optional<int64_t> maxSeqLen = manifest.intParam("max_seq_len");
  if (generate > 0 && maxSeqLen && prompt + generate > *maxSeqLen)
    throw RatError(std::string(names.promptLen) + " " + std::to_string(prompt) +
                   " + " + names.generate + " " + std::to_string(generate) +
                   " exceeds the model's max_seq_len " +
                   std::to_string(*maxSeqLen));
  return prompt;
}

int64_t rat::checkLmPrompt(const Manifest &manifest, const HostTensor &tokens,
                           std::optional<int64_t> promptLen, int64_t generate,
                           const std::string &source,
                           const LmOptionNames &names) {
  int64_t prompt =
      checkPromptLength(manifest, tokens, promptLen, generate, source, names);
  checkTokenIds(tokens, prompt, manifest.intParam("vocab_size"), source);
  return prompt;
}

LmPrompt rat::checkLmRequest(const Manifest &manifest, const HostTensor &tokens,
                             std::optional<int64_t> promptLen,
                             const GenerationOptions &request,
                             const std::string &source,
                             const LmOptionNames &names) {
  bool ragged = !request.promptLengths.empty();
  if (ragged && promptLen)
    throw RatError(std::string(names.promptLen) + " and " + names.promptLens +
                   " exclude each other");
  std::optional<int64_t> vocabSize = manifest.intParam("vocab_size");
  std::optional<int64_t> maxSeqLen = manifest.intParam("max_seq_len");
  LmPrompt prompt;
  if (ragged) {
    checkLmTokens(tokens, source);
    prompt.batch = tokens.shape()[0];
    validateGenerationOptions(request, prompt.batch, tokens.shape()[1],
                              vocabSize, maxSeqLen);
    prompt.lengths = request.promptLengths;
    prompt.width =
        *std::max_element(prompt.lengths.begin(), prompt.lengths.end());
  } else {
    prompt.width = checkPromptLength(manifest, tokens, promptLen,
                                     request.maxNewTokens, source, names);
    prompt.batch = tokens.shape()[0];
    validateGenerationOptions(request, prompt.batch, prompt.width, vocabSize,
                              maxSeqLen);
    prompt.lengths.assign(static_cast<size_t>(prompt.batch), prompt.width);
  }
  checkTokenIds(tokens, prompt.lengths, vocabSize, source);
  return prompt;
}

int64_t rat::prefillSliceRows(const EntrySpec &prefill, int64_t promptLen,
                              std::optional<int64_t> requested,
                              const LmOptionNames &names) {
  const ValueSpec &tokens =
      prefill.args[prefill.findArg(Role::Input, "tokens")];
  if (batchLeads(prefill, tokens))
    return requested.value_or(
        std::max<int64_t>(1, kDefaultPrefillTokens / promptLen));
  if (requested.value_or(0) > 0)
    throw RatError(std::string(names.prefillRows) + ": entry '" +
                   prefill.name +
                   "' has a result or state without the batch as its first "
                   "dimension");
  return 0;
}

GenerationConfig rat::lmGenerationConfig(const Manifest &manifest,
                                         const LmPrompt &prompt,
                                         int64_t generate, int64_t sliceRows) {
  GenerationConfig config;
  config.batch = prompt.batch;
  config.promptLen = prompt.width;
  config.generate = generate;
  config.sliceRows = sliceRows;
  config.vocabSize = manifest.intParam("vocab_size");
  return config;
}
