//===- InitAll.h - register everything rat tools use ------------*- C++ -*-===//
//
// One place that registers the dialects, extensions, passes and pipelines
// that rat-opt and rat-compile share.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_INITALL_H
#define RAT_INITALL_H

namespace mlir {
class DialectRegistry;
namespace rat {

/// Adds the rat dialect, its external interface models, and every upstream
/// dialect and extension the rat pipelines produce.
void registerAllDialects(DialectRegistry &registry);

/// Registers the rat passes, the rat pipelines and the upstream passes.
void registerAllPasses();

} // namespace rat
} // namespace mlir

#endif // RAT_INITALL_H
