//===- Generation.cpp - Greedy generation with a compiled LM --------------===//

#include "rat/Runtime/Generation.h"

#include "rat/Runtime/Error.h"

#include <algorithm>

using namespace rat;

std::vector<Tensor> rat::callInSlices(Session &session, const EntrySpec &entry,
                                      const CallInputs &inputs,
                                      const std::string &tokensName,
                                      int64_t rows, StatePool &states,
                                      const StatePool *reuse) {
  const Tensor &tokens = inputs.tensors.at(tokensName);
  int64_t batch = tokens.shape[0];
  if (rows <= 0 || rows >= batch)
    return session.call(entry, inputs, states);
  DeviceBackend &device = session.device();
  std::vector<Tensor> results;
  size_t tokenRow = tokens.sizeInBytes() / static_cast<size_t>(batch);
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
    CallInputs slice = inputs;
    Shape shape = tokens.shape;
    shape[0] = n;
    slice.tensors[tokensName] =
        Session::view(tokens, static_cast<size_t>(b0) * tokenRow, shape);
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

/// Whether every result and state of `entry` has the batch of its input as
/// dim 0 (so that the batch can be prefilled in slices).
bool rat::batchLeads(const EntrySpec &entry, const ValueSpec &input) {
  if (input.dims.empty() || !input.dims[0].isSymbolic())
    return false;
  const Dim &batch = input.dims[0];
  for (const ValueSpec &arg : entry.args)
    if (arg.role == Role::State &&
        (arg.dims.empty() || !(arg.dims[0] == batch)))
      return false;
  for (const ValueSpec &result : entry.results)
    if (result.dims.empty() || !(result.dims[0] == batch))
      return false;
  return true;
}

GreedyGenerator::GreedyGenerator(Session &session, const EntrySpec &prefill,
                                 const EntrySpec *decode,
                                 const GenerationConfig &config)
    : session(session), prefill(prefill), config(config) {
  tokensName = prefill.args[prefill.findArg(Role::Input)].name;
  nextIndex = prefill.findResult(Role::Output, "next_token");
  if (config.generate > 1) {
    if (!decode)
      throw RatError("generating " + std::to_string(config.generate) +
                     " tokens needs a decode entry");
    tokenSpec = &decode->args[decode->findArg(Role::Input)];
    positionSpec = &decode->args[decode->findArg(Role::Index)];
    decodeNextIndex = decode->findResult(Role::Output, "next_token");
    // Decode steps run at positions P .. P+N-2, in every generation.
    stepperStorage.emplace(session, *decode, config.promptLen,
                           config.promptLen + config.generate - 2);
  }
}

void GreedyGenerator::record(GenerationResult &run, const Tensor &next,
                             int64_t step) {
  DeviceBackend &device = session.device();
  int64_t batch = config.batch;
  // On the host, generated tokens are checked as they come, before being fed
  // back.
  if (device.isHostMemory()) {
    const auto *ids = static_cast<const int32_t *>(next.data);
    for (int64_t b = 0; b < batch; ++b)
      if (ids[b] < 0 || (config.vocabSize && ids[b] >= *config.vocabSize))
        throw RatError("the model generated token " + std::to_string(ids[b]) +
                       " at step " + std::to_string(step) + ", row " +
                       std::to_string(b) + ": out of range");
  }
  size_t tokenBytes = static_cast<size_t>(batch) * sizeof(int32_t);
  device.copyOnDevice(static_cast<uint8_t *>(run.generated.data) +
                          static_cast<size_t>(step) * tokenBytes,
                      next.data, tokenBytes);
}

GenerationResult GreedyGenerator::run(const CallInputs &prompt,
                                      DeviceTimer *timer) {
  int64_t batch = config.batch, generate = config.generate;
  DecodeStepper *stepper = stepperStorage ? &*stepperStorage : nullptr;
  GenerationResult run;
  StatePool states;
  // Generated tokens are gathered in device memory, [N, B], and downloaded
  // once at the end by the caller.
  if (generate > 0)
    run.generated = session.allocate(DType::I32, {generate, batch},
                                     /*zero=*/false);
  run.start = Clock::now();
  if (timer)
    timer->start();
  run.prefillResults =
      callInSlices(session, prefill, prompt, tokensName, config.sliceRows,
                   states, stepper ? &stepper->graphStates() : nullptr);
  if (timer)
    run.prefillMs = timer->stopMs();
  run.prefillDone = run.decodeDone = Clock::now();
  for (const auto &[name, tensor] : states)
    run.stateBytes += tensor.sizeInBytes();
  if (generate == 0)
    return run;
  const Tensor &first = run.prefillResults[nextIndex];
  if (first.shape != Shape{batch})
    throw RatError("entry '" + prefill.name + "': next_token has shape " +
                   formatShape(first.shape) + ", expected [" +
                   std::to_string(batch) + "]");
  record(run, first, 0);
  Tensor previous = first;
  for (int64_t step = 1; step < generate; ++step) {
    CallInputs inputs;
    inputs.tensors[tokenSpec->name] = previous;
    inputs.sources[tokenSpec->name] =
        "the token generated at step " + std::to_string(step - 1);
    inputs.indices[positionSpec->name] = config.promptLen + step - 1;
    if (timer)
      timer->start();
    std::vector<Tensor> results = stepper->step(inputs, states);
    if (timer)
      run.stepMs.push_back(timer->stopMs());
    const Tensor &next = results[decodeNextIndex];
    if (next.shape != Shape{batch})
      throw RatError("entry 'decode': next_token has shape " +
                     formatShape(next.shape) + ", expected [" +
                     std::to_string(batch) + "]");
    record(run, next, step);
    previous = next;
  }
  if (stepper)
    stepper->finish();
  run.decodeDone = Clock::now();
  return run;
}
