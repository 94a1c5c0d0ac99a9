//===- CachingAllocator.h - Device blocks reused by size --------*- C++ -*-===//
//
// The device allocator behind _mlir_memref_to_llvm_alloc/free, mgpuMemAlloc/
// mgpuMemFree and the generic main's tensors on the cuda target.
//
// Compiled models allocate and free the same buffer sizes on every call, and
// cuMemAlloc/cuMemFree are slow: cuMemFree synchronises the device and is
// illegal while a stream is being captured into a CUDA graph. Freed blocks
// therefore go to per-size free lists and are handed out again for the same
// size; memory goes back to the driver only on trim() (after an allocation
// failed, or at the end of the run) and releaseAll() (at exit).
//
// Reuse without synchronisation is safe because every device operation that
// touches these blocks is ordered on one stream (the runtime's stream
// override): a block freed by host code while a kernel still reads it is
// reused only by work enqueued after that kernel.
//
// Capture: between beginCapture() and endCapture() the blocks freed are the
// temporaries of the captured work. The graph reads and writes them on every
// replay, so they must not be handed out to anything else while the graph
// exists: endCapture() returns them as the graph's reserved blocks, and
// releaseReserved() puts them back on the free lists when the graph is
// destroyed. Blocks allocated during the capture and not freed (the captured
// call's results) stay live; their owner keeps them as long as the graph.
//
// Plain bookkeeping over a BlockSource, so that unit tests can drive it with
// a fake source; thread-safe.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_CACHINGALLOCATOR_H
#define RAT_LIB_RUNTIME_CACHINGALLOCATOR_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rat {

/// Where the allocator gets blocks from and returns them to.
class BlockSource {
public:
  virtual ~BlockSource() = default;
  /// Returns a fresh block of `bytes`, or nullptr (out of memory or another
  /// failure the source remembers for its error message).
  virtual void *allocateBlock(size_t bytes) = 0;
  /// Returns a block to the system. Must not throw; failures are ignored
  /// (the driver may already be gone at exit).
  virtual void releaseBlock(void *block, size_t bytes) = 0;
  /// Called before cached blocks are returned to make room after a failed
  /// allocation: wait until no pending work can use them. Returns false if
  /// blocks must not be returned now (during a capture, or the wait failed).
  virtual bool prepareToRelease() = 0;
};

/// Byte counts for -v and tests. `total` is everything obtained from the
/// source and not returned: live + cached + reserved.
struct AllocatorStats {
  size_t liveBytes = 0;
  size_t cachedBytes = 0;
  size_t reservedBytes = 0;
  size_t totalBytes = 0;
  size_t peakLiveBytes = 0;
  size_t peakTotalBytes = 0;
  /// Blocks obtained from the source, and allocations served from the cache.
  uint64_t sourceAllocations = 0;
  uint64_t reuses = 0;
};

/// One allocation made during a capture, in order.
struct CapturedAllocation {
  uintptr_t address = 0;
  size_t bytes = 0;
};

class CachingAllocator {
public:
  explicit CachingAllocator(BlockSource &source) : source(source) {}
  CachingAllocator(const CachingAllocator &) = delete;
  CachingAllocator &operator=(const CachingAllocator &) = delete;

  /// The size actually reserved for a request of `bytes`: 256-byte multiples
  /// up to 1 MiB, above that multiples of 1/16 of the power of two below
  /// (at most 6.25% more than asked). 0 bytes gets the smallest block.
  static size_t bucketSize(size_t bytes);

  /// A block of at least `bytes`: a cached block of the same bucket, else a
  /// fresh one from the source; if the source fails, the cache is trimmed
  /// (when the source allows) and the allocation retried. nullptr if that
  /// fails too.
  void *allocate(size_t bytes);

  /// Returns `block` to the cache. False (and nothing done) if it is not a
  /// live block of this allocator.
  bool deallocate(void *block);

  /// Whether `block` is a live block of this allocator.
  bool owns(const void *block) const;

  /// Returns every cached block to the source (after prepareToRelease()).
  /// Returns false if the source did not allow it.
  bool trim();

  /// At exit: returns every block, live, cached or reserved, to the source
  /// without waiting for anything. Skipped if another thread holds the lock.
  void releaseAll();

  /// Starts recording a capture (see the file comment). Captures do not
  /// nest.
  void beginCapture();
  /// Ends it: the allocations it made (in order) and the blocks it freed,
  /// now reserved for the captured graph.
  void endCapture(std::vector<CapturedAllocation> &allocations,
                  std::vector<void *> &reserved);
  bool isCapturing() const;
  /// Puts reserved blocks back on the free lists.
  void releaseReserved(const std::vector<void *> &reserved);

  AllocatorStats stats() const;

private:
  void *takeCached(std::map<size_t, std::vector<void *>> &lists, size_t size);
  void trimLocked();
  void updatePeaks();

  BlockSource &source;
  mutable std::mutex mutex;
  /// Live blocks and their bucket sizes.
  std::unordered_map<void *, size_t> live;
  /// Free blocks by bucket size (LIFO).
  std::map<size_t, std::vector<void *>> freeLists;
  /// Blocks held by captured graphs, and their sizes.
  std::unordered_map<void *, size_t> reservedBlocks;

  bool capturing = false;
  std::vector<CapturedAllocation> captureAllocations;
  /// Blocks freed during the current capture: reused within it, reserved
  /// for its graph at the end.
  std::map<size_t, std::vector<void *>> captureFree;

  AllocatorStats counters;
};

} // namespace rat

#endif // RAT_LIB_RUNTIME_CACHINGALLOCATOR_H
