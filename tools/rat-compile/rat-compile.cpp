//===- rat-compile.cpp - compile RAT models into executables --*- C++ -*-===//
//
// rat-compile model.mlir | --model model.json
//             [--target cpu|cuda] [--chip sm_90] [--dtype f32|bf16]
//             [--emit mlir|rat|tiled|kernel|llvm|ptx|obj|exe] -o OUT [-v]
//
// A thin main over lib/Compiler: parses the input (graph-level MLIR, or a
// model config JSON imported into a graph), then runs the phases.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"
#include "rat/Compiler/ConfigLimits.h"
#include "rat/Compiler/ModelImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
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
static cl::opt<std::string> chip("chip", cl::desc("GPU architecture"),
                                 cl::init("sm_90"), cl::cat(category));
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

  CompileOptions options;
  if (target == "cpu")
    options.target = Target::CPU;
  else if (target == "cuda")
    options.target = Target::CUDA;
  else
    return fail("--target must be cpu or cuda, got '" + target + "'");
  std::optional<EmitKind> kind = parseEmitKind(emit);
  if (!kind)
    return fail("--emit must be one of mlir, rat, tiled, kernel, llvm, ptx, "
                "obj, exe; got '" +
                emit + "'");
  options.emit = *kind;
  if (dtype != "f32" && dtype != "bf16" && dtype != "f16")
    return fail("--dtype must be f32, bf16 or f16, got '" + dtype + "'");
  options.dtype = dtype;
  options.chip = chip;
  if (optLevel < 0 || optLevel > 3)
    return fail("-O must be 0, 1, 2 or 3, got " + llvm::Twine(optLevel));
  options.optLevel = optLevel;
  options.verbose = verbose;
  options.pipelineOptions = pipelineOptions;
  std::string error;
  if (!checkMaxSeqLen(maxSeqLen, error))
    return fail(error);

  std::string input = modelFile.empty() ? inputFile.getValue() : modelFile;
  bool isConfig = !modelFile.empty() || StringRef(input).ends_with(".json");
  if (input.empty())
    return fail("no input: give a .mlir file or --model model.json");
  if (!modelFile.empty() && !inputFile.empty())
    return fail("give either a .mlir file or --model, not both");
  options.output = outputFile;
  if (options.output.empty()) {
    if (options.emit == EmitKind::Obj || options.emit == EmitKind::Exe)
      return fail("-o is required for --emit obj and exe");
    options.output = "-";
  }

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::unique_ptr<llvm::MemoryBuffer> buffer = openInputFile(input, &error);
  if (!buffer)
    return fail(error);

  options.configurePassManager = [](PassManager &pm) {
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    applyDefaultTimingPassManagerCLOptions(pm);
    return success();
  };

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  if (isConfig) {
    ModelConfig config;
    if (!parseModelConfig(buffer->getBuffer(), config, error))
      return fail(input + ": " + error);
    ImportOptions importOptions;
    Builder b(&context);
    importOptions.elementType = dtype == "bf16"  ? Type(b.getBF16Type())
                                : dtype == "f16" ? Type(b.getF16Type())
                                                 : Type(b.getF32Type());
    importOptions.maxSeqLen = maxSeqLen;
    importOptions.withDecode = !noDecode;
    importOptions.intermediates = intermediates;
    if (intermediates && config.kind != "rat_layer")
      return fail("--intermediates needs a rat_layer config");
    if (!checkModelSizes(config, importOptions, error))
      return fail(input + ": " + error);
    module = importModel(&context, config, importOptions);
  } else {
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
  }
  if (!weightsFile.empty() && !checkCheckpoint(*module, weightsFile, error))
    return fail(error);
  if (failed(compileModule(*module, options, llvm::errs())))
    return 1;
  return 0;
}
