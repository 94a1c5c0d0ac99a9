//===- Runners.h - One command-line runner per model kind -------*- C++ -*-===//
//
// The command line of a compiled model runs one runner, chosen by the
// manifest's model kind: it reads the input files, drives a Session (and a
// DecodeStepper or Generator), writes the outputs and runs --bench.
// RunnerIO.cpp holds what the runners share: input and output files, the
// checkpoint, benchmark lines.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_RUNNERS_H
#define RAT_LIB_RUNTIME_RUNNERS_H

#include "CommandLine.h"
#include "rat/Runtime/DecodeStepper.h"
#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Log.h"
#include "rat/Runtime/Session.h"

#include <string>
#include <utility>
#include <vector>

namespace rat {

/// `rat_layer`: prefill, or --decode token by token (RunRatLayer.cpp).
void runRatLayer(Session &session, const CommandLineOptions &options);
/// `lm`: prefill logits and/or greedy generation (RunLm.cpp).
void runLm(Session &session, const CommandLineOptions &options);
/// `function`: one entry with --arg/--index/--result (RunFunction.cpp).
void runFunction(Session &session, const CommandLineOptions &options);

//===----------------------------------------------------------------------===//
// Shared by the runners (RunnerIO.cpp)
//===----------------------------------------------------------------------===//

/// Throws `missing OPTION PURPOSE` when `value` is empty.
void requireOption(const std::string &value, const char *option,
                   const char *purpose);

/// Checks every output path before any compute (OutputPaths.cpp): its
/// directory exists and is writable, it is no input file and no other
/// output. Throws RatError naming the flags and paths.
void checkOutputPaths(const CommandLineOptions &options);

/// Loads --weights for `used` entries (Session::loadWeights); without
/// --weights, an error if those entries take any weight.
void loadWeights(Session &session, const CommandLineOptions &options,
                 const std::vector<const EntrySpec *> &used);

/// Reads an .npy input and converts it to the type `spec` expects (f32 to
/// bf16, f64 to f32, int64 to int32 with a range check, ...).
HostTensor readInput(const std::string &path, const ValueSpec &spec);

/// Outputs are written only after every computation succeeded, all or none:
/// each file goes to a temporary file in its directory first, and the
/// temporaries are renamed over the outputs only when all are written. 16-bit
/// floats are written as f32 (numpy has no bf16).
class OutputFiles {
public:
  void add(const std::string &path, HostTensor tensor);
  void commit(const Log &log);

private:
  std::vector<std::pair<std::string, HostTensor>> files;
};

/// Prints the median of `times` and the throughput it gives, for whole runs
/// or, with `perStep`, for single decode steps.
void printBench(const char *what, const std::vector<double> &times,
                double tokensPerRun, bool perStep = false,
                const std::string &note = "");

/// The end of a decode bench line on the cuda target: how steps ran.
std::string graphNote(Session &session, const DecodeStepper &stepper);

} // namespace rat

#endif // RAT_LIB_RUNTIME_RUNNERS_H
