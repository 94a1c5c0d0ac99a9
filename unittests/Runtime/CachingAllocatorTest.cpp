//===- CachingAllocatorTest.cpp - Bookkeeping of the device allocator -----===//
//
// The caching allocator of the CUDA runtime over a fake block source: reuse
// by size, trimming, out-of-memory recovery and the blocks reserved for
// captured graphs. No GPU needed.
//
//===----------------------------------------------------------------------===//

#include "CachingAllocator.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <vector>

using rat::CachingAllocator;
using rat::CapturedAllocation;

namespace {

/// Hands out malloc'ed blocks up to a byte limit and records everything.
class FakeSource final : public rat::BlockSource {
public:
  ~FakeSource() override {
    for (void *block : live)
      std::free(block);
  }
  void *allocateBlock(size_t bytes) override {
    ++allocations;
    if (used + bytes > limit)
      return nullptr;
    void *block = std::malloc(bytes);
    live.insert(block);
    used += bytes;
    sizes.push_back(bytes);
    return block;
  }
  void releaseBlock(void *block, size_t bytes) override {
    EXPECT_EQ(live.count(block), 1u) << "released twice or unknown";
    live.erase(block);
    std::free(block);
    used -= bytes;
    ++releases;
  }
  bool prepareToRelease() override {
    ++prepares;
    return allowRelease;
  }

  size_t limit = size_t(1) << 40;
  size_t used = 0;
  bool allowRelease = true;
  int allocations = 0, releases = 0, prepares = 0;
  std::set<void *> live;
  std::vector<size_t> sizes;
};

TEST(CachingAllocator, BucketSizes) {
  EXPECT_EQ(CachingAllocator::bucketSize(0), 256u);
  EXPECT_EQ(CachingAllocator::bucketSize(1), 256u);
  EXPECT_EQ(CachingAllocator::bucketSize(256), 256u);
  EXPECT_EQ(CachingAllocator::bucketSize(257), 512u);
  EXPECT_EQ(CachingAllocator::bucketSize(1000), 1024u);
  EXPECT_EQ(CachingAllocator::bucketSize(1 << 20), size_t(1) << 20);
  // Above 1 MiB: sixteenths of the power of two below.
  EXPECT_EQ(CachingAllocator::bucketSize((1 << 20) + 1),
            (size_t(1) << 20) + (64 << 10));
  EXPECT_EQ(CachingAllocator::bucketSize(3 << 20), size_t(3) << 20);
  EXPECT_EQ(CachingAllocator::bucketSize((3 << 20) + 1),
            (size_t(3) << 20) + (128 << 10));
  for (size_t bytes : {size_t(5000), size_t(123456789), size_t(1) << 33})
    EXPECT_LE(CachingAllocator::bucketSize(bytes), bytes + bytes / 16 + 256)
        << bytes;
}

TEST(CachingAllocator, ReusesFreedBlocksOfTheSameBucket) {
  FakeSource source;
  CachingAllocator allocator(source);
  void *a = allocator.allocate(1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(source.sizes.back(), 1024u);
  EXPECT_TRUE(allocator.owns(a));
  EXPECT_TRUE(allocator.deallocate(a));
  EXPECT_FALSE(allocator.owns(a));
  // Same bucket (1024): the cached block, no new source allocation.
  void *b = allocator.allocate(1010);
  EXPECT_EQ(b, a);
  EXPECT_EQ(source.allocations, 1);
  // Another bucket never takes it.
  EXPECT_TRUE(allocator.deallocate(b));
  void *c = allocator.allocate(2000);
  EXPECT_NE(c, a);
  EXPECT_EQ(source.allocations, 2);
  rat::AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.reuses, 1u);
  EXPECT_EQ(stats.sourceAllocations, 2u);
  EXPECT_EQ(stats.liveBytes, 2048u);
  EXPECT_EQ(stats.cachedBytes, 1024u);
  EXPECT_EQ(stats.totalBytes, 3072u);
  EXPECT_EQ(stats.peakLiveBytes, 2048u);
  // No cuMemFree on the way: nothing went back to the source.
  EXPECT_EQ(source.releases, 0);
}

TEST(CachingAllocator, RepeatedCallsStayAtTheLivePeak) {
  // An entry called step after step with the same shapes: the memory from
  // the source is the peak of one call, not the sum over calls.
  FakeSource source;
  CachingAllocator allocator(source);
  for (int step = 0; step < 50; ++step) {
    void *tmp1 = allocator.allocate(4096);
    void *tmp2 = allocator.allocate(100000);
    void *result = allocator.allocate(512);
    allocator.deallocate(tmp1);
    void *tmp3 = allocator.allocate(4000); // reuses tmp1's block
    allocator.deallocate(tmp2);
    allocator.deallocate(tmp3);
    allocator.deallocate(result);
  }
  EXPECT_EQ(source.allocations, 3);
  rat::AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.peakTotalBytes, stats.peakLiveBytes);
}

TEST(CachingAllocator, RejectsUnknownAndDoubleFrees) {
  FakeSource source;
  CachingAllocator allocator(source);
  int local = 0;
  EXPECT_FALSE(allocator.deallocate(&local));
  void *a = allocator.allocate(10);
  EXPECT_TRUE(allocator.deallocate(a));
  EXPECT_FALSE(allocator.deallocate(a));
  EXPECT_EQ(allocator.stats().cachedBytes, 256u);
}

TEST(CachingAllocator, TrimReturnsOnlyCachedBlocks) {
  FakeSource source;
  CachingAllocator allocator(source);
  void *kept = allocator.allocate(300);
  void *freed = allocator.allocate(5000);
  allocator.deallocate(freed);
  source.allowRelease = false;
  EXPECT_FALSE(allocator.trim());
  EXPECT_EQ(source.releases, 0);
  source.allowRelease = true;
  EXPECT_TRUE(allocator.trim());
  EXPECT_EQ(source.prepares, 2);
  EXPECT_EQ(source.releases, 1);
  EXPECT_EQ(source.live.count(kept), 1u);
  EXPECT_EQ(allocator.stats().cachedBytes, 0u);
  allocator.deallocate(kept);
  allocator.releaseAll();
  EXPECT_TRUE(source.live.empty());
}

TEST(CachingAllocator, OutOfMemoryTrimsTheCacheAndRetries) {
  FakeSource source;
  source.limit = 8192;
  CachingAllocator allocator(source);
  void *a = allocator.allocate(4096);
  void *b = allocator.allocate(4096);
  ASSERT_NE(b, nullptr);
  allocator.deallocate(a);
  allocator.deallocate(b);
  // 6000 bytes fit only once the two cached 4 KiB blocks are returned.
  void *c = allocator.allocate(6000);
  EXPECT_NE(c, nullptr);
  EXPECT_EQ(source.prepares, 1);
  EXPECT_EQ(source.releases, 2);
  // Still too large: nullptr, nothing leaked.
  EXPECT_EQ(allocator.allocate(100000), nullptr);
  allocator.deallocate(c);
  allocator.releaseAll();
  EXPECT_TRUE(source.live.empty());
}

TEST(CachingAllocator, CaptureReservesTheTemporariesOfTheGraph) {
  FakeSource source;
  CachingAllocator allocator(source);
  void *before = allocator.allocate(64);
  void *warm = allocator.allocate(100);
  allocator.deallocate(warm); // cached, as after an eager warm-up step

  allocator.beginCapture();
  EXPECT_TRUE(allocator.isCapturing());
  void *tmp = allocator.allocate(100);
  EXPECT_EQ(tmp, warm); // the warm-up's block
  allocator.deallocate(tmp);
  // Within the capture a temporary is reused (the graph orders the uses).
  void *tmp2 = allocator.allocate(100);
  EXPECT_EQ(tmp2, tmp);
  allocator.deallocate(tmp2);
  void *result = allocator.allocate(3000);
  allocator.deallocate(before); // a block of before the capture, freed in it
  std::vector<CapturedAllocation> allocations;
  std::vector<void *> reserved;
  allocator.endCapture(allocations, reserved);
  EXPECT_FALSE(allocator.isCapturing());

  ASSERT_EQ(allocations.size(), 3u);
  EXPECT_EQ(allocations[0].address, reinterpret_cast<uintptr_t>(tmp));
  EXPECT_EQ(allocations[0].bytes, 256u);
  EXPECT_EQ(allocations[2].address, reinterpret_cast<uintptr_t>(result));
  EXPECT_EQ(allocations[2].bytes, 3072u);
  std::sort(reserved.begin(), reserved.end());
  std::vector<void *> expected = {tmp, before};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(reserved, expected);
  EXPECT_EQ(allocator.stats().reservedBytes, 512u);

  // While the graph lives, its temporaries go to nobody else.
  void *other = allocator.allocate(100);
  EXPECT_NE(other, tmp);
  EXPECT_NE(other, before);
  EXPECT_TRUE(allocator.owns(result));
  allocator.deallocate(other);
  // Destroying the graph gives them back.
  allocator.releaseReserved(reserved);
  EXPECT_EQ(allocator.stats().reservedBytes, 0u);
  void *again = allocator.allocate(100);
  EXPECT_TRUE(again == tmp || again == before || again == other);
  allocator.deallocate(again);
  allocator.deallocate(result);
  allocator.releaseAll();
  EXPECT_TRUE(source.live.empty());
}

TEST(CachingAllocator, NeverTrimsDuringACapture) {
  FakeSource source;
  source.limit = 4096;
  CachingAllocator allocator(source);
  void *a = allocator.allocate(4096);
  allocator.deallocate(a);
  allocator.beginCapture();
  // A different bucket would need the cached block returned: not now.
  EXPECT_EQ(allocator.allocate(2000), nullptr);
  EXPECT_FALSE(allocator.trim());
  EXPECT_EQ(source.prepares, 0);
  EXPECT_EQ(source.releases, 0);
  std::vector<CapturedAllocation> allocations;
  std::vector<void *> reserved;
  allocator.endCapture(allocations, reserved);
  EXPECT_TRUE(allocations.empty());
  EXPECT_TRUE(reserved.empty());
}

TEST(CachingAllocator, ReleaseAllReturnsLiveCachedAndReservedBlocks) {
  FakeSource source;
  CachingAllocator allocator(source);
  allocator.allocate(10);                          // live, never freed
  allocator.deallocate(allocator.allocate(20000)); // cached
  allocator.beginCapture();
  allocator.deallocate(allocator.allocate(700)); // reserved
  std::vector<CapturedAllocation> allocations;
  std::vector<void *> reserved;
  allocator.endCapture(allocations, reserved);
  EXPECT_EQ(source.live.size(), 3u);
  allocator.releaseAll();
  EXPECT_TRUE(source.live.empty());
  EXPECT_EQ(source.prepares, 0); // at exit nothing is waited for
  rat::AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.totalBytes, 0u);
}

} // namespace
