//===- Compiler.cpp - the rat-compile driver library ----------*- C++ -*-===//
//
// Runs the rat pipelines phase by phase, translates to LLVM IR, adds the
// runtime entry table and manifest, emits an object file in-process and links
// it with the rat runtime into an executable.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Compiler.h"

#include "RuntimeInterface.h"

#include "rat/InitAll.h"
#include "rat/Pipelines/Pipelines.h"
#include "rat/Runtime/Checkpoint.h"
#include "rat/Target/Chip.h"

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
      .Case("shared", EmitKind::Shared)
      .Default(std::nullopt);
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

  std::string manifest;
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
    // The driver checked the chip (rat/Target/Chip.h) and keeps chip= out
    // of --pipeline-options.
    std::string chip =
        options.chip.empty() ? defaultChip().str() : options.chip;
    pipelineOptions.chip = chip;
    if (!options.features.empty())
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
          << " for " << chip << "\n";
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
  }
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
