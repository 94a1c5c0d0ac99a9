//===- GpuModuleToFatbin.cpp - one fatbin for every chip ------*- C++ -*-===//
//
// Implements -rat-gpu-module-to-fatbin (see Passes.td): each NVVM target of
// a gpu.module is serialized by MLIR's NVVM target (LLVM's NVPTX back end,
// then ptxas), and the CUDA toolkit's fatbinary bundles the cubins with the
// lowest chip's PTX into the one object a gpu.binary embeds.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "rat/Target/Chip.h"
#include "rat/Target/CudaToolkit.h"

#include "mlir/Dialect/GPU/IR/CompilationInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <list>

namespace mlir::rat {
#define GEN_PASS_DEF_RATGPUMODULETOFATBIN
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

namespace {
/// A temporary file, removed when this goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  std::optional<llvm::FileRemover> remover;

  LogicalResult create(StringRef prefix, StringRef suffix,
                       std::string &error) {
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile(prefix, suffix, path)) {
      error = "cannot create a temporary file: " + ec.message();
      return failure();
    }
    remover.emplace(path);
    return success();
  }
  LogicalResult write(StringRef data, std::string &error) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (!ec) {
      os << data;
      os.close();
      if (!os.has_error())
        return success();
      ec = os.error();
      os.clear_error();
    }
    error = "cannot write '" + path.str().str() + "': " + ec.message();
    return failure();
  }
};

/// The `sm=` value of fatbinary's --image3: "80", "90a".
std::string fatbinArch(StringRef chip) {
  chip.consume_front("sm_");
  return chip.str();
}

/// One chip's code: its target, cubin and PTX.
struct ChipCode {
  NVVM::NVVMTargetAttr target;
  const ChipInfo *chip;
  SmallVector<char, 0> cubin;
  std::string ptx;
};

struct RatGpuModuleToFatbinPass
    : rat::impl::RatGpuModuleToFatbinBase<RatGpuModuleToFatbinPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<std::string> fatbinary = findCudaTool("fatbinary");
    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
      if (!fatbinary) {
        gpuModule.emitError("rat-gpu-module-to-fatbin: the CUDA toolkit's "
                            "fatbinary was not found (looked in ")
            << cudaToolSearchPlaces() << ")";
        return signalPassFailure();
      }
      if (failed(serialize(gpuModule, *fatbinary)))
        return signalPassFailure();
    }
  }

  LogicalResult serialize(gpu::GPUModuleOp gpuModule, StringRef fatbinary) {
    auto fail = [&](const Twine &message) {
      return gpuModule.emitError("rat-gpu-module-to-fatbin: ") << message;
    };
    ArrayAttr targets = gpuModule.getTargetsAttr();
    if (!targets || targets.empty())
      return fail("gpu.module @" + gpuModule.getName() + " has no target");
    SmallVector<ChipCode> codes;
    for (Attribute attr : targets) {
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(attr);
      if (!target)
        return fail("only #nvvm.target targets can be bundled, got ") << attr;
      const ChipInfo *chip = lookupChip(target.getChip());
      if (!chip)
        return fail("'" + target.getChip() +
                    "' is not a chip this compiler knows (supported: " +
                    knownChipNames() + ")");
      codes.push_back({target, chip, {}, {}});
    }
    std::stable_sort(codes.begin(), codes.end(),
                     [](const ChipCode &a, const ChipCode &b) {
                       return isLowerChip(*a.chip, *b.chip);
                     });

    // Each chip: LLVM's NVPTX back end to PTX (kept through the ISA
    // callback), then ptxas, as gpu-module-to-binary{format=bin} does.
    std::optional<SymbolTable> parentTable;
    auto symbolTable = [&]() -> SymbolTable * {
      if (!parentTable)
        parentTable.emplace(SymbolTable::getNearestSymbolTable(gpuModule));
      return &*parentTable;
    };
    for (ChipCode &code : codes) {
      auto isa = [&](StringRef ptx) { code.ptx = ptx.str(); };
      gpu::TargetOptions options(
          /*toolkitPath=*/{}, /*librariesToLink=*/{}, /*cmdOptions=*/{},
          /*elfSection=*/{}, gpu::CompilationTarget::Binary, symbolTable,
          /*initialLlvmIRCallback=*/{}, /*linkedLlvmIRCallback=*/{},
          /*optimizedLlvmIRCallback=*/{}, isa);
      auto serializer = cast<gpu::TargetAttrInterface>(code.target);
      std::optional<SmallVector<char, 0>> cubin =
          serializer.serializeToObject(gpuModule, options);
      if (!cubin)
        return fail("serializing gpu.module @" + gpuModule.getName() +
                    " for " + code.chip->name + " failed");
      code.cubin = std::move(*cubin);
    }

    std::string error;
    std::list<TempFile> files;
    SmallVector<std::string> args = {fatbinary.str(), "-64"};
    for (const ChipCode &code : codes) {
      TempFile &file = files.emplace_back();
      if (failed(file.create(("rat-" + code.chip->name).str(), "cubin", error)) ||
          failed(file.write(StringRef(code.cubin.data(), code.cubin.size()),
                            error)))
        return fail(error);
      args.push_back("--image3=kind=elf,sm=" + fatbinArch(code.chip->name) +
                     ",file=" + file.path.str().str());
    }
    // The lowest chip's PTX, for the driver to JIT-compile on newer GPUs;
    // an architecture-specific chip's PTX runs on no other chip.
    const ChipCode &lowest = codes.front();
    if (!isArchSpecific(*lowest.chip)) {
      TempFile &ptxFile = files.emplace_back();
      if (failed(ptxFile.create(("rat-" + lowest.chip->name).str(), "ptx", error)) ||
          failed(ptxFile.write(lowest.ptx, error)))
        return fail(error);
      args.push_back("--image3=kind=ptx,sm=" + fatbinArch(lowest.chip->name) +
                     ",file=" + ptxFile.path.str().str());
    }
    TempFile &output = files.emplace_back();
    if (failed(output.create("rat-kernels", "fatbin", error)))
      return fail(error);
    args.push_back("--create=" + output.path.str().str());

    TempFile log;
    if (failed(log.create("rat-fatbinary", "log", error)))
      return fail(error);
    SmallVector<StringRef> argRefs(args.begin(), args.end());
    std::optional<StringRef> redirects[] = {std::nullopt, log.path.str(),
                                            log.path.str()};
    std::string message;
    if (llvm::sys::ExecuteAndWait(fatbinary, argRefs, std::nullopt,
                                  redirects, 0, 0, &message) != 0) {
      std::string output;
      if (auto buffer = llvm::MemoryBuffer::getFile(log.path))
        output = (*buffer)->getBuffer().trim().str();
      return fail("fatbinary failed" +
                  (message.empty() ? "" : ": " + message) +
                  (output.empty() ? "" : "\n" + output));
    }
    auto fatbin = llvm::MemoryBuffer::getFile(output.path);
    if (!fatbin)
      return fail("cannot read fatbinary's output: " +
                  fatbin.getError().message());

    Builder b(gpuModule.getContext());
    Attribute object = gpu::ObjectAttr::get(
        lowest.target, gpu::CompilationTarget::Fatbin,
        b.getStringAttr((*fatbin)->getBuffer()));
    OpBuilder builder(gpuModule);
    builder.setInsertionPointAfter(gpuModule);
    gpu::BinaryOp::create(builder, gpuModule.getLoc(), gpuModule.getName(),
                          gpuModule.getOffloadingHandlerAttr(),
                          builder.getArrayAttr({object}));
    gpuModule.erase();
    return success();
  }
};
} // namespace
