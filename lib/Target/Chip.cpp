//===- Chip.cpp - the target description -----------------------*- C++ -*-===//
//
// Numbers from NVIDIA's CUDA C++ Programming Guide (compute capabilities
// table: shared memory per SM and the per-block opt-in maximum) and the
// product data sheets (SM counts of the reference parts).
//
//===----------------------------------------------------------------------===//

#include "rat/Target/Chip.h"

using namespace mlir::rat;

namespace {
constexpr int64_t KiB = 1024;

const ChipInfo kChips[] = {
    {"sm_80", "A100 SXM", 80, 108, 163 * KiB, 164 * KiB, 64 * KiB,
     MmaGeneration::MmaSync, false, "+ptx73"},
    {"sm_86", "A40 / RTX 3090", 86, 84, 99 * KiB, 100 * KiB, 64 * KiB,
     MmaGeneration::MmaSync, false, "+ptx73"},
    {"sm_89", "L40S / RTX 4090", 89, 142, 99 * KiB, 100 * KiB, 64 * KiB,
     MmaGeneration::MmaSync, false, "+ptx78"},
    // Plain sm_90 code runs on every 9.x chip but may not use wgmma.
    {"sm_90", "H100 / H200 SXM", 90, 132, 227 * KiB, 228 * KiB, 64 * KiB,
     MmaGeneration::MmaSync, true, "+ptx80"},
    {"sm_90a", "H100 / H200 SXM", 90, 132, 227 * KiB, 228 * KiB, 64 * KiB,
     MmaGeneration::Wgmma, true, "+ptx80"},
};
} // namespace

llvm::ArrayRef<ChipInfo> mlir::rat::knownChips() { return kChips; }

const ChipInfo *mlir::rat::lookupChip(llvm::StringRef name) {
  for (const ChipInfo &chip : kChips)
    if (chip.name == name)
      return &chip;
  return nullptr;
}

std::string mlir::rat::knownChipNames() {
  std::string names;
  for (const ChipInfo &chip : kChips)
    names += (names.empty() ? "" : ", ") + chip.name.str();
  return names;
}

llvm::StringRef mlir::rat::defaultChip() { return "sm_90a"; }
