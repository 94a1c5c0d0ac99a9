//===- CachingAllocator.cpp - Device blocks reused by size ----------------===//

#include "CachingAllocator.h"

#include <algorithm>
#include <limits>

using namespace rat;

size_t CachingAllocator::bucketSize(size_t bytes) {
  constexpr size_t small = 256;
  constexpr size_t smallLimit = size_t(1) << 20;
  if (bytes <= small)
    return small;
  if (bytes <= smallLimit)
    return (bytes + small - 1) / small * small;
  size_t power = smallLimit;
  while (power <= bytes / 2)
    power *= 2;
  size_t granule = power / 16;
  if (bytes > std::numeric_limits<size_t>::max() - granule)
    return bytes; // absurd request: let the source fail on it
  return (bytes + granule - 1) / granule * granule;
}

void *CachingAllocator::takeCached(std::map<size_t, std::vector<void *>> &lists,
                                   size_t size) {
  auto it = lists.find(size);
  if (it == lists.end() || it->second.empty())
    return nullptr;
  void *block = it->second.back();
  it->second.pop_back();
  if (it->second.empty())
    lists.erase(it);
  return block;
}

void CachingAllocator::updatePeaks() {
  counters.totalBytes =
      counters.liveBytes + counters.cachedBytes + counters.reservedBytes;
  counters.peakLiveBytes = std::max(counters.peakLiveBytes, counters.liveBytes);
  counters.peakTotalBytes =
      std::max(counters.peakTotalBytes, counters.totalBytes);
}

void *CachingAllocator::allocate(size_t bytes) {
  size_t size = bucketSize(bytes);
  std::lock_guard<std::mutex> lock(mutex);
  void *block = nullptr;
  if (capturing) {
    // A temporary freed earlier in the same capture: the graph orders the
    // two uses, like the stream does outside captures.
    block = takeCached(captureFree, size);
    if (block)
      counters.reservedBytes -= size;
  }
  if (!block) {
    block = takeCached(freeLists, size);
    if (block)
      counters.cachedBytes -= size;
  }
  if (block) {
    ++counters.reuses;
  } else {
    block = source.allocateBlock(size);
    if (!block && !capturing && counters.cachedBytes > 0 &&
        source.prepareToRelease()) {
      trimLocked();
      block = source.allocateBlock(size);
    }
    if (!block)
      return nullptr;
    ++counters.sourceAllocations;
  }
  live.emplace(block, size);
  counters.liveBytes += size;
  if (capturing)
    captureAllocations.push_back({reinterpret_cast<uintptr_t>(block), size});
  updatePeaks();
  return block;
}

bool CachingAllocator::deallocate(void *block) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = live.find(block);
  if (it == live.end())
    return false;
  size_t size = it->second;
  live.erase(it);
  counters.liveBytes -= size;
  if (capturing) {
    // The graph may use it at any point of a replay: keep it for the graph.
    captureFree[size].push_back(block);
    counters.reservedBytes += size;
  } else {
    freeLists[size].push_back(block);
    counters.cachedBytes += size;
  }
  updatePeaks();
  return true;
}

bool CachingAllocator::owns(const void *block) const {
  std::lock_guard<std::mutex> lock(mutex);
  return live.count(const_cast<void *>(block)) != 0;
}

void CachingAllocator::trimLocked() {
  for (auto &[size, blocks] : freeLists)
    for (void *block : blocks)
      source.releaseBlock(block, size);
  freeLists.clear();
  counters.cachedBytes = 0;
  updatePeaks();
}

bool CachingAllocator::trim() {
  std::lock_guard<std::mutex> lock(mutex);
  if (capturing || freeLists.empty())
    return !capturing;
  if (!source.prepareToRelease())
    return false;
  trimLocked();
  return true;
}

void CachingAllocator::releaseAll() {
  std::unique_lock<std::mutex> lock(mutex, std::try_to_lock);
  if (!lock.owns_lock())
    return;
  trimLocked();
  for (auto &[block, size] : live)
    source.releaseBlock(block, size);
  for (auto &[block, size] : reservedBlocks)
    source.releaseBlock(block, size);
  for (auto &[size, blocks] : captureFree)
    for (void *block : blocks)
      source.releaseBlock(block, size);
  live.clear();
  reservedBlocks.clear();
  captureFree.clear();
  counters.liveBytes = counters.reservedBytes = 0;
  updatePeaks();
}

void CachingAllocator::beginCapture() {
  std::lock_guard<std::mutex> lock(mutex);
  capturing = true;
  captureAllocations.clear();
  captureFree.clear();
}

void CachingAllocator::endCapture(std::vector<CapturedAllocation> &allocations,
                                  std::vector<void *> &reserved) {
  std::lock_guard<std::mutex> lock(mutex);
  capturing = false;
  allocations = std::move(captureAllocations);
  captureAllocations.clear();
  reserved.clear();
  for (auto &[size, blocks] : captureFree)
    for (void *block : blocks) {
      reserved.push_back(block);
      reservedBlocks.emplace(block, size);
    }
  captureFree.clear();
}

bool CachingAllocator::isCapturing() const {
  std::lock_guard<std::mutex> lock(mutex);
  return capturing;
}

void CachingAllocator::releaseReserved(const std::vector<void *> &reserved) {
  std::lock_guard<std::mutex> lock(mutex);
  for (void *block : reserved) {
    auto it = reservedBlocks.find(block);
    if (it == reservedBlocks.end())
      continue;
    size_t size = it->second;
    reservedBlocks.erase(it);
    counters.reservedBytes -= size;
    freeLists[size].push_back(block);
    counters.cachedBytes += size;
  }
  updatePeaks();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex);
  return counters;
}
