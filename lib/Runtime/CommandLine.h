//===- CommandLine.h - The command line of compiled models ------*- C++ -*-===//
//
// The options of a compiled model's executable (docs/Runtime.md), parsed
// once and handed to the runner of the model's kind (Runners.h).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_COMMANDLINE_H
#define RAT_LIB_RUNTIME_COMMANDLINE_H

#include "rat/Runtime/Manifest.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rat {

/// The parsed command line.
struct CommandLineOptions {
  std::string program = "model";
  std::string weights, input, output, tokens, logits, entry;
  /// lm: --prompt-lens (int [B]) and --output-lens files.
  std::string promptLens, outputLens;
  /// lm: --eos ids (repeatable), in order.
  std::vector<int64_t> eos;
  /// lm: sampling (--temperature, --top-k, --top-p, --seed); unset: greedy.
  std::optional<double> temperature, topP;
  std::optional<int64_t> topK;
  std::optional<uint64_t> seed;
  /// lm: --stream, print each generated token as it comes (B = 1).
  bool stream = false;
  std::vector<std::string> args, results;
  std::vector<int64_t> indices;
  bool decode = false;
  bool verbose = false;
  bool help = false;
  bool printManifest = false;
  bool allowExtraWeights = false;
  /// --no-graphs or RAT_NO_GRAPHS: decode steps run eagerly on CUDA.
  bool noGraphs = false;
  std::optional<int64_t> promptLen, generate, bench, device;
  /// --prefill-rows: sequences per prefill call (0: the whole batch at once;
  /// unset: as many as fit kDefaultPrefillTokens tokens).
  std::optional<int64_t> prefillRows;
  int64_t warmup = 2;
  /// CommandLineOptions that were given, to reject those the model kind does
  /// not take.
  std::set<std::string> given;
};

/// Parses argv (also RAT_NO_GRAPHS); throws RatError for an unknown option,
/// a missing or malformed value or an option given twice.
CommandLineOptions parseOptions(int argc, char **argv);

/// Rejects options the model kind does not take.
void checkOptionsApply(const CommandLineOptions &options, ModelKind kind);

/// Prints --help for the model in `manifest`.
void printUsage(const Manifest &manifest, const CommandLineOptions &options);

} // namespace rat

#endif // RAT_LIB_RUNTIME_COMMANDLINE_H
