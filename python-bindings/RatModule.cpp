//===- RatModule.cpp - the native part of the `rat` Python package -------===//
//
// `rat._rat.compile_source` runs lib/Compiler in-process: it parses graph-level
// MLIR or imports a model config, then compiles one phase (up to a linked
// executable) to a file. Every MLIR diagnostic and every line the driver logs
// is captured into a string; on failure it becomes `rat.CompileError`.
//
// The rest of the API (the CompiledModel object, running executables,
// safetensors) is pure Python: python-bindings/rat/.
//
// This file is built with -fexceptions -frtti (pybind11 needs both); no
// exception ever crosses LLVM/MLIR code: they are thrown here, after the
// compiler returned.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"
#include "rat/Compiler/ConfigLimits.h"
#include "rat/Compiler/ModelImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace py = pybind11;
using namespace mlir;
using namespace mlir::rat;

namespace {

/// Compilation failed; what() is the diagnostic text.
struct CompileFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Options were wrong (becomes ValueError).
struct BadArgument : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Request {
  std::string source;    ///< Config JSON or MLIR text.
  bool isConfig = false; ///< `source` is a model config.
  std::string
      sourceName;     ///< Buffer name in diagnostics (file path or <string>).
  std::string output; ///< Where the artifact goes.
  std::string emit = "exe";
  std::string target = "cpu";
  std::string chip = "sm_90";
  std::string dtype = "f32";
  int64_t maxSeqLen = 4096;
  bool withDecode = true;
  bool intermediates = false;
  std::string pipelineOptions;
  int optLevel = 3;
  bool verbose = false;
};

/// Joins the diagnostics and the driver's log, trimmed.
std::string joinText(const std::string &diagnostics, const std::string &log) {
  std::string text = diagnostics;
  if (!log.empty()) {
    if (!text.empty() && text.back() != '\n')
      text += '\n';
    text += log;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

/// Runs the compiler (GIL released by the caller). Returns the diagnostics
/// and log text of a successful compilation (warnings, -v lines); throws
/// CompileFailure with that text otherwise.
std::string compileRequest(const Request &r) {
  CompileOptions options;
  if (r.target == "cpu")
    options.target = Target::CPU;
  else if (r.target == "cuda")
    options.target = Target::CUDA;
  else
    throw BadArgument("target must be 'cpu' or 'cuda', got '" + r.target + "'");
  std::optional<EmitKind> kind = parseEmitKind(r.emit);
  if (!kind)
    throw BadArgument("emit must be one of mlir, rat, tiled, kernel, llvm, "
                      "ptx, obj, exe; got '" +
                      r.emit + "'");
  if (r.dtype != "f32" && r.dtype != "bf16" && r.dtype != "f16")
    throw BadArgument("dtype must be 'f32', 'bf16' or 'f16', got '" + r.dtype +
                      "'");
  if (r.maxSeqLen < 1 || r.maxSeqLen > limits::maxSequenceLength)
    throw BadArgument("max_seq_len must be between 1 and " +
                      std::to_string(limits::maxSequenceLength) + ", got " +
                      std::to_string(r.maxSeqLen));
  if (r.output.empty())
    throw BadArgument("output path is empty");
  options.emit = *kind;
  options.chip = r.chip;
  options.dtype = r.dtype;
  options.output = r.output;
  if (r.optLevel < 0 || r.optLevel > 3)
    throw BadArgument("opt_level must be 0, 1, 2 or 3, got " +
                      std::to_string(r.optLevel));
  options.optLevel = r.optLevel;
  options.verbose = r.verbose;
  options.pipelineOptions = r.pipelineOptions;

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics become exception text: no dump of the whole failing op
  // (often a module or a gpu.module), its location says where it is.
  context.printOpOnDiagnostic(false);

  std::string diagnostics, log;
  llvm::raw_string_ostream diagOS(diagnostics), logOS(log);
  llvm::SourceMgr sourceMgr;
  // Prints `name:line:col: error: ...` with the source line for locations in
  // the buffer, and every other location as MLIR prints it.
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagOS);

  auto fail = [&](const std::string &message) -> CompileFailure {
    std::string text = joinText(diagnostics, log);
    if (!message.empty())
      text = text.empty() ? message : message + "\n" + text;
    if (text.empty())
      text = "compilation failed (no diagnostic)";
    return CompileFailure(text);
  };

  OwningOpRef<ModuleOp> module;
  if (r.isConfig) {
    ModelConfig config;
    std::string error;
    if (!parseModelConfig(r.source, config, error))
      throw fail(r.sourceName + ": " + error);
    if (r.intermediates && config.kind != "rat_layer")
      throw fail(r.sourceName +
                 ": intermediates=True needs a rat_layer config");
    ImportOptions importOptions;
    Builder b(&context);
    importOptions.elementType = r.dtype == "bf16"  ? Type(b.getBF16Type())
                                : r.dtype == "f16" ? Type(b.getF16Type())
                                                   : Type(b.getF32Type());
    importOptions.maxSeqLen = r.maxSeqLen;
    importOptions.withDecode = r.withDecode;
    importOptions.intermediates = r.intermediates;
    if (!checkModelSizes(config, importOptions, error))
      throw fail(r.sourceName + ": " + error);
    module = importModel(&context, config, importOptions);
    if (!module)
      throw fail(r.sourceName + ": the model could not be imported");
  } else {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(r.source, r.sourceName),
        llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      throw fail("");
  }
  if (failed(compileModule(*module, options, logOS)))
    throw fail("");
  return joinText(diagnostics, log);
}

/// rat.CompileError (the translator below is a plain function pointer).
py::exception<CompileFailure> *compileError = nullptr;

} // namespace

PYBIND11_MODULE(_rat, m) {
  m.doc() = "Native part of the rat package: the rat-mlir compiler "
            "(lib/Compiler) in-process. Use the `rat` package instead.";

  // Never destroyed: a static py::object would be released after the
  // interpreter is finalized.
  compileError =
      new py::exception<CompileFailure>(m, "CompileError", PyExc_Exception);
  compileError->doc() =
      "Compilation failed; str(e) is the compiler's diagnostic text "
      "(`file:line:col: error: ...` for MLIR input).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const CompileFailure &e) {
      (*compileError)(e.what());
    } catch (const BadArgument &e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  m.def(
      "compile_source",
      [](std::string source, bool isConfig, std::string sourceName,
         std::string output, std::string emit, std::string target,
         std::string chip, std::string dtype, int64_t maxSeqLen,
         bool withDecode, bool intermediates, std::string pipelineOptions,
         int optLevel, bool verbose) {
        Request r;
        r.source = std::move(source);
        r.isConfig = isConfig;
        r.sourceName = std::move(sourceName);
        r.output = std::move(output);
        r.emit = std::move(emit);
        r.target = std::move(target);
        r.chip = std::move(chip);
        r.dtype = std::move(dtype);
        r.maxSeqLen = maxSeqLen;
        r.withDecode = withDecode;
        r.intermediates = intermediates;
        r.pipelineOptions = std::move(pipelineOptions);
        r.optLevel = optLevel;
        r.verbose = verbose;
        std::string text;
        {
          py::gil_scoped_release release;
          text = compileRequest(r);
        }
        return text;
      },
      py::arg("source"), py::arg("is_config"), py::arg("source_name"),
      py::kw_only(), py::arg("output"), py::arg("emit") = "exe",
      py::arg("target") = "cpu", py::arg("chip") = "sm_90",
      py::arg("dtype") = "f32", py::arg("max_seq_len") = 4096,
      py::arg("decode") = true, py::arg("intermediates") = false,
      py::arg("pipeline_options") = "", py::arg("opt_level") = 3,
      py::arg("verbose") = false,
      "Compiles `source` (a model config JSON if `is_config`, else "
      "graph-level MLIR) up to phase `emit` and writes the artifact to "
      "`output`. Returns the compiler's log (warnings, verbose lines); raises "
      "CompileError with the diagnostics on failure, ValueError on bad "
      "options.");
}
