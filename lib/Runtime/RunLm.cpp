//===- RunLm.cpp - The command line of an lm model ------------------------===//
//
// `--tokens t.npy --logits l.npy` (prefill logits) and/or `--generate N
// --output g.npy` (generation, Generator): ragged prompts (--prompt-lens),
// stop tokens (--eos, --output-lens), sampling (--temperature, --top-k,
// --top-p, --seed) and --stream. The files are checked before the
// checkpoint is loaded, the outputs written at the end.
//
//===----------------------------------------------------------------------===//

#include "Runners.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Generation.h"
#include "rat/Runtime/LmRequest.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

using namespace rat;

namespace {

/// Reads --prompt-lens: int32 or int64 [B].
std::vector<int64_t> readLengths(const std::string &path, int64_t batch) {
  ValueSpec spec;
  spec.name = "prompt lengths";
  spec.type = DType::I64;
  HostTensor file = readInput(path, spec);
  if (file.rank() != 1 || file.shape()[0] != batch)
    throw RatError(path + ": expected prompt lengths [" +
                   std::to_string(batch) + "] (one per row of --tokens), got "
                   "shape " +
                   formatShape(file.shape()));
  const int64_t *data = file.dataAs<int64_t>();
  return std::vector<int64_t>(data, data + batch);
}

/// Options that only make sense with --generate.
void requireGenerate(const CommandLineOptions &options) {
  for (const char *option :
       {"--eos", "--output-lens", "--temperature", "--top-k", "--top-p",
        "--seed", "--stream"})
    if (options.given.count(option))
      throw RatError(std::string(option) + " needs --generate N");
}

} // namespace

void rat::runLm(Session &session, const CommandLineOptions &options) {
  const Manifest &manifest = session.model();
  requireOption(options.tokens, "--tokens", "(token ids [B, T])");
  int64_t generate = options.generate.value_or(0);
  if (generate > 0 && options.output.empty() && !options.stream)
    throw RatError("--generate needs --output (where to write the tokens) "
                   "or --stream");
  if (generate == 0 && !options.output.empty())
    throw RatError("--output needs --generate N (use --logits for prefill)");
  if (generate == 0 && options.logits.empty())
    throw RatError("nothing to do: give --logits FILE and/or --generate N "
                   "--output FILE");
  if (generate == 0)
    requireGenerate(options);
  // Generation without --logits starts with the `prompt` entry when the
  // model has one: the same prefill without the [B, T, V] logits.
  LmEntries entries = selectLmEntries(manifest, !options.logits.empty(),
                                      generate);
  const EntrySpec &prefill = *entries.prefill;

  // Validate the user's files before loading a possibly large checkpoint.
  const ValueSpec &tokensSpec =
      prefill.args[prefill.findArg(Role::Input, "tokens")];
  HostTensor tokens = readInput(options.tokens, tokensSpec);
  checkLmTokens(tokens, options.tokens);
  int64_t batch = tokens.shape()[0];
  GenerationOptions request;
  request.maxNewTokens = generate;
  bool ragged = !options.promptLens.empty();
  if (ragged)
    request.promptLengths = readLengths(options.promptLens, batch);
  for (int64_t id : options.eos)
    request.eosIds.push_back(static_cast<int32_t>(
        std::min<int64_t>(id, std::numeric_limits<int32_t>::max())));
  request.sampling.temperature = options.temperature.value_or(0.0);
  request.sampling.topK = options.topK.value_or(0);
  request.sampling.topP = options.topP.value_or(1.0);
  request.sampling.seed = options.seed.value_or(0);
  // Every sequence's length (all `width` without --prompt-lens); the
  // prompt rows are `width` tokens wide.
  LmPrompt prompt = checkLmRequest(manifest, tokens, options.promptLen,
                                   request, options.tokens);
  int64_t width = prompt.width;
  const std::vector<int64_t> &lengths = prompt.lengths;
  if (options.stream && batch != 1)
    throw RatError("--stream prints the tokens of one sequence: --tokens has " +
                   std::to_string(batch) + " rows");

  loadWeights(session, options, entries.used());
  const Log &log = session.logger();
  DeviceBackend &device = session.device();

  Clock::time_point begin = Clock::now();
  // Sequences per prefill call.
  int64_t sliceRows =
      prefillSliceRows(prefill, width, options.prefillRows);
  if (sliceRows > 0 && sliceRows < batch)
    log.note("prefill in slices of " + std::to_string(sliceRows) +
             " sequence(s) (--prefill-rows)");
  Generator generator(session, prefill, entries.decode,
                      lmGenerationConfig(manifest, prompt, generate,
                                         sliceRows));
  CallInputs prefillInputs =
      generator.promptInputs(tokens, request, options.tokens);
  log.phase("upload", begin);

  GenerationOptions first = request;
  if (options.stream)
    first.onTokens = [](int64_t, const int32_t *ids, int64_t) {
      if (ids[0] >= 0) {
        std::printf("%d\n", ids[0]);
        std::fflush(stdout);
      }
    };
  GenerationResult run = generator.run(prefillInputs, first);
  if (run.stateBytes)
    log.note("decode state: " + formatMiB(run.stateBytes) + " for " +
             std::to_string(batch) + " sequence(s), " +
             formatMiB(run.stateBytes / static_cast<size_t>(batch)) +
             " per sequence");
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  log.phaseMs("prefill", ms(run.start, run.prefillDone),
              std::to_string(batch) + " x " + std::to_string(width) +
                  " tokens" + (ragged ? " (ragged, padded)" : ""));
  if (run.steps > 0) {
    double decodeMs = ms(run.prefillDone, run.decodeDone);
    char detail[96];
    std::snprintf(detail, sizeof(detail), "%lld steps, %.3f ms/step%s",
                  static_cast<long long>(run.steps),
                  decodeMs / static_cast<double>(run.steps),
                  run.steps < generate ? ", every sequence stopped" : "");
    log.phaseMs("decode", decodeMs, detail);
  }

  OutputFiles outputs;
  if (!options.logits.empty()) {
    int64_t logitsIndex = prefill.findResult(Role::Output, "logits");
    HostTensor logits = session.download(run.prefillResults[logitsIndex]);
    // Positions past a sequence's prompt hold padding: zero them.
    if (ragged && logits.rank() == 3) {
      size_t row = static_cast<size_t>(logits.shape()[2]) *
                   dtypeSize(logits.dtype());
      auto *data = static_cast<uint8_t *>(logits.data());
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = lengths[b]; t < logits.shape()[1]; ++t)
          std::memset(data + (b * logits.shape()[1] + t) * row, 0, row);
    }
    outputs.add(options.logits, std::move(logits));
  }
  if (generate > 0) {
    GeneratedTokens result =
        collectTokens(tokens, lengths, session.download(run.generated),
                      run.steps, request.eosIds,
                      manifest.intParam("vocab_size"));
    if (!options.output.empty())
      outputs.add(options.output, std::move(result.tokens));
    if (!options.outputLens.empty())
      outputs.add(options.outputLens, std::move(result.counts));
  }
  run = GenerationResult();
  outputs.commit(log);

  if (options.bench) {
    std::unique_ptr<DeviceTimer> timer = device.createTimer();
    for (int64_t i = 0; i < options.warmup; ++i)
      generator.run(prefillInputs, request);
    std::vector<double> prefillTimes, stepTimes;
    for (int64_t i = 0; i < *options.bench; ++i) {
      GenerationResult timed =
          generator.run(prefillInputs, request, timer.get());
      prefillTimes.push_back(timed.prefillMs);
      stepTimes.insert(stepTimes.end(), timed.stepMs.begin(),
                       timed.stepMs.end());
    }
    printBench("prefill", prefillTimes, static_cast<double>(batch * width));
    if (!stepTimes.empty())
      printBench("decode", stepTimes, static_cast<double>(batch),
                 /*perStep=*/true, graphNote(session, *generator.stepper()));
  }
}
