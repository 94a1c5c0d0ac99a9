//===- LaunchToLoops.cpp - gpu.launch bodies as host loops ----*- C++ -*-===//
//
// Implements -rat-launch-to-loops: GPU emulation on the host for tests.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATLAUNCHTOLOOPS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
struct RatLaunchToLoopsPass
    : rat::impl::RatLaunchToLoopsBase<RatLaunchToLoopsPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
  }

  LogicalResult emulate(gpu::LaunchOp launch) {
    Region &body = launch.getBody();
    if (!body.hasOneBlock())
      return launch.emitError("rat-launch-to-loops: the launch body must be "
                              "a single block");
    WalkResult sync = launch.walk([](gpu::BarrierOp barrier) {
      barrier.emitError("rat-launch-to-loops: threads that synchronise "
                        "cannot run one after the other");
      return WalkResult::interrupt();
    });
    if (sync.wasInterrupted())
      return failure();

    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 blockIds = launch.getBlockIds();
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    gpu::KernelDim3 gridArgs = launch.getGridSizeOperandValues();
    gpu::KernelDim3 blockArgs = launch.getBlockSizeOperandValues();
    IRMapping map;
    map.map(launch.getGridSize().x, gridArgs.x);
    map.map(launch.getGridSize().y, gridArgs.y);
    map.map(launch.getGridSize().z, gridArgs.z);
    map.map(launch.getBlockSize().x, blockArgs.x);
    map.map(launch.getBlockSize().y, blockArgs.y);
    map.map(launch.getBlockSize().z, blockArgs.z);
    // Blocks outermost, then threads; x fastest within each.
    std::pair<Value, Value> loops[] = {
        {blockIds.z, gridArgs.z},   {blockIds.y, gridArgs.y},
        {blockIds.x, gridArgs.x},   {threadIds.z, blockArgs.z},
        {threadIds.y, blockArgs.y}, {threadIds.x, blockArgs.x}};
    for (auto [id, count] : loops) {
      auto loop = scf::ForOp::create(b, loc, zero, count, one);
      map.map(id, loop.getInductionVar());
      b.setInsertionPointToStart(loop.getBody());
    }
    // One thread's stack buffers live for that thread only.
    auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
    Block *scopeBody = &scope.getBodyRegion().emplaceBlock();
    b.setInsertionPointToStart(scopeBody);
    for (Operation &op : body.front().without_terminator())
      b.clone(op, map);
    memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
    launch.erase();
    return success();
  }
};
} // namespace
