//===- rat-compile.cpp - compile RAT models into executables --*- C++ -*-===//
//
// rat-compile model.mlir | --model model.json
//             [--target cpu|cuda] [--chip sm_90a|sm_80,sm_90a]
//             [--dtype f32|bf16|f16]
//             [--emit mlir|rat|tiled|kernel|llvm|ptx|cubin|fatbin|obj|exe|shared]
//             -o OUT [-v]
//
// A thin main over lib/Compiler: turns the command line into a
// CompileRequest and runs compile() (rat/Compiler/Driver.h), which checks the
// options, imports or parses the input and runs the phases. --help lists
// rat-compile's own options by group; LLVM's and MLIR's are behind
// --help-hidden. Executables and shared libraries are linked with the
// runtime archives in the lib/ next to the bin/ this program is in (a build
// tree and an install tree alike).
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"
#include "rat/Compiler/Driver.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <vector>

using namespace mlir;
using namespace mlir::rat;
namespace cl = llvm::cl;

// The option groups of --help, in the order a user needs them.
static cl::OptionCategory inputOptions("Input options");
static cl::OptionCategory targetOptions("Target options");
static cl::OptionCategory outputOptions("Output options");
static cl::OptionCategory generationOptions("Generation options");
static cl::OptionCategory debuggingOptions("Debugging options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.mlir | model.json>"),
                                      cl::init(""), cl::cat(inputOptions));
static cl::opt<std::string>
    modelFile("model",
              cl::desc("Model config JSON (the keys of docs/Driver.md); "
                       "instead of a positional file"),
              cl::value_desc("model.json"), cl::init(""),
              cl::cat(inputOptions));
static cl::opt<std::string> weightsFile(
    "weights",
    cl::desc("Check a safetensors checkpoint against the model at compile "
             "time (default: none; the executable loads weights at run time)"),
    cl::value_desc("w.safetensors"), cl::init(""), cl::cat(inputOptions));

static cl::opt<std::string> target("target",
                                   cl::desc("Host CPU or NVIDIA GPU kernels + "
                                            "host code (default: cpu)"),
                                   cl::value_desc("cpu|cuda"), cl::init("cpu"),
                                   cl::cat(targetOptions));
static cl::opt<std::string>
    chip("chip",
         cl::desc("GPU architecture: sm_80, sm_86, sm_89, sm_90 or sm_90a, "
                  "or a list such as sm_80,sm_90a (one executable that runs "
                  "on each) "
                  "(default: sm_90a)"),
         cl::value_desc("sm_XX[,...]"), cl::init(""), cl::cat(targetOptions));

static cl::opt<std::string>
    outputFile("o",
               cl::desc("Output file (default: stdout for text phases; "
                        "required for cubin, fatbin, obj, exe and shared)"),
               cl::value_desc("path"), cl::init(""), cl::cat(outputOptions));
static cl::opt<std::string>
    emit("emit",
         cl::desc("Stop after a phase: mlir, rat, tiled, kernel, llvm, ptx, "
                  "cubin, fatbin (device code + kernel table), obj, exe, or "
                  "shared (a library with the C API of rat/Runtime/rat_model.h) "
                  "(default: exe)"),
         cl::value_desc("phase"), cl::init("exe"), cl::cat(outputOptions));

static cl::opt<std::string>
    dtype("dtype",
          cl::desc("Storage type of weights and activations; accumulation "
                   "is f32 (default: f32)"),
          cl::value_desc("f32|bf16|f16"), cl::init("f32"),
          cl::cat(generationOptions));
static cl::opt<int64_t>
    maxSeqLen("max-seq-len",
              cl::desc("Model configs: the longest sequence the decode state "
                       "holds (default: 4096)"),
              cl::value_desc("N"), cl::init(4096), cl::cat(generationOptions));
static cl::opt<bool>
    noDecode("no-decode",
             cl::desc("Model configs: build only the prefill entry (default: "
                      "prefill and decode)"),
             cl::init(false), cl::cat(generationOptions));
static cl::opt<bool> intermediates(
    "intermediates",
    cl::desc("rat_layer configs: prefill also returns gate, z, q, k, v, "
             "v_scan and k_scan (default: off)"),
    cl::init(false), cl::cat(generationOptions));
static cl::opt<std::string> pipelineOptions(
    "pipeline-options",
    cl::desc("Options of the rat pipelines, e.g. 'attention-tile-sizes=1,2,32' "
             "(default: none; docs/Passes.md)"),
    cl::value_desc("opts"), cl::init(""), cl::cat(generationOptions));
static cl::opt<int> optLevel("O",
                             cl::desc("Optimization level of the host code, 0 "
                                      "to 3 (default: 3; kernels: "
                                      "--pipeline-options opt-level=N)"),
                             cl::value_desc("N"), cl::init(3),
                             cl::cat(generationOptions));

static cl::opt<bool> verbose("v",
                             cl::desc("Print each phase with its time, the "
                                      "kernel format and the link command "
                                      "(default: off)"),
                             cl::init(false), cl::cat(debuggingOptions));

namespace {
/// An MLIR option --help lists with the debugging options. They are
/// registered by MLIR (registerPassManagerCLOptions, ...) under their own
/// descriptions; these are one line each and say what they do here.
struct MlirDebugOption {
  const char *name;
  const char *value;
  const char *description;
};
constexpr MlirDebugOption kMlirDebugOptions[] = {
    {"mlir-print-ir-after-all", nullptr,
     "Print the IR after every pass of every phase (to stderr)"},
    {"mlir-print-ir-before-all", nullptr,
     "Print the IR before every pass of every phase"},
    {"mlir-print-ir-after", "pass-arg",
     "Print the IR after the named passes only, e.g. rat-tile-and-fuse"},
    {"mlir-print-ir-before", "pass-arg",
     "Print the IR before the named passes only"},
    {"mlir-print-ir-after-change", nullptr,
     "With the options above: only when the pass changed the IR"},
    {"mlir-print-ir-after-failure", nullptr,
     "Print the IR after a pass that failed"},
    {"mlir-print-ir-tree-dir", "dir",
     "With the options above: one file per pass under this directory"},
    {"mlir-print-debuginfo", nullptr, "Print locations with the IR"},
    {"mlir-timing", nullptr, "Print the time of every pass (stderr)"},
    {"mlir-pass-statistics", nullptr, "Print the statistics of every pass"},
    {"mlir-pass-pipeline-crash-reproducer", "file",
     "Write a reproducer .mlir for rat-opt when a pass fails or crashes"},
    {"mlir-disable-threading", nullptr,
     "Run passes on one thread (readable interleaved dumps)"},
};

/// `--name=<value>`, `-O <N>` or `--flag`, as LLVM spells options.
std::string optionSyntax(StringRef name, StringRef value) {
  std::string text = (name.size() == 1 ? "-" : "--") + name.str();
  if (!value.empty())
    text += (name.size() == 1 ? " <" : "=<") + value.str() + ">";
  return text;
}
} // namespace

/// --help: rat-compile's own options, grouped and in order, then the MLIR
/// options for debugging. LLVM's and MLIR's other options are hidden (they
/// still work) and listed by --help-hidden.
static void printHelp() {
  struct Line {
    std::string syntax;
    StringRef description;
  };
  struct Group {
    StringRef title;
    std::vector<Line> lines;
  };
  auto own = [](const cl::Option &o) {
    return Line{optionSyntax(o.ArgStr, o.ValueStr), o.HelpStr};
  };
  std::vector<Group> groups = {
      {inputOptions.getName(), {own(modelFile), own(weightsFile)}},
      {targetOptions.getName(), {own(target), own(chip)}},
      {outputOptions.getName(), {own(outputFile), own(emit)}},
      {generationOptions.getName(),
       {own(dtype), own(maxSeqLen), own(noDecode), own(intermediates),
        own(pipelineOptions), own(optLevel)}},
      {debuggingOptions.getName(), {own(verbose)}}};
  auto &registered = cl::getRegisteredOptions();
  for (const MlirDebugOption &o : kMlirDebugOptions)
    if (registered.count(o.name))
      groups.back().lines.push_back(
          {optionSyntax(o.name, o.value ? o.value : ""), o.description});
  size_t width = 0;
  for (const Group &group : groups)
    for (const Line &line : group.lines)
      width = std::max(width, line.syntax.size());
  llvm::raw_ostream &os = llvm::outs();
  os << "OVERVIEW: rat-compile: compile RAT models into standalone "
        "executables\n\n"
        "USAGE: rat-compile [options] model.mlir -o OUT\n"
        "       rat-compile [options] --model model.json -o OUT\n"
        "       (a positional file ending in .json is a model config)\n";
  for (const Group &group : groups) {
    os << "\n" << group.title << ":\n";
    for (const Line &line : group.lines)
      os << "  " << llvm::left_justify(line.syntax, width) << "  "
         << line.description << "\n";
  }
  os << "\n  " << llvm::left_justify("--help-hidden", width)
     << "  Also LLVM's and MLIR's general options\n"
     << "  " << llvm::left_justify("--version", width)
     << "  The LLVM version rat-compile is built with\n"
     << "\nMore: docs/Driver.md\n";
}

/// Hides every option that is not rat-compile's own (LLVM's back ends and
/// passes, MLIR's general options) from --help and --help-list; they are
/// still accepted, and --help-hidden lists them.
static void hideForeignOptions() {
  const cl::OptionCategory *own[] = {&inputOptions, &targetOptions,
                                     &outputOptions, &generationOptions,
                                     &debuggingOptions};
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    if (option->getOptionHiddenFlag() != cl::NotHidden ||
        llvm::is_contained({"help", "help-list", "version"}, entry.first))
      continue;
    if (llvm::none_of(option->Categories, [&](cl::OptionCategory *c) {
          return llvm::is_contained(own, c);
        }))
      option->setHiddenFlag(cl::Hidden);
  }
}

/// `<dir>/../lib` for this program in `<dir>`.
static std::string runtimeDirectory(const char *argv0) {
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&runtimeDirectory));
  SmallString<128> dir(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(dir, "..", "lib");
  llvm::sys::path::remove_dots(dir, /*remove_dot_dot=*/true);
  return std::string(dir);
}

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "rat-compile") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  hideForeignOptions();
  for (int i = 1; i < argc; ++i) {
    StringRef arg = argv[i];
    if (arg == "--") // what follows are positional arguments
      break;
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--h") {
      printHelp();
      return 0;
    }
  }
  cl::ParseCommandLineOptions(argc, argv,
                              "rat-compile: compile RAT models into "
                              "standalone executables\n");

  // The input: a positional .mlir file (or .json config), or --model.
  if (modelFile.empty() && inputFile.empty())
    return fail("no input: give a .mlir file or --model model.json");
  if (!modelFile.empty() && !inputFile.empty())
    return fail("give either a .mlir file or --model, not both");
  CompileRequest request;
  request.inputFile = modelFile.empty() ? inputFile.getValue() : modelFile;
  request.isConfig =
      !modelFile.empty() || StringRef(request.inputFile).ends_with(".json");

  // Options that apply only to some inputs or targets are passed only when
  // given, so that compile() can reject them where they do not apply.
  request.target = target;
  if (chip.getNumOccurrences())
    request.chip = chip;
  request.dtype = dtype;
  request.emit = emit;
  request.output = outputFile;
  if (maxSeqLen.getNumOccurrences())
    request.maxSeqLen = maxSeqLen;
  if (noDecode)
    request.decode = false;
  if (intermediates)
    request.intermediates = true;
  request.pipelineOptions = pipelineOptions;
  request.optLevel = optLevel;
  request.verbose = verbose;
  request.weights = weightsFile;
  request.runtimeDir = runtimeDirectory(argv[0]);
  request.configurePassManager = [](PassManager &pm) {
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    applyDefaultTimingPassManagerCLOptions(pm);
    return success();
  };

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  if (compile(request, context, sourceMgr, llvm::errs(), error) ==
      CompileStatus::Success)
    return 0;
  return error.empty() ? 1 : fail(error);
}
