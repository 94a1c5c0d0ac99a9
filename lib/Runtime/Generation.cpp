//===- Generation.cpp - Generation with a compiled LM ---------------------===//

#include "rat/Runtime/Generation.h"

#include "rat/Runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace rat;

std::vector<Tensor> rat::callInSlices(Session &session, const EntrySpec &entry,
                                      const CallInputs &inputs, int64_t batch,
                                      int64_t rows, StatePool &states,
                                      const StatePool *reuse) {
  if (rows <= 0 || rows >= batch)
    return session.call(entry, inputs, states);
  DeviceBackend &device = session.device();
  std::vector<Tensor> results;
  // Copies rows [b0, b0 + n) of `part` into `full` (allocated on first use).
  auto gather = [&](Tensor &full, const Tensor &part, int64_t b0, int64_t n,
                    const std::string &what) {
    if (part.shape.empty() || part.shape[0] != n)
      throw RatError("entry '" + entry.name + "': " + what + " has shape " +
                     formatShape(part.shape) + ", expected " +
                     std::to_string(n) + " rows (a batch slice)");
    if (!full.data) {
      Shape shape = part.shape;
      shape[0] = batch;
      full = session.allocate(part.dtype, shape, /*zero=*/false);
    }
    size_t row = part.sizeInBytes() / static_cast<size_t>(n);
    device.copyOnDevice(static_cast<uint8_t *>(full.data) +
                            static_cast<size_t>(b0) * row,
                        part.data, part.sizeInBytes());
  };
  for (int64_t b0 = 0; b0 < batch; b0 += rows) {
    int64_t n = std::min(rows, batch - b0);
    // Every input tensor is sliced along its leading (batch) dimension.
    CallInputs slice = inputs;
    for (auto &[name, tensor] : slice.tensors) {
      if (tensor.shape.empty() || tensor.shape[0] != batch)
        throw RatError("entry '" + entry.name + "': input '" + name +
                       "' has shape " + formatShape(tensor.shape) +
                       ", expected " + std::to_string(batch) +
                       " rows (the batch)");
      size_t row = tensor.sizeInBytes() / static_cast<size_t>(batch);
      Shape shape = tensor.shape;
      shape[0] = n;
      tensor = Session::view(tensor, static_cast<size_t>(b0) * row, shape);
    }
    StatePool part;
    std::vector<Tensor> out = session.call(entry, slice, part);
    results.resize(out.size());
    // State results are gathered once, into `states` (below).
    for (size_t i = 0; i < out.size(); ++i)
      if (entry.results[i].role != Role::State)
        gather(results[i], out[i], b0, n,
               "result '" + entry.results[i].name + "'");
    for (auto &[name, tensor] : part) {
      Tensor &full = states[name];
      if (b0 == 0 && reuse) {
        auto it = reuse->find(name);
        if (it != reuse->end() && it->second.dtype == tensor.dtype &&
            it->second.shape.size() == tensor.shape.size() &&
            it->second.shape[0] == batch &&
            std::equal(tensor.shape.begin() + 1, tensor.shape.end(),
                       it->second.shape.begin() + 1))
          full = it->second;
      }
      gather(full, tensor, b0, n, "state '" + name + "'");
    }
  }
  for (size_t i = 0; i < results.size(); ++i)
    if (entry.results[i].role == Role::State)
      results[i] = states.at(entry.results[i].name);
  return results;
}

bool rat::batchLeads(const EntrySpec &entry, const ValueSpec &input) {
  if (input.dims.empty() || !input.dims[0].isSymbolic())
    return false;
  const Dim &batch = input.dims[0];
  for (const ValueSpec &arg : entry.args)
    if ((arg.role == Role::State || arg.role == Role::Input) &&
        (arg.dims.empty() || !(arg.dims[0] == batch)))
      return false;
  for (const ValueSpec &result : entry.results)
    if (result.dims.empty() || !(result.dims[0] == batch))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

void rat::validateSamplingParams(const SamplingParams &params,
                                 const std::string &what) {
  auto fail = [&](const std::string &message) {
    throw RatError(what + ": " + message);
  };
  if (!std::isfinite(params.temperature) || params.temperature < 0)
    fail("temperature must be >= 0 (0 is greedy), got " +
         std::to_string(params.temperature));
  if (params.topK < 0)
    fail("top-k must be >= 1, got " + std::to_string(params.topK));
  if (!(params.topP > 0 && params.topP <= 1))
    fail("top-p must be in (0, 1], got " + std::to_string(params.topP));
}

void rat::validateGenerationOptions(const GenerationOptions &options,
                                    int64_t batch, int64_t width,
                                    std::optional<int64_t> vocabSize,
                                    std::optional<int64_t> maxSeqLen) {
  if (options.maxNewTokens < 0)
    throw RatError("the number of tokens to generate must be >= 0, got " +
                   std::to_string(options.maxNewTokens));
  int64_t longest = width;
  if (!options.promptLengths.empty()) {
    if (static_cast<int64_t>(options.promptLengths.size()) != batch)
      throw RatError("prompt lengths: " +
                     std::to_string(options.promptLengths.size()) +
                     " lengths for a batch of " + std::to_string(batch));
    longest = 0;
    for (size_t b = 0; b < options.promptLengths.size(); ++b) {
      int64_t length = options.promptLengths[b];
      if (length < 1 || length > width)
        throw RatError("prompt lengths: sequence " + std::to_string(b) +
                       " has length " + std::to_string(length) +
                       ", expected 1 <= L <= " + std::to_string(width) +
                       " (the tokens per row)");
      longest = std::max(longest, length);
    }
  }
  if (maxSeqLen && options.maxNewTokens > 0 &&
      longest + options.maxNewTokens > *maxSeqLen)
    throw RatError("the longest prompt (" + std::to_string(longest) +
                   " tokens) + " + std::to_string(options.maxNewTokens) +
                   " new tokens exceeds the model's max_seq_len " +
                   std::to_string(*maxSeqLen));
  for (int32_t id : options.eosIds)
    if (id < 0 || (vocabSize && id >= *vocabSize))
      throw RatError("end-of-sequence id " + std::to_string(id) +
                     " is out of range" +
                     (vocabSize ? " for vocab_size " + std::to_string(*vocabSize)
                                : std::string(" (negative)")));
  validateSamplingParams(options.sampling, "sampling");
  if (!options.perSequence.empty()) {
    if (static_cast<int64_t>(options.perSequence.size()) != batch)
      throw RatError("per-sequence sampling: " +
                     std::to_string(options.perSequence.size()) +
                     " entries for a batch of " + std::to_string(batch));
    for (size_t b = 0; b < options.perSequence.size(); ++b)
      validateSamplingParams(options.perSequence[b],
                             "sampling of sequence " + std::to_string(b));
  }
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

GeneratedTokens rat::collectTokens(const HostTensor &prompt,
                                   const std::vector<int64_t> &lengths,
                                   const HostTensor &generated, int64_t steps,
                                   const std::vector<int32_t> &eosIds,
                                   std::optional<int64_t> vocabSize) {
  int64_t batch = prompt.shape()[0], width = prompt.shape()[1];
  int64_t generate = generated.rank() == 2 ? generated.shape()[0] : 0;
  int64_t longest = width;
  if (!lengths.empty())
    longest = *std::max_element(lengths.begin(), lengths.end());
  int64_t columns = longest + generate;
  GeneratedTokens out{HostTensor(DType::I32, {batch, columns}),
                      HostTensor(DType::I32, {batch})};
  int32_t *ids = out.tokens.dataAs<int32_t>();
  int32_t *counts = out.counts.dataAs<int32_t>();
  const int32_t *promptIds = prompt.dataAs<int32_t>();
  const int32_t *steps32 = generate ? generated.dataAs<int32_t>() : nullptr;
  std::fill(ids, ids + batch * columns, -1);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t length = lengths.empty() ? width : lengths[b];
    std::memcpy(ids + b * columns, promptIds + b * width,
                static_cast<size_t>(length) * sizeof(int32_t));
    bool stopped = false;
    int32_t count = 0;
    for (int64_t step = 0; step < std::min(steps, generate); ++step) {
      int32_t id = steps32[step * batch + b];
      if (stopped || id == -1) {
        if (!stopped && id == -1)
          throw RatError("the model generated token -1 at step " +
                         std::to_string(step) + ", row " + std::to_string(b) +
                         " before any end-of-sequence id");
        if (id != -1)
          throw RatError("the model generated token " + std::to_string(id) +
                         " at step " + std::to_string(step) + ", row " +
                         std::to_string(b) + " after the sequence stopped");
        continue;
      }
      if (id < 0 || (vocabSize && id >= *vocabSize))
        throw RatError("the model generated token " + std::to_string(id) +
                       " at step " + std::to_string(step) + ", row " +
                       std::to_string(b) + ": out of range");
      ids[b * columns + length + step] = id;
      ++count;
      stopped = std::find(eosIds.begin(), eosIds.end(), id) != eosIds.end();
    }
    counts[b] = count;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Generator
//===----------------------------------------------------------------------===//

Generator::Generator(Session &session, const EntrySpec &prompt,
                     const EntrySpec *decode, const GenerationConfig &config)
    : session(session), prompt(prompt), config(config) {
  tokensName = prompt.args[prompt.findArg(Role::Input, "tokens")].name;
  if (prompt.findArg(Role::Input, "lengths") >= 0)
    lengthsName = "lengths";
  if (config.generate == 0)
    return;
  if (!decode)
    throw RatError("generating tokens needs a decode entry");
  // The manifest parser checked the entries (lengths, generation state).
  tokenIndex = decode->findResult(Role::Output, "token");
  stepperStorage.emplace(session, *decode);
}

CallInputs Generator::promptInputs(const HostTensor &tokens,
                                   const GenerationOptions &options,
                                   const std::string &source) {
  int64_t batch = config.batch, width = config.promptLen;
  int64_t columns = tokens.shape()[1];
  HostTensor rows(DType::I32, {batch, width});
  HostTensor lengths(DType::I32, {batch});
  for (int64_t b = 0; b < batch; ++b) {
    int64_t length =
        options.promptLengths.empty() ? width : options.promptLengths[b];
    int32_t *row = rows.dataAs<int32_t>() + b * width;
    std::memcpy(row, tokens.dataAs<int32_t>() + b * columns,
                static_cast<size_t>(length) * sizeof(int32_t));
    std::fill(row + length, row + width, 0);
    lengths.dataAs<int32_t>()[b] = static_cast<int32_t>(length);
  }
  CallInputs inputs;
  inputs.tensors[tokensName] = session.upload(std::move(rows));
  inputs.sources[tokensName] = source;
  if (!lengthsName.empty()) {
    inputs.tensors[lengthsName] = session.upload(std::move(lengths));
    inputs.sources[lengthsName] = "the prompt lengths";
  }
  return inputs;
}

void rat::setGenerationState(Session &session,
                             const GenerationOptions &options, int64_t batch,
                             StatePool &states) {
  HostTensor temperature(DType::F32, {batch}), topK(DType::I32, {batch}),
      topP(DType::F32, {batch}), seed(DType::I64, {batch}),
      finished(DType::I32, {batch});
  int64_t numEos = std::max<int64_t>(1, options.eosIds.size());
  HostTensor eos(DType::I32, {batch, numEos});
  for (int64_t b = 0; b < batch; ++b) {
    SamplingParams p = options.sampling;
    if (!options.perSequence.empty())
      p = options.perSequence[b];
    else
      p.seed += static_cast<uint64_t>(b);
    temperature.dataAs<float>()[b] = static_cast<float>(p.temperature);
    topK.dataAs<int32_t>()[b] = static_cast<int32_t>(
        std::min<int64_t>(p.topK, std::numeric_limits<int32_t>::max()));
    topP.dataAs<float>()[b] = static_cast<float>(p.topP);
    std::memcpy(seed.dataAs<int64_t>() + b, &p.seed, sizeof(int64_t));
    finished.dataAs<int32_t>()[b] = 0;
    for (int64_t e = 0; e < numEos; ++e)
      eos.dataAs<int32_t>()[b * numEos + e] =
          options.eosIds.empty() ? -1 : options.eosIds[e];
  }
  using namespace genstate;
  states[kTemperature] = session.upload(std::move(temperature));
  states[kTopK] = session.upload(std::move(topK));
  states[kTopP] = session.upload(std::move(topP));
  states[kSeed] = session.upload(std::move(seed));
  states[kFinished] = session.upload(std::move(finished));
  states[kEos] = session.upload(std::move(eos));
}

bool Generator::allFinished(const StatePool &states) {
  HostTensor finished = session.download(states.at(genstate::kFinished));
  const int32_t *flags = finished.dataAs<int32_t>();
  return std::all_of(flags, flags + config.batch,
                     [](int32_t flag) { return flag != 0; });
}

GenerationResult Generator::run(const CallInputs &promptInputs,
                                const GenerationOptions &options,
                                DeviceTimer *timer) {
  int64_t batch = config.batch, generate = config.generate;
  DecodeStepper *stepper = stepperStorage ? &*stepperStorage : nullptr;
  GenerationResult run;
  StatePool states;
  // Emitted tokens are gathered in device memory, [N, B], and downloaded
  // once at the end by the caller.
  if (generate > 0)
    run.generated = session.allocate(DType::I32, {generate, batch},
                                     /*zero=*/false);
  run.start = Clock::now();
  if (timer)
    timer->start();
  run.prefillResults =
      callInSlices(session, prompt, promptInputs, batch, config.sliceRows,
                   states, stepper ? &stepper->graphStates() : nullptr);
  if (timer)
    run.prefillMs = timer->stopMs();
  run.prefillDone = run.decodeDone = Clock::now();
  for (const auto &[name, tensor] : states)
    run.stateBytes += tensor.sizeInBytes();
  if (generate == 0)
    return run;
  setGenerationState(session, options, batch, states);
  DeviceBackend &device = session.device();
  // Whether every sequence stopped is read back every step on the host, and
  // every kStopCheckSteps steps (one wait for the device) on a GPU.
  constexpr int64_t kStopCheckSteps = 8;
  bool checkStops = !options.eosIds.empty();
  size_t tokenBytes = static_cast<size_t>(batch) * sizeof(int32_t);
  std::vector<int32_t> host(static_cast<size_t>(batch));
  for (int64_t step = 0; step < generate; ++step) {
    if (timer)
      timer->start();
    std::vector<Tensor> results = stepper->step(CallInputs(), states);
    if (timer)
      run.stepMs.push_back(timer->stopMs());
    const Tensor &token = results[tokenIndex];
    if (token.shape != Shape{batch})
      throw RatError("entry 'decode': token has shape " +
                     formatShape(token.shape) + ", expected [" +
                     std::to_string(batch) + "]");
    device.copyOnDevice(static_cast<uint8_t *>(run.generated.data) +
                            static_cast<size_t>(step) * tokenBytes,
                        token.data, tokenBytes);
    run.steps = step + 1;
    bool waited = false;
    if (options.onTokens) {
      device.copyToHost(host.data(), token.data, tokenBytes);
      options.onTokens(step, host.data(), batch);
      waited = true;
    }
    if (checkStops && step + 1 < generate &&
        (waited || device.isHostMemory() || (step + 1) % kStopCheckSteps == 0) &&
        allFinished(states))
      break;
  }
  if (stepper)
    stepper->finish();
  run.decodeDone = Clock::now();
  return run;
}
