//===- RuntimeMain.h - The generic main of compiled models ------*- C++ -*-===//
//
// Every executable produced by rat-compile has the same main: it reads the
// embedded manifest and drives the compiled entry points from the command
// line (docs/Runtime.md). RatRuntimeMain's main() forwards the __rat_* symbols
// here; other hosts (tests, bindings) can call it with their own tables.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_RUNTIMEMAIN_H
#define RAT_RUNTIME_RUNTIMEMAIN_H

#include "rat/Runtime/Abi.h"

#include <cstdint>

namespace rat {

/// Runs a compiled model as a command-line program. Returns the process exit
/// status: 0 on success, 1 after printing `error: ...` to stderr.
int runtimeMain(int argc, char **argv, const char *manifestText,
                const RatEntry *entries, int64_t numEntries);

} // namespace rat

#endif // RAT_RUNTIME_RUNTIMEMAIN_H
