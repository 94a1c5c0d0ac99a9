//===- RuntimeInterface.h - The manifest and entry table --------*- C++ -*-===//
//
// The compiler's half of the contract with lib/Runtime (docs/Runtime.md):
// the manifest written from the entries' rat.* attributes and the entry
// table added to the translated LLVM module.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_COMPILER_RUNTIMEINTERFACE_H
#define RAT_LIB_COMPILER_RUNTIMEINTERFACE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::rat {

/// Drops the rat.* argument and result attributes of the entries, once the
/// manifest has been built from them (LLVM translation rejects them).
void stripRatAttributes(ModuleOp module);

/// Adds `void _rat_packed_<name>(void **args)` for each entry (pointers are
/// passed through, scalars are loaded from args[i]), the table
/// `__rat_entries`/`__rat_num_entries` and the manifest string.
LogicalResult addRuntimeInterface(llvm::Module &m,
                                  llvm::ArrayRef<std::string> entries,
                                  llvm::StringRef manifest,
                                  llvm::raw_ostream &errs);

} // namespace mlir::rat

#endif // RAT_LIB_COMPILER_RUNTIMEINTERFACE_H
