//===- Compiler.cpp - the rat-compile driver library ----------*- C++ -*-===//
//
// Runs the rat pipelines phase by phase, translates to LLVM IR, adds the
// runtime entry table and manifest, emits an object file in-process and links
// it with the rat runtime into an executable.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"

#include "KernelTable.h"
#include "RuntimeInterface.h"

#include "rat/InitAll.h"
#include "rat/Pipelines/Pipelines.h"
#include "rat/Runtime/Checkpoint.h"
#include "rat/Target/Chip.h"
#include "rat/Target/CudaToolkit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
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

namespace {
struct EmitKindName {
  const char *name;
  EmitKind kind;
};
constexpr EmitKindName kEmitKinds[] = {
    {"mlir", EmitKind::MLIR},     {"rat", EmitKind::Rat},
    {"tiled", EmitKind::Tiled},   {"kernel", EmitKind::Kernel},
    {"llvm", EmitKind::LLVM},     {"ptx", EmitKind::PTX},
    {"cubin", EmitKind::Cubin},   {"fatbin", EmitKind::Fatbin},
    {"obj", EmitKind::Obj},       {"exe", EmitKind::Exe},
    {"shared", EmitKind::Shared}};
} // namespace

std::optional<EmitKind> mlir::rat::parseEmitKind(llvm::StringRef name) {
  for (const EmitKindName &kind : kEmitKinds)
    if (name == kind.name)
      return kind.kind;
  return std::nullopt;
}

llvm::StringRef mlir::rat::emitKindNames() {
  static const std::string names = [] {
    std::string text;
    for (const EmitKindName &kind : kEmitKinds)
      text += (text.empty() ? "" : ", ") + std::string(kind.name);
    return text;
  }();
  return names;
}

std::string mlir::rat::kernelTablePath(llvm::StringRef output) {
  SmallString<128> path(output);
  llvm::sys::path::replace_extension(path, "kernels.json");
  return std::string(path);
}

void mlir::rat::registerCompilerDialects(DialectRegistry &registry) {
  rat::registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
}

//===----------------------------------------------------------------------===//
// Object file and executable
//===----------------------------------------------------------------------===//

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

static LogicalResult
runPasses(ModuleOp module, const CompileOptions &options,
          const std::function<void(OpPassManager &)> &build) {
  PassManager pm(module.getContext());
  if (options.configurePassManager && failed(options.configurePassManager(pm)))
    return failure();
  build(pm);
  return pm.run(module);
}

/// The functions of rat/Runtime/rat_model.h: the only symbols a model's
/// shared library exports (the runtime and the compiled entries stay
/// local, so two models load side by side).
static constexpr const char *kSharedLibraryExports =
    "{\n"
    "  global:\n"
    "    rat_api_version; rat_last_error; rat_status_name; rat_free;\n"
    "    rat_manifest;\n"
    "    rat_open_options_init; rat_generate_options_init; rat_model_*;\n"
    "  local: *;\n"
    "};\n";

/// Links `object` with the runtime archives of `options.runtimeDir` into an
/// executable (the generic main) or, for EmitKind::Shared, a shared library
/// exporting the C API; `soname` names the library.
static LogicalResult linkModel(StringRef object, StringRef output,
                               StringRef soname, const CompileOptions &options,
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
  bool shared = options.emit == EmitKind::Shared;
  bool gpu = options.target == Target::CUDA;
  // Static archives, in link order.
  SmallVector<const char *> archives;
  archives.push_back(shared ? "RatModelApi" : "RatRuntimeMain");
  archives.push_back("RatRuntimeSession");
  if (gpu)
    archives.push_back("RatCudaRuntime");
  archives.push_back("RatRuntimeSupport");
  SmallVector<std::string> args = {*exe};
  if (shared)
    args.push_back("-shared");
  args.append({object.str(), "-o", output.str()});
  for (const char *name : archives) {
    SmallString<128> path(options.runtimeDir);
    llvm::sys::path::append(path, "lib" + std::string(name) + ".a");
    if (!llvm::sys::fs::exists(path)) {
      log << "error: the rat runtime is missing: '" << path
          << "' does not exist (rat-compile links with the runtime in the "
             "lib/ directory next to its bin/)\n";
      return failure();
    }
    // The C API is linked whole: nothing in the model references it.
    bool whole = shared && StringRef(name) == "RatModelApi";
    if (whole)
      args.push_back("-Wl,--whole-archive");
    args.push_back(std::string(path));
    if (whole)
      args.push_back("-Wl,--no-whole-archive");
  }
  // The session reaches the CUDA backend through a weak reference.
  if (gpu)
    args.push_back("-Wl,--undefined=rat_cuda_backend");
  SmallString<128> exportsPath;
  if (shared) {
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "rat-exports", "map", exportsPath)) {
      log << "error: cannot create a temporary file: " << ec.message()
          << "\n";
      return failure();
    }
    std::string error;
    auto exports = openOutputFile(exportsPath, &error);
    if (!exports) {
      log << "error: " << error << "\n";
      return failure();
    }
    exports->os() << kSharedLibraryExports;
    exports->keep();
    args.push_back("-Wl,--version-script=" + std::string(exportsPath));
    args.push_back("-Wl,-soname," + soname.str());
    args.push_back("-Wl,--no-undefined");
  }
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
  if (!exportsPath.empty())
    llvm::sys::fs::remove(exportsPath);
  if (rc != 0) {
    log << "error: linking failed ("
        << (error.empty() ? "exit " + std::to_string(rc) : error) << ")\n";
    return failure();
  }
  return success();
}

/// --emit cubin/fatbin: the one gpu.binary's object (rat-merge-kernel-modules
/// made one gpu.module) to `options.output`, and the kernel table beside it.
static LogicalResult writeDeviceCode(ModuleOp module, KernelTable &table,
                                     const CompileOptions &options,
                                     ArrayRef<std::string> chips,
                                     llvm::raw_ostream &log) {
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.empty()) {
    emitError(module.getLoc(), "the model has no GPU kernels to write");
    return failure();
  }
  if (binaries.size() != 1 || binaries.front().getObjects().size() != 1) {
    emitError(module.getLoc(), "expected the kernels in one binary with one "
                               "object (rat-merge-kernel-modules)");
    return failure();
  }
  auto object = cast<gpu::ObjectAttr>(binaries.front().getObjects()[0]);
  if (failed(addKernelParams(table, module)))
    return failure();
  bool fatbin = options.emit == EmitKind::Fatbin;
  std::string ptxChip;
  if (fatbin && !isArchSpecific(*lookupChip(chips.front())))
    ptxChip = chips.front();
  std::string tablePath = kernelTablePath(options.output);
  std::string tableText =
      printKernelTable(table, fatbin ? "fatbin" : "cubin",
                       llvm::sys::path::filename(options.output), chips,
                       ptxChip);
  std::string error;
  auto binary = openOutputFile(options.output, &error);
  auto tableFile = binary ? openOutputFile(tablePath, &error) : nullptr;
  if (!binary || !tableFile) {
    log << "error: " << error << "\n";
    return failure();
  }
  binary->os() << object.getObject().getValue();
  tableFile->os() << tableText;
  binary->keep();
  tableFile->keep();
  if (options.verbose)
    log << "[rat-compile] wrote " << options.output << " ("
        << object.getObject().getValue().size() << " bytes, "
        << table.kernels.size() << " kernels) and " << tablePath << "\n";
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
  // --emit cubin/fatbin: the device code alone, with a kernel table.
  bool deviceCode =
      options.emit == EmitKind::Cubin || options.emit == EmitKind::Fatbin;
  if ((options.emit == EmitKind::PTX || deviceCode) && !gpu) {
    emitError(module.getLoc(), "--emit ")
        << (options.emit == EmitKind::PTX     ? "ptx"
            : options.emit == EmitKind::Cubin ? "cubin"
                                              : "fatbin")
        << " needs --target cuda";
    return failure();
  }

  std::string manifest;
  // cuda: the chips, lowest first, and the kernels' format (isa, bin or
  // fatbin).
  SmallVector<std::string> chips;
  std::string format;
  // --emit cubin/fatbin: the kernel table, collected at the kernel level.
  KernelTable kernelTable;
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
    // The driver checked the chip list (rat/Target/Chip.h) and keeps chip=
    // out of --pipeline-options.
    std::string chip =
        options.chip.empty() ? defaultChip().str() : options.chip;
    pipelineOptions.chip = chip;
    if (!options.features.empty())
      pipelineOptions.features = options.features;
    std::string chipError;
    for (const ChipInfo *info : parseChipList(chip, chipError))
      chips.push_back(info->name.str());
    if (chips.empty()) {
      log << "error: --chip: " << chipError << "\n";
      return failure();
    }
    // A fatbin (every chip's cubin and the lowest chip's PTX) where the
    // toolkit has ptxas and fatbinary; else one chip's cubin or PTX, which
    // the driver JIT-compiles at module load.
    bool havePtxas = findCudaTool("ptxas").has_value();
    bool haveFatbinary = findCudaTool("fatbinary").has_value();
    std::string missing;
    if (options.emit == EmitKind::PTX) {
      format = "isa";
    } else if (options.emit == EmitKind::Cubin) {
      format = "bin";
      if (!havePtxas)
        missing = "ptxas";
    } else if (options.emit == EmitKind::Fatbin || chips.size() > 1) {
      format = "fatbin";
      if (!havePtxas || !haveFatbinary)
        missing = havePtxas ? "fatbinary" : "ptxas";
    } else {
      format = havePtxas && haveFatbinary ? "fatbin" : havePtxas ? "bin" : "isa";
    }
    if (!missing.empty()) {
      log << "error: "
          << (options.emit == EmitKind::Cubin    ? "--emit cubin"
              : options.emit == EmitKind::Fatbin ? "--emit fatbin"
                                                 : "--chip " + chip)
          << " needs the CUDA toolkit's " << missing << " (looked in "
          << cudaToolSearchPlaces() << ")\n";
      return failure();
    }
    pipelineOptions.format = format;
    if (options.verbose) {
      log << "[rat-compile] kernels: ";
      if (format == "fatbin") {
        const ChipInfo *lowest = lookupChip(chips.front());
        log << "fatbin with cubins for " << llvm::join(chips, ", ")
            << (isArchSpecific(*lowest)
                    ? " (no PTX: " + chips.front() + " code runs on no other chip)"
                    : " and PTX for " + chips.front())
            << "\n";
      } else if (format == "bin") {
        log << "cubin for " << chip
            << (options.emit == EmitKind::Cubin
                    ? ""
                    : " (no fatbinary found: no PTX for newer GPUs)")
            << "\n";
      } else {
        log << "PTX for " << chip
            << (options.emit == EmitKind::PTX
                    ? " (--emit ptx)"
                    : ", JIT-compiled by the driver (no ptxas found)")
            << "\n";
      }
    }
  }

  if (failed(timer.run("rat", [&] {
        return runPasses(module, options, [](OpPassManager &pm) {
          pm.addPass(createCanonicalizerPass());
        });
      })))
    return failure();
  if (options.emit == EmitKind::Rat)
    return writeText(options.output, printModule, log);

  for (const RatPipelineStage &stage :
       getRatPipelineStages(pipelineOptions, gpu ? RatPipelineTarget::GPU
                                                 : RatPipelineTarget::CPU)) {
    if (stage.level == RatLevel::LLVM) {
      // The ABI is final once bufferized (in-place states have no result).
      manifest = buildManifest(module, options);
      // The manifest has been written from the rat.* argument attributes;
      // LLVM translation rejects attributes it does not know.
      stripRatAttributes(module);
    }
    if (failed(timer.run(stage.name, [&] {
          return runPasses(module, options, stage.build);
        })))
      return failure();
    if ((stage.level == RatLevel::Tiled && options.emit == EmitKind::Tiled) ||
        (stage.level == RatLevel::Kernel && options.emit == EmitKind::Kernel))
      return writeText(options.output, printModule, log);
    if (stage.level == RatLevel::Kernel && deviceCode)
      kernelTable = collectKernelLaunches(module);
  }
  if (options.emit == EmitKind::PTX)
    return writeText(
        options.output,
        [&](llvm::raw_ostream &os) {
          module.walk([&](gpu::BinaryOp binary) {
            for (Attribute a : binary.getObjects())
              if (auto object = dyn_cast<gpu::ObjectAttr>(a)) {
                os << "// kernels of @" << binary.getName();
                if (auto target =
                        dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
                  os << " for " << target.getChip();
                os << "\n" << object.getObject().getValue() << "\n";
              }
          });
        },
        log);
  if (deviceCode)
    return writeDeviceCode(module, kernelTable, options, chips, log);

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
    return linkModel(objectPath, partial,
                     llvm::sys::path::filename(options.output), options, log);
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
