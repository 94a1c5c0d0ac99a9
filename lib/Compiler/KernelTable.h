//===- KernelTable.h - The kernel table of --emit cubin/fatbin --*- C++ -*-===//
//
// What a program that loads rat-compile's device code with its own host code
// needs to know: each kernel's parameters in order with their types, its
// block size and dynamic shared memory, and for each entry the kernels it
// launches in order. Collected in two steps, because the host code loses
// its structure as it is lowered: the launches at the kernel level, the
// parameters the kernels take once gpu-to-llvm has expanded the memrefs.
// The format is described in docs/Driver.md.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_COMPILER_KERNELTABLE_H
#define RAT_LIB_COMPILER_KERNELTABLE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace mlir::rat {

/// One kernel parameter as the kernel takes it (what cuLaunchKernel's
/// kernelParams point to, in order).
struct KernelParam {
  /// `ptr`, `i64`, `i32`, `f32`, ...
  std::string type;
  int64_t bytes = 0;
  /// The kernel argument it comes from and which part of it (`allocated`,
  /// `aligned`, `offset`, `size0`, `stride0`, ... for a memref; empty for a
  /// scalar).
  int64_t arg = -1;
  std::string field;
};

/// One kernel of the device code.
struct KernelInfo {
  std::string name;
  /// The kernel's arguments at the kernel level (`memref<2x64x256xf32>`,
  /// `index`, ...).
  std::vector<std::string> args;
  /// The parameters each argument becomes (argumentFields).
  std::vector<std::vector<std::string>> argFields;
  std::vector<KernelParam> params;
  /// Threads per block and dynamic shared memory in bytes: unset when the
  /// launches compute them at run time or disagree.
  std::optional<std::array<int64_t, 3>> block;
  std::optional<int64_t> dynamicSharedMemory;
};

/// One launch of an entry, in the order of the host code.
struct KernelLaunch {
  std::string kernel;
  /// The launch is inside a loop (it runs once per iteration) or a branch
  /// (it may not run) of the host code.
  bool inLoop = false;
  bool conditional = false;
};

struct EntryLaunches {
  std::string name;
  std::vector<KernelLaunch> launches;
};

struct KernelTable {
  std::vector<KernelInfo> kernels;
  std::vector<EntryLaunches> entries;
};

/// Collects the kernels, their arguments, block sizes and shared memory, and
/// each entry's launches, from a module at the kernel level (host code with
/// gpu.launch_func, kernels in gpu.module).
KernelTable collectKernelLaunches(ModuleOp module);

/// Adds each kernel's parameters from the module after rat-kernels-to-nvvm
/// (gpu.launch_func with LLVM operands). Fails naming a kernel whose
/// launches disagree.
LogicalResult addKernelParams(KernelTable &table, ModuleOp module);

/// The table as JSON: `format` (cubin or fatbin), the binary's file name,
/// the chips with a cubin and the chip of the PTX (empty: none).
std::string printKernelTable(const KernelTable &table, llvm::StringRef format,
                             llvm::StringRef binaryFile,
                             llvm::ArrayRef<std::string> cubinChips,
                             llvm::StringRef ptxChip);

} // namespace mlir::rat

#endif // RAT_LIB_COMPILER_KERNELTABLE_H
