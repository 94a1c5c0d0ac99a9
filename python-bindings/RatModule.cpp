//===- RatModule.cpp - the native part of the `rat` Python package -------===//
//
// `rat._rat.compile_source` runs lib/Compiler in-process: the same compile()
// as rat-compile (rat/Compiler/Driver.h), with options spelled the Python
// way, compiles one phase (up to a linked executable) to a file. Every MLIR
// diagnostic and every line the driver logs is captured into a string; on
// failure it becomes `rat.CompileError`, bad options a ValueError.
//
// The rest of the API (CompiledModel, the in-process models over the C API
// of the shared library the compiler links, safetensors) is pure Python:
// python-bindings/rat/.
//
// This file is built with -fexceptions -frtti (pybind11 needs both); no
// exception ever crosses LLVM/MLIR code: they are thrown here, after the
// compiler returned.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"
#include "rat/Compiler/Driver.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
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
/// BadArgument for bad options, CompileFailure with the text otherwise.
std::string compileRequest(const CompileRequest &request) {
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

  std::string error;
  switch (compile(request, context, sourceMgr, logOS, error)) {
  case CompileStatus::Success:
    return joinText(diagnostics, log);
  case CompileStatus::BadOptions:
    throw BadArgument(error);
  case CompileStatus::Failed:
    break;
  }
  std::string text = joinText(diagnostics, log);
  if (!error.empty())
    text = text.empty() ? error : error + "\n" + text;
  if (text.empty())
    text = "compilation failed (no diagnostic)";
  throw CompileFailure(text);
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
         std::optional<std::string> chip, std::string dtype,
         std::optional<int64_t> maxSeqLen, std::optional<bool> decode,
         std::optional<bool> intermediates, std::string pipelineOptions,
         int optLevel, bool verbose, std::string runtimeDir) {
        CompileRequest r;
        r.inputText = std::move(source);
        r.isConfig = isConfig;
        r.inputName = std::move(sourceName);
        r.output = std::move(output);
        r.emit = std::move(emit);
        r.target = std::move(target);
        r.chip = std::move(chip);
        r.dtype = std::move(dtype);
        r.maxSeqLen = maxSeqLen;
        r.decode = decode;
        r.intermediates = intermediates;
        r.pipelineOptions = std::move(pipelineOptions);
        r.optLevel = optLevel;
        r.verbose = verbose;
        r.runtimeDir = std::move(runtimeDir);
        r.spelling = OptionSpelling::Python;
        std::string text;
        {
          py::gil_scoped_release release;
          text = compileRequest(r);
        }
        return text;
      },
      py::arg("source"), py::arg("is_config"), py::arg("source_name"),
      py::kw_only(), py::arg("output"), py::arg("emit") = "exe",
      py::arg("target") = "cpu", py::arg("chip") = py::none(),
      py::arg("dtype") = "f32", py::arg("max_seq_len") = py::none(),
      py::arg("decode") = py::none(), py::arg("intermediates") = py::none(),
      py::arg("pipeline_options") = "", py::arg("opt_level") = 3,
      py::arg("verbose") = false, py::arg("runtime_dir") = "",
      "Compiles `source` (a model config JSON if `is_config`, else "
      "graph-level MLIR) up to phase `emit` and writes the artifact to "
      "`output`; `exe` and `shared` link with the runtime archives in "
      "`runtime_dir`. Returns the compiler's log (warnings, verbose lines); raises "
      "CompileError with the diagnostics on failure, ValueError on bad "
      "options.");
}
