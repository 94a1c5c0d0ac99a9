//===- Compiler.cpp - the rat-compile driver library ----------*- C++ -*-===//
//
// Runs the rat pipelines phase by phase, translates to LLVM IR, adds the
// runtime entry table and manifest, emits an object file in-process and links
// it with the rat runtime into an executable.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"

#include "rat/Compiler/ConfigLimits.h"

#include "rat/InitAll.h"
#include "rat/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <mutex>

using namespace mlir;
using namespace mlir::rat;

std::optional<EmitKind> mlir::rat::parseEmitKind(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<EmitKind>>(name)
      .Case("mlir", EmitKind::MLIR)
      .Case("rat", EmitKind::Rat)
      .Case("tiled", EmitKind::Tiled)
      .Case("kernel", EmitKind::Kernel)
      .Case("llvm", EmitKind::LLVM)
      .Case("ptx", EmitKind::PTX)
      .Case("obj", EmitKind::Obj)
      .Case("exe", EmitKind::Exe)
      .Default(std::nullopt);
}

void mlir::rat::registerCompilerDialects(DialectRegistry &registry) {
  rat::registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

static std::string elementTypeName(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isBF16())
    return "bf16";
  if (t.isF16())
    return "f16";
  if (t.isInteger(32))
    return "i32";
  if (t.isInteger(64))
    return "i64";
  return "";
}

static std::string stringAttr(DictionaryAttr attrs, StringRef name) {
  if (!attrs)
    return "";
  if (auto s = attrs.getAs<StringAttr>(name))
    return s.str();
  return "";
}

/// One `arg`/`result` line: ROLE NAME TYPE DIMS.
static std::string slotLine(StringRef kind, Type type, DictionaryAttr attrs,
                            StringRef defaultRole, StringRef defaultName) {
  std::string role = stringAttr(attrs, "rat.role");
  std::string name = stringAttr(attrs, "rat.name");
  if (name.empty())
    name = stringAttr(attrs, "rat.weight");
  if (role.empty())
    role = stringAttr(attrs, "rat.weight").empty() ? defaultRole.str()
                                                   : std::string("weight");
  if (name.empty())
    name = defaultName.str();
  if (type.isIndex() || type.isInteger(64) || isa<IntegerType>(type))
    return (kind + " index " + name).str();
  auto shaped = cast<ShapedType>(type);
  std::string dims = stringAttr(attrs, "rat.dims");
  if (dims.empty()) {
    for (auto [i, d] : llvm::enumerate(shaped.getShape()))
      dims += (i ? "," : "") +
              (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
    if (shaped.getRank() == 0)
      dims = "-";
  }
  return (kind + " " + role + " " + name + " " +
          elementTypeName(shaped.getElementType()) + " " + dims)
      .str();
}

std::string mlir::rat::buildManifest(ModuleOp module,
                                     const CompileOptions &options) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "rat-manifest 1\n";
  std::string kind = "function";
  if (auto k = module->getAttrOfType<StringAttr>("rat.model"))
    kind = k.str();
  os << "model " << kind << "\n";
  os << "target " << (options.target == Target::CUDA ? "cuda" : "cpu") << "\n";
  os << "dtype " << options.dtype << "\n";
  if (auto params = module->getAttrOfType<DictionaryAttr>("rat.params"))
    for (NamedAttribute p : params) {
      os << "param " << p.getName().getValue() << " ";
      if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
        os << i.getInt();
      else if (auto f = dyn_cast<FloatAttr>(p.getValue()))
        os << f.getValueAsDouble();
      else if (auto s = dyn_cast<StringAttr>(p.getValue()))
        os << s.getValue();
      os << "\n";
    }
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    os << "entry " << func.getName() << "\n";
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
      os << slotLine("arg", t, func.getArgAttrDict(i), "input",
                     "arg" + std::to_string(i))
         << "\n";
    for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
      os << slotLine("result", t, func.getResultAttrDict(i), "output",
                     "result" + std::to_string(i))
         << "\n";
    os << "end\n";
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Checkpoint check
//===----------------------------------------------------------------------===//

bool mlir::rat::checkCheckpoint(ModuleOp module, StringRef path,
                                std::string &error) {
  auto fail = [&](const Twine &message) {
    error = (path + ": " + message).str();
    return false;
  };
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file)
    return fail("cannot read: " + file.getError().message());
  StringRef bytes = (*file)->getBuffer();
  if (bytes.size() < 8)
    return fail("not a safetensors file (shorter than its 8-byte header "
                "length)");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = (headerSize << 8) | static_cast<uint8_t>(bytes[i]);
  if (headerSize > bytes.size() - 8)
    return fail("header length " + Twine(headerSize) +
                " runs past the end of the file (" + Twine(bytes.size()) +
                " bytes)");
  llvm::Expected<llvm::json::Value> header =
      parseStrictJson(bytes.substr(8, headerSize));
  if (!header)
    return fail("bad header JSON: " + llvm::toString(header.takeError()));
  const llvm::json::Object *tensors = header->getAsObject();
  if (!tensors)
    return fail("the header is not a JSON object");

  // The weights the graph takes, by name (shared by all entries).
  llvm::StringMap<SmallVector<int64_t>> wanted;
  for (auto func : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      DictionaryAttr attrs = func.getArgAttrDict(i);
      if (stringAttr(attrs, "rat.role") != "weight")
        continue;
      auto type = cast<ShapedType>(func.getArgumentTypes()[i]);
      wanted[stringAttr(attrs, "rat.name")] =
          SmallVector<int64_t>(type.getShape());
    }
  uint64_t dataSize = bytes.size() - 8 - headerSize;
  for (const auto &kv : *tensors) {
    StringRef name = kv.first;
    if (name == "__metadata__")
      continue;
    if (!wanted.contains(name))
      return fail("tensor '" + name + "' is not a weight of this model");
    const llvm::json::Object *entry = kv.second.getAsObject();
    const llvm::json::Array *offsets =
        entry ? entry->getArray("data_offsets") : nullptr;
    std::optional<int64_t> end = offsets && offsets->size() == 2
                                     ? (*offsets)[1].getAsInteger()
                                     : std::nullopt;
    if (!end || *end < 0)
      return fail("tensor '" + name + "' has no valid data_offsets");
    if (static_cast<uint64_t>(*end) > dataSize)
      return fail("tensor '" + name + "' ends at byte " + Twine(*end) +
                  " of a data section of " + Twine(dataSize) +
                  " bytes (truncated file?)");
  }
  for (const auto &w : wanted) {
    const llvm::json::Object *entry = tensors->getObject(w.getKey());
    if (!entry)
      return fail("missing tensor '" + w.getKey() + "'");
    const llvm::json::Array *shape = entry->getArray("shape");
    if (!shape)
      return fail("tensor '" + w.getKey() + "' has no shape");
    SmallVector<int64_t> got;
    for (const llvm::json::Value &d : *shape)
      got.push_back(d.getAsInteger().value_or(-1));
    if (got != ArrayRef<int64_t>(w.getValue())) {
      std::string msg;
      llvm::raw_string_ostream os(msg);
      os << "tensor '" << w.getKey() << "' has shape [";
      llvm::interleaveComma(got, os);
      os << "], the model expects [";
      llvm::interleaveComma(w.getValue(), os);
      os << "]";
      return fail(msg);
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// LLVM IR: entry table, manifest, object file
//===----------------------------------------------------------------------===//

/// Adds `void _rat_packed_<name>(void **args)` for each entry (docs/Runtime.md:
/// pointers are passed through, scalars are loaded from args[i]), the table
/// `__rat_entries`/`__rat_num_entries` and the manifest string.
static LogicalResult addRuntimeInterface(llvm::Module &m,
                                         ArrayRef<std::string> entries,
                                         StringRef manifest,
                                         llvm::raw_ostream &errs) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  SmallVector<llvm::Constant *> rows;
  llvm::StructType *rowType = llvm::StructType::get(ctx, {ptr, ptr});
  for (const std::string &name : entries) {
    llvm::Function *callee = m.getFunction("_mlir_ciface_" + name);
    if (!callee) {
      errs << "error: entry '" << name << "' has no C interface\n";
      return failure();
    }
    auto *fnType =
        llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
    auto *packed = llvm::Function::Create(
        fnType, llvm::GlobalValue::InternalLinkage, "_rat_packed_" + name, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", packed));
    SmallVector<llvm::Value *> args;
    for (auto [i, param] : llvm::enumerate(callee->args())) {
      llvm::Value *slot = b.CreateGEP(ptr, packed->getArg(0), b.getInt64(i));
      llvm::Value *pointer = b.CreateLoad(ptr, slot);
      if (param.getType()->isPointerTy())
        args.push_back(pointer);
      else
        args.push_back(b.CreateLoad(param.getType(), pointer));
    }
    b.CreateCall(callee, args);
    b.CreateRetVoid();
    llvm::Constant *nameStr = b.CreateGlobalString(name, "__rat_entry_name");
    rows.push_back(llvm::ConstantStruct::get(rowType, {nameStr, packed}));
  }
  auto *tableType = llvm::ArrayType::get(rowType, rows.size());
  new llvm::GlobalVariable(
      m, tableType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantArray::get(tableType, rows), "__rat_entries");
  new llvm::GlobalVariable(m, i64, true, llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i64, rows.size()),
                           "__rat_num_entries");
  llvm::Constant *text = llvm::ConstantDataArray::getString(ctx, manifest);
  new llvm::GlobalVariable(m, text->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "__rat_manifest");
  return success();
}

static std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(int optLevel, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  // A generic CPU: the executable may run on another x86-64 host (the GPU
  // machine), so no host-specific instructions.
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, "x86-64", "", llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt,
      optLevel >= 2 ? llvm::CodeGenOptLevel::Aggressive
                    : llvm::CodeGenOptLevel::Default));
  if (!tm)
    error = "cannot create a target machine for " + triple.str();
  return tm;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// The CUDA toolkit MLIR's NVVM target uses: $CUDA_ROOT, $CUDA_HOME,
/// $CUDA_PATH, else /usr/local/cuda.
static std::string cudaToolkitPath() {
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *root = std::getenv(var))
      return root;
  return "/usr/local/cuda";
}

/// ptxas from $CUDA_ROOT/$CUDA_HOME/$CUDA_PATH, /usr/local/cuda or PATH: the
/// places MLIR's NVVM target looks.
static std::optional<std::string> findPtxas() {
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *root = std::getenv(var)) {
      SmallString<128> p(root);
      llvm::sys::path::append(p, "bin", "ptxas");
      if (llvm::sys::fs::can_execute(p))
        return std::string(p);
    }
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas"))
    return std::string("/usr/local/cuda/bin/ptxas");
  if (llvm::ErrorOr<std::string> p = llvm::sys::findProgramByName("ptxas"))
    return *p;
  return std::nullopt;
}

namespace {
/// Prints `-v` phase lines with their durations.
class PhaseTimer {
public:
  PhaseTimer(bool verbose, llvm::raw_ostream &log)
      : verbose(verbose), log(log) {}
  template <typename Fn> LogicalResult run(StringRef name, Fn &&fn) {
    auto start = std::chrono::steady_clock::now();
    LogicalResult result = fn();
    if (verbose) {
      double ms = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - start)
                      .count();
      log << "[rat-compile] " << llvm::format("%-10s", name.str().c_str())
          << llvm::format("%9.1f ms", ms)
          << (succeeded(result) ? "" : "  (failed)") << "\n";
    }
    return result;
  }

private:
  bool verbose;
  llvm::raw_ostream &log;
};
} // namespace

/// Writes `text` to `path` (or stdout for "-"), atomically.
static LogicalResult writeText(StringRef path,
                               function_ref<void(llvm::raw_ostream &)> print,
                               llvm::raw_ostream &log) {
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out) {
    log << "error: " << error << "\n";
    return failure();
  }
  print(out->os());
  out->keep();
  return success();
}

static LogicalResult runPasses(ModuleOp module, const CompileOptions &options,
                               function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  if (options.configurePassManager && failed(options.configurePassManager(pm)))
    return failure();
  build(pm);
  return pm.run(module);
}

static LogicalResult linkExecutable(StringRef object, StringRef output,
                                    const CompileOptions &options,
                                    llvm::raw_ostream &log) {
  std::string linker = RAT_LINKER;
  if (const char *env = std::getenv("RAT_LINKER"))
    linker = env;
  llvm::ErrorOr<std::string> exe = llvm::sys::findProgramByName(linker);
  if (!exe) {
    log << "error: cannot find the linker '" << linker
        << "' (set RAT_LINKER)\n";
    return failure();
  }
  SmallVector<std::string> args = {*exe, object.str(), "-o", output.str()};
  StringRef libs = options.target == Target::CUDA ? RAT_CUDA_RUNTIME_LIBS
                                                  : RAT_CPU_RUNTIME_LIBS;
  SmallVector<StringRef> parts;
  libs.split(parts, ',', -1, false);
  for (StringRef lib : parts)
    args.push_back(lib.str());
  // The generic main reaches the CUDA backend through a weak reference.
  if (options.target == Target::CUDA)
    args.push_back("-Wl,--undefined=rat_cuda_backend");
  args.append({"-lm", "-ldl", "-lpthread"});
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  if (options.verbose) {
    log << "[rat-compile] link:";
    for (StringRef a : argRefs)
      log << " " << a;
    log << "\n";
  }
  std::string error;
  int rc =
      llvm::sys::ExecuteAndWait(*exe, argRefs, std::nullopt, {}, 0, 0, &error);
  if (rc != 0) {
    log << "error: linking failed ("
        << (error.empty() ? "exit " + std::to_string(rc) : error) << ")\n";
    return failure();
  }
  return success();
}

LogicalResult mlir::rat::compileModule(ModuleOp module,
                                       const CompileOptions &options,
                                       llvm::raw_ostream &log) {
  // The pipelines name upstream passes textually: register them once.
  static std::once_flag registered;
  std::call_once(registered, [] { rat::registerAllPasses(); });
  PhaseTimer timer(options.verbose, log);
  auto printModule = [&](llvm::raw_ostream &os) { module.print(os); };
  if (failed(timer.run("verify", [&] { return verify(module); })))
    return failure();
  if (options.emit == EmitKind::MLIR)
    return writeText(options.output, printModule, log);

  SmallVector<std::string> entries;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isExternal())
      entries.push_back(func.getName().str());
  if (entries.empty()) {
    emitError(module.getLoc(), "the module has no public function to compile");
    return failure();
  }
  bool gpu = options.target == Target::CUDA;
  if (options.emit == EmitKind::PTX && !gpu) {
    emitError(module.getLoc(), "--emit ptx needs --target cuda");
    return failure();
  }

  RatPipelineOptions pipelineOptions;
  if (!options.pipelineOptions.empty() &&
      failed(pipelineOptions.parseFromString(options.pipelineOptions))) {
    log << "error: bad pipeline options '" << options.pipelineOptions << "'\n";
    return failure();
  }
  if (std::string error;
      failed(verifyRatPipelineOptions(pipelineOptions, error))) {
    log << "error: --pipeline-options: " << error << "\n";
    return failure();
  }
  if (gpu) {
    // MLIR's NVVM target finds ptxas through $CUDA_ROOT (or PATH) but
    // libdevice also under /usr/local/cuda: name the toolkit explicitly so
    // both come from the same place.
    if (!std::getenv("CUDA_ROOT") && !std::getenv("CUDA_HOME") &&
        !std::getenv("CUDA_PATH"))
      ::setenv("CUDA_ROOT", cudaToolkitPath().c_str(), /*overwrite=*/0);
    // Kernels link libdevice (math functions) from the CUDA toolkit, also
    // when they are emitted as PTX.
    SmallString<128> libdevice(cudaToolkitPath());
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!llvm::sys::fs::exists(libdevice)) {
      log << "error: --target cuda needs the CUDA toolkit's libdevice, not "
             "found at '"
          << libdevice << "' (set CUDA_ROOT to the toolkit)\n";
      return failure();
    }
    pipelineOptions.chip = options.chip;
    pipelineOptions.features = options.features;
    // PTX when asked for, or when there is no ptxas to make a cubin: the
    // driver then JIT-compiles it at module load.
    bool havePtxas = findPtxas().has_value();
    pipelineOptions.format =
        options.emit == EmitKind::PTX || !havePtxas ? "isa" : "bin";
    if (options.verbose)
      log << "[rat-compile] kernels: "
          << (pipelineOptions.format == "bin" ? "cubin (ptxas found)"
              : options.emit == EmitKind::PTX
                  ? "PTX (--emit ptx)"
                  : "PTX, JIT-compiled by the driver (no ptxas found)")
          << " for " << options.chip << "\n";
  }

  if (failed(timer.run("rat", [&] {
        return runPasses(module, options, [](OpPassManager &pm) {
          pm.addPass(createCanonicalizerPass());
        });
      })))
    return failure();
  if (options.emit == EmitKind::Rat)
    return writeText(options.output, printModule, log);

  // The host emulation of the GPU kernels compiles like the GPU up to the
  // kernels, then for the host.
  bool gpuKernels = gpu || pipelineOptions.emulateGpu;
  if (failed(timer.run("tiled", [&] {
        return runPasses(module, options, [&](OpPassManager &pm) {
          buildRatGraphToTiledPipeline(pm, pipelineOptions, gpuKernels);
        });
      })))
    return failure();
  if (options.emit == EmitKind::Tiled)
    return writeText(options.output, printModule, log);

  if (failed(timer.run("kernel", [&] {
        return runPasses(module, options, [&](OpPassManager &pm) {
          buildRatTiledToLoopsPipeline(pm, gpuKernels,
                                       gpu && pipelineOptions.mma,
                                       &pipelineOptions);
          if (gpu)
            buildRatLoopsToKernelsPipeline(pm, pipelineOptions);
          else if (pipelineOptions.emulateGpu)
            buildRatLoopsToEmulatedKernelsPipeline(pm, pipelineOptions);
        });
      })))
    return failure();
  if (options.emit == EmitKind::Kernel)
    return writeText(options.output, printModule, log);

  // The ABI is final once bufferized (in-place states have no result).
  std::string manifest = buildManifest(module, options);

  // The manifest has been written from the rat.* argument attributes; LLVM
  // translation rejects attributes it does not know.
  for (auto func : module.getOps<func::FuncOp>()) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      for (StringRef name : {"rat.role", "rat.name", "rat.dims", "rat.weight"})
        func.removeArgAttr(i, name);
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      for (StringRef name : {"rat.role", "rat.name", "rat.dims"})
        func.removeResultAttr(i, StringAttr::get(module.getContext(), name));
  }
  if (failed(timer.run(gpu ? "to-nvvm" : "to-llvm", [&] {
        return runPasses(module, options, [&](OpPassManager &pm) {
          if (gpu)
            buildRatKernelsToNVVMPipeline(pm, pipelineOptions);
          else
            buildRatLoopsToLLVMPipeline(pm);
        });
      })))
    return failure();
  if (options.emit == EmitKind::PTX)
    return writeText(
        options.output,
        [&](llvm::raw_ostream &os) {
          module.walk([&](gpu::BinaryOp binary) {
            for (Attribute a : binary.getObjects())
              if (auto object = dyn_cast<gpu::ObjectAttr>(a))
                os << "// kernels of @" << binary.getName() << "\n"
                   << object.getObject().getValue() << "\n";
          });
        },
        log);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  if (failed(timer.run("translate", [&] {
        llvmModule = translateModuleToLLVMIR(module, llvmContext, "rat");
        if (!llvmModule) {
          emitError(module.getLoc(), "translation to LLVM IR failed");
          return failure();
        }
        return addRuntimeInterface(*llvmModule, entries, manifest, log);
      })))
    return failure();

  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm =
      createHostTargetMachine(options.optLevel, error);
  if (!tm) {
    log << "error: " << error << "\n";
    return failure();
  }
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(tm->getTargetTriple());
  if (failed(timer.run("llvm-opt", [&] {
        auto transformer =
            makeOptimizingTransformer(options.optLevel, 0, tm.get());
        if (llvm::Error err = transformer(llvmModule.get())) {
          log << "error: LLVM optimization failed: "
              << llvm::toString(std::move(err)) << "\n";
          return failure();
        }
        return success();
      })))
    return failure();
  if (options.emit == EmitKind::LLVM)
    return writeText(
        options.output,
        [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); }, log);

  // Object file: the requested output, or a temporary one to link.
  SmallString<128> objectPath;
  if (options.emit == EmitKind::Obj) {
    objectPath = options.output;
  } else if (std::error_code ec =
                 llvm::sys::fs::createTemporaryFile("rat", "o", objectPath)) {
    log << "error: cannot create a temporary object file: " << ec.message()
        << "\n";
    return failure();
  }
  if (failed(timer.run("codegen", [&] {
        auto out = openOutputFile(objectPath, &error);
        if (!out) {
          log << "error: " << error << "\n";
          return failure();
        }
        llvm::legacy::PassManager codegen;
        if (tm->addPassesToEmitFile(codegen, out->os(), nullptr,
                                    llvm::CodeGenFileType::ObjectFile)) {
          log << "error: the target cannot emit object files\n";
          return failure();
        }
        codegen.run(*llvmModule);
        out->keep();
        return success();
      })))
    return failure();
  if (options.emit == EmitKind::Obj)
    return success();

  // Link next to the output, then rename: no partial executable on failure.
  StringRef dir = llvm::sys::path::parent_path(options.output);
  if (!dir.empty() && !llvm::sys::fs::is_directory(dir)) {
    llvm::sys::fs::remove(objectPath);
    log << "error: cannot write '" << options.output << "': directory '" << dir
        << "' does not exist\n";
    return failure();
  }
  std::string partial = options.output + ".partial";
  LogicalResult linked = timer.run("link", [&] {
    return linkExecutable(objectPath, partial, options, log);
  });
  llvm::sys::fs::remove(objectPath);
  if (failed(linked)) {
    llvm::sys::fs::remove(partial);
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::rename(partial, options.output)) {
    llvm::sys::fs::remove(partial);
    log << "error: cannot write '" << options.output << "': " << ec.message()
        << "\n";
    return failure();
  }
  return success();
}
