//===- InPlaceState.cpp - in-place decode state -------------*- C++ -*-===//
//
// Implements -rat-inplace-state.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "llvm/ADT/BitVector.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATINPLACESTATE
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

static StringRef stringAttr(DictionaryAttr attrs, StringRef name) {
  if (attrs)
    if (auto s = attrs.getAs<StringAttr>(name))
      return s.getValue();
  return "";
}

namespace {
struct RatInPlaceStatePass
    : rat::impl::RatInPlaceStateBase<RatInPlaceStatePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
      llvm::BitVector drop(func.getNumResults());
      for (auto [i, operand] : llvm::enumerate(ret.getOperands())) {
        auto arg = dyn_cast<BlockArgument>(operand);
        if (!arg || arg.getOwner() != &func.getBody().front())
          continue;
        DictionaryAttr resAttrs = func.getResultAttrDict(i);
        DictionaryAttr argAttrs = func.getArgAttrDict(arg.getArgNumber());
        if (stringAttr(resAttrs, "rat.role") != "state" ||
            stringAttr(argAttrs, "rat.role") != "state" ||
            stringAttr(resAttrs, "rat.name") !=
                stringAttr(argAttrs, "rat.name"))
          continue;
        drop.set(i);
        func.setArgAttr(arg.getArgNumber(), "rat.role",
                        StringAttr::get(&getContext(), "state_inout"));
      }
      if (drop.none())
        continue;
      SmallVector<Value> kept;
      for (auto [i, operand] : llvm::enumerate(ret.getOperands()))
        if (!drop.test(i))
          kept.push_back(operand);
      ret->setOperands(kept);
      if (failed(func.eraseResults(drop)))
        return signalPassFailure();
    }
  }
};
} // namespace
