//===- Driver.h - The one compile entry of the front ends -------*- C++ -*-===//
//
// rat-compile's main and the Python module (python-bindings/RatModule.cpp)
// are thin front ends over compile(): they fill a CompileRequest from their
// arguments and report what it returns. Every option check, the import of
// model configs, the checkpoint check and the phases live here, once.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_DRIVER_H
#define RAT_COMPILER_DRIVER_H

#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir {
class MLIRContext;
class PassManager;
namespace rat {

/// How a front end spells its options in error messages.
enum class OptionSpelling {
  /// rat-compile: `--max-seq-len`.
  CommandLine,
  /// rat.compile(): `max_seq_len`.
  Python
};

/// A compilation as a front end states it, before any check. An unset
/// optional was not given: an option that does not apply to the input or
/// target is an error only when it was given.
struct CompileRequest {
  /// The model: the file `inputFile`, or `inputText` named `inputName` in
  /// diagnostics.
  std::string inputFile;
  std::optional<std::string> inputText;
  std::string inputName;
  /// The input is a model config JSON (else graph-level MLIR).
  bool isConfig = false;

  std::string target = "cpu";
  std::optional<std::string> chip;
  std::string dtype = "f32";
  std::string emit = "exe";
  /// Where the artifact goes; empty: stdout for text phases.
  std::string output;
  /// Model configs only.
  std::optional<int64_t> maxSeqLen;
  std::optional<bool> decode;
  std::optional<bool> intermediates;
  std::string pipelineOptions;
  int optLevel = 3;
  bool verbose = false;
  /// A checkpoint to check against the model's weights (empty: none).
  std::string weights;
  /// Where the runtime archives are (CompileOptions::runtimeDir); needed to
  /// link (`exe`, `shared`). The front end derives it from where it lives
  /// itself: rat-compile from its executable, the Python package from its
  /// directory.
  std::string runtimeDir;

  OptionSpelling spelling = OptionSpelling::CommandLine;
  /// Called on every PassManager of the phases (command-line
  /// instrumentation such as --mlir-print-ir-after-all).
  std::function<LogicalResult(PassManager &)> configurePassManager;
};

enum class CompileStatus {
  Success,
  /// An option is malformed or contradicts another (or the input).
  BadOptions,
  /// The input, the checkpoint or a phase failed.
  Failed
};

/// Runs `request`: checks the options, reads the input, imports a model
/// config or parses the MLIR (diagnostics go to `context`'s handler, the
/// input buffer to `sourceMgr`), checks the checkpoint and compiles
/// (compileModule, phase lines and link errors to `log`). On BadOptions and
/// on Failed, `error` says why, or is empty when the diagnostics already did.
/// Nothing is written on failure.
CompileStatus compile(const CompileRequest &request, MLIRContext &context,
                      llvm::SourceMgr &sourceMgr, llvm::raw_ostream &log,
                      std::string &error);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_DRIVER_H
