//===- Driver.cpp - The one compile entry of the front ends ---------------===//
//
// Option checks (one message per problem, spelled the way the front end
// spells its options), then input, import, checkpoint and phases.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Driver.h"

#include "rat/Compiler/Compiler.h"
#include "rat/Compiler/ConfigLimits.h"
#include "rat/Compiler/ModelImporter.h"
#include "rat/Pipelines/Pipelines.h"
#include "rat/Target/Chip.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::rat;

namespace {

/// The options of CompileRequest, for messages.
enum class Option {
  Target,
  Chip,
  DType,
  Emit,
  Output,
  MaxSeqLen,
  Decode,
  Intermediates,
  PipelineOptions,
  OptLevel
};

/// `--max-seq-len` or `max_seq_len`.
std::string spell(OptionSpelling spelling, Option option) {
  struct Name {
    const char *commandLine, *python;
  };
  static const Name names[] = {{"--target", "target"},
                               {"--chip", "chip"},
                               {"--dtype", "dtype"},
                               {"--emit", "emit"},
                               {"-o", "output"},
                               {"--max-seq-len", "max_seq_len"},
                               {"--no-decode", "decode"},
                               {"--intermediates", "intermediates=True"},
                               {"--pipeline-options", "pipeline_options"},
                               {"-O", "opt_level"}};
  const Name &name = names[static_cast<int>(option)];
  return spelling == OptionSpelling::Python ? name.python : name.commandLine;
}

/// `--target cuda` or `target='cuda'`.
std::string spellValue(OptionSpelling spelling, Option option,
                       llvm::StringRef value) {
  if (spelling == OptionSpelling::Python)
    return spell(spelling, option) + "='" + value.str() + "'";
  return spell(spelling, option) + " " + value.str();
}

/// The first problem with the options of `request`, or "".
std::string checkOptions(const CompileRequest &request,
                         CompileOptions &options) {
  OptionSpelling s = request.spelling;
  auto name = [&](Option option) { return spell(s, option); };
  if (request.target == "cpu")
    options.target = Target::CPU;
  else if (request.target == "cuda")
    options.target = Target::CUDA;
  else
    return name(Option::Target) + " must be cpu or cuda, got '" +
           request.target + "'";
  std::optional<EmitKind> emit = parseEmitKind(request.emit);
  if (!emit)
    return name(Option::Emit) + " must be one of " + emitKindNames().str() +
           "; got '" + request.emit + "'";
  options.emit = *emit;
  if (request.dtype != "f32" && request.dtype != "bf16" &&
      request.dtype != "f16")
    return name(Option::DType) + " must be f32, bf16 or f16, got '" +
           request.dtype + "'";
  options.dtype = request.dtype;
  if (request.optLevel < 0 || request.optLevel > 3)
    return name(Option::OptLevel) + " must be 0, 1, 2 or 3, got " +
           std::to_string(request.optLevel);
  if (std::string error;
      request.maxSeqLen &&
      !checkMaxSeqLen(*request.maxSeqLen, error, name(Option::MaxSeqLen)))
    return error;
  options.output = request.output;
  if (options.output.empty()) {
    if (options.emit == EmitKind::Obj || options.emit == EmitKind::Exe ||
        options.emit == EmitKind::Shared || options.emit == EmitKind::Cubin ||
        options.emit == EmitKind::Fatbin)
      return name(Option::Output) + " is required for " + name(Option::Emit) +
             " obj, exe, shared, cubin and fatbin";
    options.output = "-";
  }

  // Options that contradict the input, the target or each other.
  if (!request.isConfig) {
    for (auto [given, option] :
         {std::make_pair(request.maxSeqLen.has_value(), Option::MaxSeqLen),
          std::make_pair(request.decode.has_value(), Option::Decode),
          std::make_pair(request.intermediates.has_value(),
                         Option::Intermediates)})
      if (given)
        return name(option) +
               " applies to model configs, not to graph-level MLIR";
  }
  if (request.intermediates.value_or(false) && request.decode.value_or(false))
    return name(Option::Intermediates) +
           " builds no decode entry: it contradicts " +
           spellValue(s, Option::Decode, "True");
  bool gpu = options.target == Target::CUDA;
  if (request.chip && !gpu)
    return name(Option::Chip) + " needs " +
           spellValue(s, Option::Target, "cuda");
  if (!gpu && (options.emit == EmitKind::PTX ||
               options.emit == EmitKind::Cubin ||
               options.emit == EmitKind::Fatbin))
    return spellValue(s, Option::Emit, request.emit) + " needs " +
           spellValue(s, Option::Target, "cuda");
  options.chip = request.chip.value_or(options.chip);
  if (gpu) {
    if (options.chip.empty())
      options.chip = defaultChip().str();
    std::string error;
    SmallVector<const ChipInfo *, 2> chips =
        parseChipList(options.chip, error);
    if (chips.empty())
      return name(Option::Chip) + ": " + error;
    if (chips.size() > 1 && options.emit == EmitKind::Cubin)
      return spellValue(s, Option::Emit, "cubin") +
             " writes one chip's code; " +
             spellValue(s, Option::Chip, options.chip) +
             " lists several (use " + spellValue(s, Option::Emit, "fatbin") +
             ")";
  }

  RatPipelineOptions pipeline;
  std::string pipelineName = name(Option::PipelineOptions);
  if (!request.pipelineOptions.empty() &&
      failed(pipeline.parseFromString(request.pipelineOptions)))
    return "bad " + pipelineName + " '" + request.pipelineOptions + "'";
  if (std::string error; failed(verifyRatPipelineOptions(pipeline, error)))
    return pipelineName + ": " + error;
  // The compiler sets these from the other options.
  if (pipeline.chip.hasValue())
    return pipelineName + ": 'chip' is set by " + name(Option::Chip) +
           ", not here";
  if (pipeline.gpu.hasValue())
    return pipelineName + ": 'gpu' follows " + name(Option::Target) +
           ", not here";
  if (pipeline.features.hasValue())
    return pipelineName +
           ": 'features' is set by the compiler (the chip's PTX version), "
           "not here";
  if (pipeline.format.hasValue())
    return pipelineName +
           ": 'format' is chosen by the compiler (a fatbin where ptxas and "
           "fatbinary are found, else a cubin or PTX), not here";
  if (pipeline.emulateGpu && gpu)
    return pipelineName + ": 'emulate-gpu' needs " +
           spellValue(s, Option::Target, "cpu");
  options.pipelineOptions = request.pipelineOptions;
  options.optLevel = request.optLevel;
  options.verbose = request.verbose;
  options.runtimeDir = request.runtimeDir;
  options.configurePassManager = request.configurePassManager;
  return "";
}

} // namespace

CompileStatus mlir::rat::compile(const CompileRequest &request,
                                 MLIRContext &context,
                                 llvm::SourceMgr &sourceMgr,
                                 llvm::raw_ostream &log, std::string &error) {
  CompileOptions options;
  error = checkOptions(request, options);
  if (!error.empty())
    return CompileStatus::BadOptions;

  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string inputName = request.inputName;
  if (request.inputText) {
    buffer = llvm::MemoryBuffer::getMemBufferCopy(*request.inputText,
                                                  request.inputName);
  } else {
    buffer = openInputFile(request.inputFile, &error);
    if (!buffer)
      return CompileStatus::Failed;
    if (inputName.empty())
      inputName = request.inputFile;
  }

  OwningOpRef<ModuleOp> module;
  if (request.isConfig) {
    ModelConfig config;
    if (!parseModelConfig(buffer->getBuffer(), config, error)) {
      error = inputName + ": " + error;
      return CompileStatus::Failed;
    }
    ImportOptions importOptions;
    if (request.intermediates.value_or(false) && config.kind != "rat_layer") {
      error = spell(request.spelling, Option::Intermediates) +
              " needs a rat_layer config";
      return CompileStatus::Failed;
    }
    Builder b(&context);
    importOptions.elementType = request.dtype == "bf16"  ? Type(b.getBF16Type())
                                : request.dtype == "f16" ? Type(b.getF16Type())
                                                         : Type(b.getF32Type());
    importOptions.maxSeqLen = request.maxSeqLen.value_or(4096);
    importOptions.withDecode = request.decode.value_or(true);
    importOptions.intermediates = request.intermediates.value_or(false);
    if (!checkModelSizes(config, importOptions, error)) {
      error = inputName + ": " + error;
      return CompileStatus::Failed;
    }
    module = importModel(&context, config, importOptions);
    if (!module) {
      error = inputName + ": the model could not be imported";
      return CompileStatus::Failed;
    }
  } else {
    if (!checkMlirNesting(buffer->getBuffer(), error)) {
      error = inputName + ": " + error;
      return CompileStatus::Failed;
    }
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module || failed(checkStaticTensorSizes(*module)))
      return CompileStatus::Failed;
  }
  if (!request.weights.empty() &&
      !checkCheckpoint(*module, request.weights, error))
    return CompileStatus::Failed;
  if (failed(compileModule(*module, options, log)))
    return CompileStatus::Failed;
  return CompileStatus::Success;
}
