//===- ExternDynamicShared.cpp - extern dynamic shared memory -*- C++ -*-===//
//
// Implements -rat-extern-dynamic-shared (see Passes.td for why).
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATEXTERNDYNAMICSHARED
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
constexpr uint64_t kDynamicSharedAlignment = 1024;
/// What LLVM assumes of a global array wider than 16 bytes without an
/// explicit alignment (DataLayout::getPreferredAlign).
constexpr uint64_t kStaticSharedAlignment = 16;

struct RatExternDynamicSharedPass
    : rat::impl::RatExternDynamicSharedBase<RatExternDynamicSharedPass> {
  void runOnOperation() override {
    for (auto global : getOperation().getOps<LLVM::GlobalOp>()) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() != NVVM::NVVMMemorySpace::Shared || !array ||
          global.getLinkage() == LLVM::Linkage::External)
        continue;
      // A static workgroup buffer without an alignment: LLVM's optimizers
      // take it as 16-byte aligned and may widen its accesses to 16-byte
      // vectors, but NVPTX declares it with its element's alignment, so
      // ptxas may place it where those accesses fault. Make it explicit.
      if (array.getNumElements() != 0) {
        if (!global.getAlignment())
          global.setAlignment(kStaticSharedAlignment);
        continue;
      }
      global.setLinkage(LLVM::Linkage::External);
      global.setDsoLocal(false);
      global.setAlignment(kDynamicSharedAlignment);
    }
  }
};
} // namespace
