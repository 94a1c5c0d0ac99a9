//===- RunFunction.cpp - The command line of a function model -------------===//
//
// `--entry NAME --arg A.npy... --index N... --result R.npy...`: one call of
// any entry, for graphs written by hand and models with intermediates.
//
//===----------------------------------------------------------------------===//

#include "Runners.h"

#include "rat/Runtime/Error.h"

#include <cstdio>

using namespace rat;

void rat::runFunction(Session &session, const CommandLineOptions &options) {
  const Manifest &manifest = session.model();
  const EntrySpec *entry = options.entry.empty()
                               ? &manifest.entries.front()
                               : manifest.findEntry(options.entry);
  if (!entry)
    throw RatError("--entry: no entry '" + options.entry +
                   "' (entries: " + manifest.entryNames() + ")");
  std::vector<const ValueSpec *> inputSpecs = entry->argsWithRole(Role::Input);
  std::vector<const ValueSpec *> indexSpecs = entry->argsWithRole(Role::Index);
  auto names = [](const std::vector<const ValueSpec *> &specs) {
    std::string text;
    for (const ValueSpec *spec : specs)
      text += (text.empty() ? "" : ", ") + spec->name;
    return text.empty() ? std::string("none") : text;
  };
  if (options.args.size() != inputSpecs.size())
    throw RatError("entry '" + entry->name + "' takes " +
                   std::to_string(inputSpecs.size()) + " --arg file(s) (" +
                   names(inputSpecs) + "), got " +
                   std::to_string(options.args.size()));
  if (options.indices.size() != indexSpecs.size())
    throw RatError("entry '" + entry->name + "' takes " +
                   std::to_string(indexSpecs.size()) + " --index value(s) (" +
                   names(indexSpecs) + "), got " +
                   std::to_string(options.indices.size()));
  if (!options.results.empty() &&
      options.results.size() != entry->results.size())
    throw RatError("entry '" + entry->name + "' returns " +
                   std::to_string(entry->results.size()) + " result(s), got " +
                   std::to_string(options.results.size()) +
                   " --result file(s)");

  std::vector<HostTensor> hostInputs;
  for (size_t i = 0; i < inputSpecs.size(); ++i)
    hostInputs.push_back(readInput(options.args[i], *inputSpecs[i]));
  loadWeights(session, options, {entry});
  const Log &log = session.logger();

  Clock::time_point begin = Clock::now();
  CallInputs inputs;
  for (size_t i = 0; i < inputSpecs.size(); ++i) {
    inputs.tensors[inputSpecs[i]->name] =
        session.upload(std::move(hostInputs[i]));
    inputs.sources[inputSpecs[i]->name] = options.args[i];
  }
  for (size_t i = 0; i < indexSpecs.size(); ++i)
    inputs.indices[indexSpecs[i]->name] = options.indices[i];
  log.phase("upload", begin);

  begin = Clock::now();
  StatePool states;
  std::vector<Tensor> results = session.call(*entry, inputs, states);
  log.phase(entry->name.c_str(), begin);
  OutputFiles outputs;
  for (size_t i = 0; i < options.results.size(); ++i)
    outputs.add(options.results[i], session.download(results[i]));
  results.clear();
  outputs.commit(log);

  if (options.bench) {
    std::unique_ptr<DeviceTimer> timer = session.device().createTimer();
    for (int64_t i = 0; i < options.warmup; ++i) {
      StatePool fresh;
      session.call(*entry, inputs, fresh);
    }
    std::vector<double> times;
    for (int64_t i = 0; i < *options.bench; ++i) {
      StatePool fresh;
      timer->start();
      std::vector<Tensor> timed = session.call(*entry, inputs, fresh);
      times.push_back(timer->stopMs());
    }
    double ms = median(times);
    std::printf("bench: %-8s median %.4f ms over %zu runs\n",
                entry->name.c_str(), ms, times.size());
  }
}
