//===- KernelTable.cpp - The kernel table of --emit cubin/fatbin ----------===//

#include "KernelTable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::rat;

namespace {
/// Where a launch sits in its entry: inside a loop, inside a branch.
struct Nesting {
  bool inLoop = false;
  bool conditional = false;
};

Nesting nestingOf(Operation *op, Operation *until) {
  Nesting nesting;
  for (Operation *parent = op->getParentOp(); parent && parent != until;
       parent = parent->getParentOp()) {
    if (isa<LoopLikeOpInterface>(parent))
      nesting.inLoop = true;
    else if (isa<RegionBranchOpInterface>(parent))
      nesting.conditional = true;
  }
  return nesting;
}

std::optional<int64_t> constantOf(Value value) {
  if (!value)
    return 0;
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return constant.getSExtValue();
  return std::nullopt;
}

/// Appends the launches of `func` (and of the functions it calls) to
/// `launches`; `depth` stops recursion through recursive calls.
void collectLaunches(func::FuncOp func, SymbolTable &symbols, Nesting outer,
                     std::vector<KernelLaunch> &launches, int depth) {
  if (depth > 16)
    return;
  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    Nesting nesting = nestingOf(op, func);
    nesting.inLoop |= outer.inLoop;
    nesting.conditional |= outer.conditional;
    if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
      launches.push_back({launch.getKernelName().str(), nesting.inLoop,
                          nesting.conditional});
    } else if (auto call = dyn_cast<func::CallOp>(op)) {
      if (auto callee = symbols.lookup<func::FuncOp>(call.getCallee()))
        if (!callee.isExternal())
          collectLaunches(callee, symbols, nesting, launches, depth + 1);
    }
  });
}

std::string typeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

/// `ptr`, `i64`, `f32` and the size of a lowered kernel operand.
std::pair<std::string, int64_t> abiType(Type type) {
  if (isa<LLVM::LLVMPointerType>(type))
    return {"ptr", 8};
  if (auto integer = dyn_cast<IntegerType>(type))
    return {"i" + std::to_string(integer.getWidth()),
            (integer.getWidth() + 7) / 8};
  if (auto floating = dyn_cast<FloatType>(type))
    return {typeText(type), floating.getWidth() / 8};
  return {typeText(type), 0};
}

/// The fields a kernel argument of `type` expands into (gpu-to-llvm's
/// memref descriptor: allocated and aligned pointer, offset, sizes,
/// strides), or {""} for a scalar.
std::vector<std::string> argumentFields(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref)
    return {""};
  std::vector<std::string> fields = {"allocated", "aligned", "offset"};
  for (int64_t i = 0; i < memref.getRank(); ++i)
    fields.push_back("size" + std::to_string(i));
  for (int64_t i = 0; i < memref.getRank(); ++i)
    fields.push_back("stride" + std::to_string(i));
  return fields;
}
} // namespace

KernelTable mlir::rat::collectKernelLaunches(ModuleOp module) {
  KernelTable table;
  llvm::StringMap<size_t> index;
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
    for (auto func : gpuModule.getOps<gpu::GPUFuncOp>()) {
      if (!func.isKernel())
        continue;
      KernelInfo info;
      info.name = func.getName().str();
      for (Type type : func.getArgumentTypes()) {
        info.args.push_back(typeText(type));
        info.argFields.push_back(argumentFields(type));
      }
      index[info.name] = table.kernels.size();
      table.kernels.push_back(std::move(info));
    }

  // Block size and shared memory from the launches: known when every launch
  // of the kernel gives the same constants.
  llvm::StringMap<bool> varies;
  module.walk([&](gpu::LaunchFuncOp launch) {
    auto it = index.find(launch.getKernelName());
    if (it == index.end() || varies.lookup(launch.getKernelName()))
      return;
    KernelInfo &info = table.kernels[it->second];
    std::optional<int64_t> x = constantOf(launch.getBlockSizeX()),
                           y = constantOf(launch.getBlockSizeY()),
                           z = constantOf(launch.getBlockSizeZ()),
                           shared =
                               constantOf(launch.getDynamicSharedMemorySize());
    std::optional<std::array<int64_t, 3>> block;
    if (x && y && z)
      block = std::array<int64_t, 3>{*x, *y, *z};
    bool first = !varies.count(launch.getKernelName());
    if (first) {
      info.block = block;
      info.dynamicSharedMemory = shared;
      varies[launch.getKernelName()] = false;
      return;
    }
    if (info.block != block)
      info.block.reset();
    if (info.dynamicSharedMemory != shared)
      info.dynamicSharedMemory.reset();
  });

  SymbolTable symbols(module);
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    EntryLaunches entry;
    entry.name = func.getName().str();
    collectLaunches(func, symbols, {}, entry.launches, 0);
    table.entries.push_back(std::move(entry));
  }
  return table;
}

LogicalResult mlir::rat::addKernelParams(KernelTable &table, ModuleOp module) {
  llvm::StringMap<std::vector<KernelParam>> params;
  WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
    std::vector<KernelParam> these;
    for (Value operand : launch.getKernelOperands()) {
      auto [type, bytes] = abiType(operand.getType());
      these.push_back({type, bytes, -1, ""});
    }
    auto [it, inserted] =
        params.try_emplace(launch.getKernelName(), std::move(these));
    if (inserted)
      return WalkResult::advance();
    if (it->second.size() != launch.getKernelOperands().size()) {
      launch.emitError("kernel table: the launches of '")
          << launch.getKernelName() << "' pass different parameters";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  for (KernelInfo &kernel : table.kernels) {
    auto it = params.find(kernel.name);
    if (it == params.end())
      continue;
    kernel.params = it->second;
    // Name each parameter after its argument when the expansion of the
    // arguments accounts for every parameter.
    std::vector<std::pair<int64_t, std::string>> origin;
    for (auto [arg, fields] : llvm::enumerate(kernel.argFields))
      for (const std::string &field : fields)
        origin.emplace_back(static_cast<int64_t>(arg), field);
    if (origin.size() != kernel.params.size())
      continue;
    for (auto [param, from] : llvm::zip(kernel.params, origin)) {
      param.arg = from.first;
      param.field = from.second;
    }
  }
  return success();
}

std::string mlir::rat::printKernelTable(const KernelTable &table,
                                        llvm::StringRef format,
                                        llvm::StringRef binaryFile,
                                        llvm::ArrayRef<std::string> cubinChips,
                                        llvm::StringRef ptxChip) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, /*IndentSize=*/2);
  json.object([&] {
    json.attribute("format", format);
    json.attribute("file", binaryFile);
    json.attributeArray("cubin_chips", [&] {
      for (const std::string &chip : cubinChips)
        json.value(chip);
    });
    if (ptxChip.empty())
      json.attribute("ptx_chip", nullptr);
    else
      json.attribute("ptx_chip", ptxChip);
    json.attributeArray("kernels", [&] {
      for (const KernelInfo &kernel : table.kernels)
        json.object([&] {
          json.attribute("name", kernel.name);
          if (kernel.block)
            json.attributeArray("block", [&] {
              for (int64_t size : *kernel.block)
                json.value(size);
            });
          else
            json.attribute("block", nullptr);
          if (kernel.dynamicSharedMemory)
            json.attribute("dynamic_shared_memory",
                           *kernel.dynamicSharedMemory);
          else
            json.attribute("dynamic_shared_memory", nullptr);
          json.attributeArray("args", [&] {
            for (const std::string &arg : kernel.args)
              json.value(arg);
          });
          json.attributeArray("params", [&] {
            for (const KernelParam &param : kernel.params)
              json.object([&] {
                json.attribute("type", param.type);
                json.attribute("bytes", param.bytes);
                if (param.arg >= 0) {
                  json.attribute("arg", param.arg);
                  if (!param.field.empty())
                    json.attribute("field", param.field);
                }
              });
          });
        });
    });
    json.attributeArray("entries", [&] {
      for (const EntryLaunches &entry : table.entries)
        json.object([&] {
          json.attribute("name", entry.name);
          json.attributeArray("launches", [&] {
            for (const KernelLaunch &launch : entry.launches)
              json.object([&] {
                json.attribute("kernel", launch.kernel);
                if (launch.inLoop)
                  json.attribute("in_loop", true);
                if (launch.conditional)
                  json.attribute("conditional", true);
              });
          });
        });
    });
  });
  os << "\n";
  return text;
}
