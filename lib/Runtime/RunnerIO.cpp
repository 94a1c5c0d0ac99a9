//===- RunnerIO.cpp - Files and benchmark lines of the runners ------------===//

#include "Runners.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Npy.h"

#include <cstdio>

using namespace rat;

void rat::requireOption(const std::string &value, const char *option,
                        const char *purpose) {
  if (value.empty())
    throw RatError(std::string("missing ") + option + " " + purpose);
}

void rat::loadWeights(Session &session, const CommandLineOptions &options,
                      const std::vector<const EntrySpec *> &used) {
  if (options.weights.empty()) {
    std::set<std::string> needed = Session::weightsTakenBy(used);
    if (needed.empty())
      return;
    throw RatError("this model needs --weights (a safetensors checkpoint "
                   "with " +
                   std::to_string(session.declaredWeights().size()) +
                   " tensors, e.g. '" + *needed.begin() + "')");
  }
  CheckpointPolicy policy;
  policy.allowUnusedTensors = options.allowExtraWeights;
  policy.unusedTensorHint = "; pass --allow-extra-weights to ignore it";
  session.loadWeights(options.weights, used, policy);
}

HostTensor rat::readInput(const std::string &path, const ValueSpec &spec) {
  HostTensor tensor = readNpy(path);
  if (tensor.dtype() == spec.type)
    return tensor;
  if (isFloatType(tensor.dtype()) != isFloatType(spec.type))
    throw RatError(path + ": dtype " + dtypeName(tensor.dtype()) +
                   " does not match the model's " + spec.name + " (" +
                   dtypeName(spec.type) + ")");
  return convertTensor(tensor, spec.type, path);
}

void OutputFiles::add(const std::string &path, HostTensor tensor) {
  if (tensor.dtype() == DType::BF16 || tensor.dtype() == DType::F16)
    tensor = convertTensor(tensor, DType::F32, "result");
  files.emplace_back(path, std::move(tensor));
}

void OutputFiles::commit(const Log &log) {
  Clock::time_point begin = Clock::now();
  // Encode everything first: an unwritable dtype fails before any file.
  std::vector<std::string> encoded;
  for (const auto &file : files)
    encoded.push_back(encodeNpy(file.second));
  // Every file to a temporary first: one that cannot be written leaves all
  // outputs untouched. Renames are atomic and only fail on a changed
  // directory (checked before the run, checkOutputPaths).
  std::vector<std::string> temporaries;
  try {
    for (size_t i = 0; i < files.size(); ++i)
      temporaries.push_back(writeTemporaryFile(files[i].first, encoded[i]));
  } catch (const RatError &) {
    for (const std::string &temporary : temporaries)
      std::remove(temporary.c_str());
    throw;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    try {
      replaceWithTemporary(temporaries[i], files[i].first);
    } catch (const RatError &) {
      for (size_t j = i + 1; j < files.size(); ++j)
        std::remove(temporaries[j].c_str());
      throw;
    }
  }
  if (!files.empty())
    log.phase("write", begin, std::to_string(files.size()) + " file(s)");
}

void rat::printBench(const char *what, const std::vector<double> &times,
                     double tokensPerRun, bool perStep,
                     const std::string &note) {
  double ms = median(times);
  double tokensPerSecond = ms > 0 ? tokensPerRun / (ms / 1000.0) : 0;
  std::printf("bench: %-8s median %.4f %s over %zu %s, %.1f tokens/s%s\n", what,
              ms, perStep ? "ms/step" : "ms", times.size(),
              perStep ? "steps" : "runs", tokensPerSecond, note.c_str());
  std::fflush(stdout);
}

std::string rat::graphNote(Session &session, const DecodeStepper &stepper) {
  if (!session.deviceExecution())
    return "";
  return stepper.replaying() ? " (CUDA graph replays)" : " (eager steps)";
}
