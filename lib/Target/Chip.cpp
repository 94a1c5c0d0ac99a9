//===- Chip.cpp - the target description -----------------------*- C++ -*-===//
//
// Numbers from NVIDIA's CUDA C++ Programming Guide (compute capabilities
// table: shared memory per SM and the per-block opt-in maximum) and the
// product data sheets (SM counts of the reference parts).
//
//===----------------------------------------------------------------------===//

#include "rat/Target/Chip.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

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

bool mlir::rat::isArchSpecific(const ChipInfo &chip) {
  return chip.name.ends_with("a");
}

bool mlir::rat::isLowerChip(const ChipInfo &a, const ChipInfo &b) {
  if (a.computeCapability != b.computeCapability)
    return a.computeCapability < b.computeCapability;
  return !isArchSpecific(a) && isArchSpecific(b);
}

llvm::SmallVector<const ChipInfo *, 2>
mlir::rat::parseChipList(llvm::StringRef list, std::string &error) {
  llvm::SmallVector<const ChipInfo *, 2> chips;
  llvm::SmallVector<llvm::StringRef> names;
  list.split(names, ',');
  for (llvm::StringRef name : names) {
    name = name.trim();
    if (name.empty()) {
      error = "'" + list.str() + "' has an empty chip name";
      return {};
    }
    const ChipInfo *chip = lookupChip(name);
    if (!chip) {
      error = "'" + name.str() + "' is not a chip this compiler knows " +
              "(supported: " + knownChipNames() + ")";
      return {};
    }
    if (llvm::is_contained(chips, chip)) {
      error = "'" + name.str() + "' is listed twice";
      return {};
    }
    chips.push_back(chip);
  }
  std::stable_sort(chips.begin(), chips.end(),
                   [](const ChipInfo *a, const ChipInfo *b) {
                     return isLowerChip(*a, *b);
                   });
  return chips;
}

ChipInfo mlir::rat::commonChipInfo(llvm::ArrayRef<const ChipInfo *> chips,
                                   llvm::StringRef name) {
  ChipInfo common = *chips.front();
  common.name = name;
  for (const ChipInfo *chip : chips.drop_front()) {
    common.computeCapability =
        std::min(common.computeCapability, chip->computeCapability);
    common.smCount = std::max(common.smCount, chip->smCount);
    common.sharedMemoryPerBlock =
        std::min(common.sharedMemoryPerBlock, chip->sharedMemoryPerBlock);
    common.sharedMemoryPerSM =
        std::min(common.sharedMemoryPerSM, chip->sharedMemoryPerSM);
    common.registersPerSM =
        std::min(common.registersPerSM, chip->registersPerSM);
    if (chip->mma != MmaGeneration::Wgmma)
      common.mma = MmaGeneration::MmaSync;
    common.hasTma = common.hasTma && chip->hasTma;
  }
  return common;
}
