//===- Compiler.h - the rat-compile driver library --------------*- C++ -*-===//
//
// Phases of rat-compile: graph-level module -> pipeline stages -> LLVM IR ->
// object -> executable linked with the rat runtime. The Python bindings use
// the same library.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_COMPILER_H
#define RAT_COMPILER_COMPILER_H

#include "rat/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir {
class DialectRegistry;
class PassManager;
namespace rat {

enum class Target { CPU, CUDA };

/// Where compilation stops; each phase writes its artifact. Cubin and Fatbin
/// write the device code alone, with a kernel table beside it; `Shared` is
/// the object linked into a shared library with the C API (rat_model.h).
enum class EmitKind {
  MLIR,
  Rat,
  Tiled,
  Kernel,
  LLVM,
  PTX,
  Cubin,
  Fatbin,
  Obj,
  Exe,
  Shared
};

/// Parses `mlir|rat|tiled|kernel|llvm|ptx|cubin|fatbin|obj|exe|shared`.
std::optional<EmitKind> parseEmitKind(llvm::StringRef name);

/// "mlir, rat, ..., obj, exe": the names parseEmitKind takes, for messages.
llvm::StringRef emitKindNames();

/// Where --emit cubin/fatbin writes the kernel table of `output`:
/// `layer.cubin` -> `layer.kernels.json` (the extension replaced).
std::string kernelTablePath(llvm::StringRef output);

struct CompileOptions {
  Target target = Target::CPU;
  /// A chip of rat/Target/Chip.h or a comma-separated list of them (one
  /// binary with code for each); empty: the default chip (sm_90a).
  std::string chip;
  /// PTX features; empty: the chip's minimum PTX version.
  std::string features;
  /// Storage type: "f32", "bf16" or "f16".
  std::string dtype = "f32";
  EmitKind emit = EmitKind::Exe;
  /// Output path; "-" is stdout for text phases.
  std::string output;
  int optLevel = 3;
  bool verbose = false;
  /// Tiling strategy of the pipelines.
  std::string pipelineOptions;
  /// The directory of the runtime archives an executable or shared library
  /// is linked with (libRatRuntimeMain.a, ...): `lib/` next to the `bin/`
  /// of rat-compile, in a build tree and an install tree alike.
  std::string runtimeDir;
  /// Called on every PassManager the driver creates, so command-line
  /// instrumentation (--mlir-print-ir-after-all, --mlir-timing) applies.
  std::function<LogicalResult(PassManager &)> configurePassManager;
};

/// Registers every dialect, extension and translation the driver needs.
void registerCompilerDialects(DialectRegistry &registry);

/// Compiles a graph-level module and writes the artifact of `options.emit`
/// to `options.output`. Emits MLIR diagnostics on failure; writes nothing
/// (no partial file) when it fails.
LogicalResult compileModule(ModuleOp module, const CompileOptions &options,
                            llvm::raw_ostream &log);

/// Checks a safetensors checkpoint against the weight arguments of the
/// module's entries (`rat.role = "weight"`, `rat.name`) with the runtime's
/// reader and check (rat/Runtime/Checkpoint.h), the ones the executable runs
/// before loading: a header that fits the file, every weight present with
/// the graph's shape, no tensor the model does not use. On failure returns
/// false with `error` naming the file and tensor. No tensor data is read.
bool checkCheckpoint(ModuleOp module, llvm::StringRef path, std::string &error);

/// Writes the runtime manifest (docs/Runtime.md) of a graph-level module.
std::string buildManifest(ModuleOp module, const CompileOptions &options);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_COMPILER_H
