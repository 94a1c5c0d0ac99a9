//===- rat-compile.cpp - compile RAT models into executables --*- C++ -*-===//
//
// rat-compile model.mlir | --model model.json
//             [--target cpu|cuda] [--chip sm_90a] [--dtype f32|bf16]
//             [--emit mlir|rat|tiled|kernel|llvm|ptx|obj|exe] -o OUT [-v]
//
// A thin main over lib/Compiler: turns the command line into a
// CompileRequest and runs compile() (rat/Compiler/Driver.h), which checks the
// options, imports or parses the input and runs the phases.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"
#include "rat/Compiler/Driver.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace mlir::rat;
namespace cl = llvm::cl;

static cl::OptionCategory category("rat-compile options");
static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<graph-level .mlir file>"),
                                      cl::init(""), cl::cat(category));
static cl::opt<std::string> modelFile(
    "model", cl::desc("Model config JSON (the fields of the golden meta.json)"),
    cl::value_desc("model.json"), cl::init(""), cl::cat(category));
static cl::opt<std::string> weightsFile(
    "weights",
    cl::desc("Check a safetensors checkpoint against the model at compile "
             "time (names and shapes; the executable loads it at run time)"),
    cl::value_desc("w.safetensors"), cl::init(""), cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("path"), cl::init(""),
                                       cl::cat(category));
static cl::opt<std::string> target("target", cl::desc("cpu or cuda"),
                                   cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    chip("chip",
         cl::desc("GPU architecture: sm_80, sm_86, sm_89, sm_90 or sm_90a "
                  "(default sm_90a: Hopper with wgmma)"),
         cl::init(""), cl::cat(category));
static cl::opt<std::string>
    dtype("dtype",
          cl::desc("Storage type of weights and activations: f32, "
                   "bf16 or f16 (accumulation is f32)"),
          cl::init("f32"), cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("Stop after a phase: mlir, rat, tiled, kernel, llvm, ptx, "
                  "obj or exe (default)"),
         cl::init("exe"), cl::cat(category));
static cl::opt<int64_t>
    maxSeqLen("max-seq-len",
              cl::desc("Longest sequence the decode state holds (model "
                       "configs only)"),
              cl::init(4096), cl::cat(category));
static cl::opt<bool> noDecode("no-decode",
                              cl::desc("Build only the prefill entry"),
                              cl::init(false), cl::cat(category));
static cl::opt<bool> intermediates(
    "intermediates",
    cl::desc("rat_layer configs: prefill also returns gate, z, q, k, v, "
             "v_scan and k_scan (a `function` model without decode)"),
    cl::init(false), cl::cat(category));
static cl::opt<std::string>
    pipelineOptions("pipeline-options",
                    cl::desc("Options of the rat pipelines, e.g. "
                             "'tile=true attention-tile-sizes=1,1,32'"),
                    cl::init(""), cl::cat(category));
static cl::opt<int> optLevel("O",
                             cl::desc("LLVM optimization level of the host "
                                      "code (kernels: --pipeline-options "
                                      "'opt-level=N')"),
                             cl::init(3), cl::cat(category));
static cl::opt<bool> verbose("v", cl::desc("Print phases and their times"),
                             cl::init(false), cl::cat(category));

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
  cl::HideUnrelatedOptions({&category, &cl::getGeneralCategory()});
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
