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

struct RatExternDynamicSharedPass
    : rat::impl::RatExternDynamicSharedBase<RatExternDynamicSharedPass> {
  void runOnOperation() override {
    for (auto global : getOperation().getOps<LLVM::GlobalOp>()) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() != NVVM::NVVMMemorySpace::Shared || !array ||
          array.getNumElements() != 0 || global.getLinkage() ==
                                             LLVM::Linkage::External)
        continue;
      global.setLinkage(LLVM::Linkage::External);
      global.setDsoLocal(false);
      global.setAlignment(kDynamicSharedAlignment);
    }
  }
};
} // namespace
