//===- GraphCapture.cpp - Position parameters of captured decode steps ----===//
//
// See DeviceExecution.h: finds the kernel parameters that hold the decode
// position by comparing two captures of the same step.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/DeviceExecution.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace rat;

namespace {

/// Where a 64-bit value points: into allocation `index` (in capture order) at
/// `offset`, or nowhere captured (index -1, offset = the value itself).
struct Role {
  int64_t index = -1;
  uint64_t offset = 0;
  bool operator==(const Role &other) const {
    return index == other.index && offset == other.offset;
  }
};

class RoleMap {
public:
  explicit RoleMap(const CaptureLog &log) {
    for (size_t i = 0; i < log.allocations.size(); ++i)
      ranges.push_back({log.allocations[i].address, log.allocations[i].bytes,
                        static_cast<int64_t>(i)});
    // A block freed and allocated again within the capture appears twice;
    // ties go to the later allocation, the same way in both captures.
    std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
      return a.begin != b.begin ? a.begin < b.begin : a.index < b.index;
    });
  }
  Role roleOf(uint64_t value) const {
    auto it = std::upper_bound(
        ranges.begin(), ranges.end(), value,
        [](uint64_t v, const Range &range) { return v < range.begin; });
    if (it != ranges.begin()) {
      const Range &range = *std::prev(it);
      if (value - range.begin < range.bytes)
        return {range.index, value - range.begin};
    }
    return {-1, value};
  }

private:
  struct Range {
    uint64_t begin;
    uint64_t bytes;
    int64_t index;
  };
  std::vector<Range> ranges;
};

uint64_t load64(const std::vector<uint8_t> &bytes) {
  uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof(value));
  return value;
}

int32_t load32(const std::vector<uint8_t> &bytes) {
  int32_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof(value));
  return value;
}

std::string describeLaunch(const CapturedLaunch &launch, size_t index) {
  return "kernel '" + (launch.name.empty() ? std::string("?") : launch.name) +
         "' (launch " + std::to_string(index) + ")";
}

bool sameDims(const unsigned (&a)[3], const unsigned (&b)[3]) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

} // namespace

bool rat::findPositionSlots(const CaptureLog &a, int64_t positionA,
                            const CaptureLog &b, int64_t positionB,
                            std::vector<PositionSlot> &slots,
                            std::string &why) {
  slots.clear();
  if (positionA == positionB) {
    why = "both captures used position " + std::to_string(positionA);
    return false;
  }
  if (a.launches.size() != b.launches.size()) {
    why = "the step launches " + std::to_string(a.launches.size()) +
          " kernels at position " + std::to_string(positionA) + " but " +
          std::to_string(b.launches.size()) + " at position " +
          std::to_string(positionB);
    return false;
  }
  if (a.allocations.size() != b.allocations.size()) {
    why = "the step allocates " + std::to_string(a.allocations.size()) +
          " buffers at position " + std::to_string(positionA) + " but " +
          std::to_string(b.allocations.size()) + " at position " +
          std::to_string(positionB);
    return false;
  }
  for (size_t i = 0; i < a.allocations.size(); ++i)
    if (a.allocations[i].bytes != b.allocations[i].bytes) {
      why = "allocation " + std::to_string(i) + " of the step has " +
            std::to_string(a.allocations[i].bytes) + " bytes at position " +
            std::to_string(positionA) + " but " +
            std::to_string(b.allocations[i].bytes) + " at position " +
            std::to_string(positionB);
      return false;
    }
  RoleMap rolesA(a), rolesB(b);
  auto sameWord = [&](uint64_t x, uint64_t y) {
    return rolesA.roleOf(x) == rolesB.roleOf(y);
  };

  if (a.operations.size() != b.operations.size()) {
    why = "the step records a different number of copies and memsets at "
          "the two positions";
    return false;
  }
  for (size_t i = 0; i < a.operations.size(); ++i) {
    const CapturedOperation &x = a.operations[i], &y = b.operations[i];
    bool same = x.kind == y.kind && x.operands.size() == y.operands.size();
    for (size_t j = 0; same && j < x.operands.size(); ++j)
      same = sameWord(x.operands[j], y.operands[j]);
    if (!same) {
      why = "operation " + std::to_string(i) + " (" + x.kind +
            ") depends on the position";
      return false;
    }
  }

  bool fitsI32 = positionA >= std::numeric_limits<int32_t>::min() &&
                 positionA <= std::numeric_limits<int32_t>::max() &&
                 positionB >= std::numeric_limits<int32_t>::min() &&
                 positionB <= std::numeric_limits<int32_t>::max();
  for (size_t i = 0; i < a.launches.size(); ++i) {
    const CapturedLaunch &x = a.launches[i], &y = b.launches[i];
    if (x.function != y.function) {
      why = describeLaunch(x, i) + " is " + describeLaunch(y, i) +
            " at the other position";
      return false;
    }
    if (!sameDims(x.grid, y.grid) || !sameDims(x.block, y.block) ||
        !sameDims(x.cluster, y.cluster) ||
        x.sharedMemBytes != y.sharedMemBytes) {
      why = describeLaunch(x, i) +
            ": the launch configuration depends on the position";
      return false;
    }
    if (x.params.size() != y.params.size()) {
      why = describeLaunch(x, i) + ": different parameter counts";
      return false;
    }
    for (size_t j = 0; j < x.params.size(); ++j) {
      const std::vector<uint8_t> &p = x.params[j], &q = y.params[j];
      if (p.size() != q.size()) {
        why = describeLaunch(x, i) + ": parameter " + std::to_string(j) +
              " changes size";
        return false;
      }
      if (p.size() == 8) {
        uint64_t u = load64(p), v = load64(q);
        if (sameWord(u, v))
          continue;
        if (static_cast<int64_t>(u) == positionA &&
            static_cast<int64_t>(v) == positionB) {
          slots.push_back({i, j, 8});
          continue;
        }
      } else if (p == q) {
        continue;
      } else if (p.size() == 4 && fitsI32 && load32(p) == positionA &&
                 load32(q) == positionB) {
        slots.push_back({i, j, 4});
        continue;
      }
      why = describeLaunch(x, i) + ": parameter " + std::to_string(j) +
            " depends on the position but is not the position itself";
      return false;
    }
  }
  return true;
}

void rat::setPositionSlot(std::vector<std::vector<uint8_t>> &params,
                          const PositionSlot &slot, int64_t value) {
  std::vector<uint8_t> &bytes = params.at(slot.param);
  if (slot.bytes == 4) {
    int32_t narrow = static_cast<int32_t>(value);
    std::memcpy(bytes.data(), &narrow, sizeof(narrow));
  } else {
    std::memcpy(bytes.data(), &value, sizeof(value));
  }
}
