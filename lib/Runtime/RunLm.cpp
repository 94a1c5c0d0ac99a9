//===- RunLm.cpp - The command line of an lm model ------------------------===//
//
// `--tokens t.npy --logits l.npy` (prefill logits) and/or `--generate N
// --output g.npy` (greedy generation, GreedyGenerator): the files are
// checked before the checkpoint is loaded, the outputs written at the end.
//
//===----------------------------------------------------------------------===//

#include "Runners.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Generation.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

using namespace rat;

namespace {

/// Checks token ids against vocab_size; `columns` limits the check to the
/// prompt.
void checkTokens(const HostTensor &tokens, int64_t columns,
                 std::optional<int64_t> vocabSize, const std::string &what) {
  const int32_t *ids = tokens.dataAs<int32_t>();
  int64_t rows = tokens.shape()[0], stride = tokens.shape()[1];
  for (int64_t b = 0; b < rows; ++b) {
    for (int64_t t = 0; t < columns; ++t) {
      int32_t id = ids[b * stride + t];
      if (id < 0 || (vocabSize && id >= *vocabSize))
        throw RatError(
            what + ": token " + std::to_string(id) + " at [" +
            std::to_string(b) + ", " + std::to_string(t) + "] is out of range" +
            (vocabSize ? " for vocab_size " + std::to_string(*vocabSize)
                       : std::string(" (negative)")));
    }
  }
}

/// Calls `entry` on `rows`-sequence slices of the batch (dim 0 of the input
/// `tokensName` and of every result and state) and gathers the results and
/// states into full-batch tensors; one call when rows >= batch. States are
/// gathered into the buffers of `reuse` where name, type and shape match

} // namespace

void rat::runLm(Session &session, const CommandLineOptions &options) {
  const Manifest &manifest = session.model();
  requireOption(options.tokens, "--tokens", "(token ids [B, T])");
  int64_t generate = options.generate.value_or(0);
  if (generate > 0 && options.output.empty())
    throw RatError("--generate needs --output (where to write the tokens)");
  if (generate == 0 && !options.output.empty())
    throw RatError("--output needs --generate N (use --logits for prefill)");
  if (generate == 0 && options.logits.empty())
    throw RatError("nothing to do: give --logits FILE and/or --generate N "
                   "--output FILE");
  // Generation without --logits starts with the `prompt` entry when the
  // model has one: the same prefill without the [B, T, V] logits.
  const EntrySpec *promptEntry = manifest.findEntry("prompt");
  const EntrySpec &prefill = options.logits.empty() && promptEntry
                                 ? *promptEntry
                                 : *manifest.findEntry("prefill");
  const EntrySpec *decode = manifest.findEntry("decode");
  if (generate > 1 && !decode)
    throw RatError("--generate: this model was compiled without a decode "
                   "entry");
  std::vector<const EntrySpec *> used = {&prefill};
  if (generate > 1)
    used.push_back(decode);
  std::optional<int64_t> vocabSize = manifest.intParam("vocab_size");
  std::optional<int64_t> maxSeqLen = manifest.intParam("max_seq_len");

  // Validate the user's files before loading a possibly large checkpoint.
  const ValueSpec &tokensSpec = prefill.args[prefill.findArg(Role::Input)];
  HostTensor tokens = readInput(options.tokens, tokensSpec);
  if (tokens.rank() != 2 || tokens.shape()[1] < 1)
    throw RatError(options.tokens +
                   ": expected token ids [B, T] with T >= 1, "
                   "got shape " +
                   formatShape(tokens.shape()));
  int64_t batch = tokens.shape()[0], length = tokens.shape()[1];
  int64_t promptLen = options.promptLen.value_or(length);
  if (promptLen > length)
    throw RatError("--prompt-len " + std::to_string(promptLen) +
                   " exceeds the " + std::to_string(length) + " tokens in " +
                   options.tokens);
  if (generate > 0 && maxSeqLen && promptLen + generate > *maxSeqLen)
    throw RatError("--prompt-len " + std::to_string(promptLen) +
                   " + --generate " + std::to_string(generate) +
                   " exceeds the model's max_seq_len " +
                   std::to_string(*maxSeqLen));
  checkTokens(tokens, promptLen, vocabSize, options.tokens);

  loadWeights(session, options, used);
  const Log &log = session.logger();
  DeviceBackend &device = session.device();

  Clock::time_point begin = Clock::now();
  HostTensor prompt(DType::I32, {batch, promptLen});
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(prompt.dataAs<int32_t>() + b * promptLen,
                tokens.dataAs<int32_t>() + b * length,
                static_cast<size_t>(promptLen) * sizeof(int32_t));
  CallInputs prefillInputs;
  prefillInputs.tensors[tokensSpec.name] = session.upload(std::move(prompt));
  // Sequences per prefill call.
  int64_t sliceRows = 0;
  if (batchLeads(prefill, tokensSpec))
    sliceRows = options.prefillRows.value_or(
        std::max<int64_t>(1, kDefaultPrefillTokens / promptLen));
  else if (options.prefillRows.value_or(0) > 0)
    throw RatError("--prefill-rows: entry '" + prefill.name +
                   "' has a result or state without the batch as its first "
                   "dimension");
  if (sliceRows > 0 && sliceRows < batch)
    log.note("prefill in slices of " + std::to_string(sliceRows) +
             " sequence(s) (--prefill-rows)");
  prefillInputs.sources[tokensSpec.name] = options.tokens;
  log.phase("upload", begin);

  int64_t logitsIndex =
      options.logits.empty() ? -1 : prefill.findResult(Role::Output, "logits");
  GenerationConfig config;
  config.batch = batch;
  config.promptLen = promptLen;
  config.generate = generate;
  config.sliceRows = sliceRows;
  config.vocabSize = vocabSize;
  GreedyGenerator generator(session, prefill, generate > 1 ? decode : nullptr,
                            config);

  GenerationResult run = generator.run(prefillInputs);
  if (run.stateBytes)
    log.note("decode state: " + formatMiB(run.stateBytes) + " for " +
             std::to_string(batch) + " sequence(s), " +
             formatMiB(run.stateBytes / static_cast<size_t>(batch)) +
             " per sequence");
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  log.phaseMs("prefill", ms(run.start, run.prefillDone),
              std::to_string(batch) + " x " + std::to_string(promptLen) +
                  " tokens");
  if (generate > 1) {
    double decodeMs = ms(run.prefillDone, run.decodeDone);
    char detail[64];
    std::snprintf(detail, sizeof(detail), "%lld steps, %.3f ms/step",
                  static_cast<long long>(generate - 1),
                  decodeMs / static_cast<double>(generate - 1));
    log.phaseMs("decode", decodeMs, detail);
  }

  OutputFiles outputs;
  if (!options.logits.empty())
    outputs.add(options.logits,
                session.download(run.prefillResults[logitsIndex]));
  if (generate > 0) {
    HostTensor all(DType::I32, {batch, promptLen + generate});
    int32_t *ids = all.dataAs<int32_t>();
    for (int64_t b = 0; b < batch; ++b)
      std::memcpy(ids + b * (promptLen + generate),
                  tokens.dataAs<int32_t>() + b * length,
                  static_cast<size_t>(promptLen) * sizeof(int32_t));
    HostTensor generated = session.download(run.generated);
    for (int64_t step = 0; step < generate; ++step)
      for (int64_t b = 0; b < batch; ++b)
        ids[b * (promptLen + generate) + promptLen + step] =
            generated.dataAs<int32_t>()[step * batch + b];
    checkTokens(all, promptLen + generate, vocabSize, "generated tokens");
    outputs.add(options.output, std::move(all));
  }
  run = GenerationResult();
  outputs.commit(log);

  if (options.bench) {
    std::unique_ptr<DeviceTimer> timer = device.createTimer();
    for (int64_t i = 0; i < options.warmup; ++i)
      generator.run(prefillInputs);
    std::vector<double> prefillTimes, stepTimes;
    for (int64_t i = 0; i < *options.bench; ++i) {
      GenerationResult timed = generator.run(prefillInputs, timer.get());
      prefillTimes.push_back(timed.prefillMs);
      stepTimes.insert(stepTimes.end(), timed.stepMs.begin(),
                       timed.stepMs.end());
    }
    printBench("prefill", prefillTimes, static_cast<double>(batch * promptLen));
    if (!stepTimes.empty())
      printBench("decode", stepTimes, static_cast<double>(batch),
                 /*perStep=*/true, graphNote(session, *generator.stepper()));
  }
}
