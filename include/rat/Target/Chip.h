//===- Chip.h - what the compiler knows about each GPU ---------*- C++ -*-===//
//
// The target description: one entry per chip the compiler compiles for,
// read by the kernel-selection pass and the pipelines, and the chip lists
// of multi-chip binaries (--chip sm_80,sm_90a). No pass writes an SM
// count, a shared-memory size or an MMA generation of its own.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_TARGET_CHIP_H
#define RAT_TARGET_CHIP_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::rat {

/// The tensor-core instructions a chip offers for 16-bit matrix products.
enum class MmaGeneration {
  /// Warp-level mma.sync (sm_80 and later).
  MmaSync,
  /// Warpgroup-level asynchronous wgmma.mma_async from shared memory
  /// (sm_90a only: the architecture-specific target of Hopper).
  Wgmma,
};

/// Facts about one chip. SM counts are those of the reference part of the
/// architecture (the kernels' grid heuristics use them; a part with fewer
/// SMs still runs every kernel correctly).
struct ChipInfo {
  /// The name `--chip` takes and NVVM's target uses (e.g. "sm_90a").
  llvm::StringRef name;
  /// The reference part, for messages and docs.
  llvm::StringRef part;
  /// Compute capability, major * 10 + minor.
  int computeCapability;
  int smCount;
  /// Shared memory one block may use (the opt-in maximum) and per SM, bytes.
  int64_t sharedMemoryPerBlock;
  int64_t sharedMemoryPerSM;
  /// 32-bit registers per SM.
  int64_t registersPerSM;
  MmaGeneration mma;
  /// The tensor memory accelerator (cp.async.bulk.tensor; sm_90 and later).
  bool hasTma;
  /// The lowest PTX ISA version with all the instructions the kernels use on
  /// this chip (and the chip itself), as an NVVM feature string: 7.3 for
  /// the kernels' dynamically sized thread buffers (alloca), 7.8 for sm_89,
  /// 8.0 for sm_90a's wgmma.
  llvm::StringRef ptxFeatures;
};

/// Every chip the compiler supports, oldest first.
llvm::ArrayRef<ChipInfo> knownChips();

/// The entry for `name`, or null.
const ChipInfo *lookupChip(llvm::StringRef name);

/// "sm_80, sm_86, ..." for error messages.
std::string knownChipNames();

/// The chip compiled for when none is given.
llvm::StringRef defaultChip();

/// Whether `chip` is an architecture-specific target (`sm_90a`): its code,
/// PTX included, runs only on chips of exactly its compute capability.
bool isArchSpecific(const ChipInfo &chip);

/// The order of chip lists, lowest first: by compute capability, an
/// architecture-specific chip after the plain chip of its capability.
bool isLowerChip(const ChipInfo &a, const ChipInfo &b);

/// Parses the chips of one compilation, a comma-separated list of names
/// (`sm_80,sm_90a`; one name is a list of one). Returns them lowest first
/// (isLowerChip), or an empty list and `error`: an unknown name
/// (the message lists the supported chips), an empty name, or a name given
/// twice.
llvm::SmallVector<const ChipInfo *, 2> parseChipList(llvm::StringRef list,
                                                     std::string &error);

/// What kernel selection plans for when one binary, launched by one host
/// code, must run on every chip of `chips` (non-empty): wgmma only if every
/// chip has it, TMA only if every chip has it, the lowest compute
/// capability, the smallest shared-memory and register limits, and the
/// largest SM count (grid heuristics make enough blocks for the largest
/// chip; a smaller one runs them in more waves). `name` (the list as given)
/// becomes the result's name and must outlive it; part and ptxFeatures are
/// those of the lowest chip.
ChipInfo commonChipInfo(llvm::ArrayRef<const ChipInfo *> chips,
                        llvm::StringRef name);

} // namespace mlir::rat

#endif // RAT_TARGET_CHIP_H
