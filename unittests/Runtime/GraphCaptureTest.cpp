//===- GraphCaptureTest.cpp - Position parameters of captured steps ------===//
//
// findPositionSlots compares two captures of a decode step made at different
// positions. No GPU needed: the captures are written by hand.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/DeviceExecution.h"

#include "gtest/gtest.h"

#include <cstring>

using rat::CapturedLaunch;
using rat::CaptureLog;
using rat::PositionSlot;

namespace {

std::vector<uint8_t> word(uint64_t value) {
  std::vector<uint8_t> bytes(8);
  std::memcpy(bytes.data(), &value, 8);
  return bytes;
}

std::vector<uint8_t> half(uint32_t value) {
  std::vector<uint8_t> bytes(4);
  std::memcpy(bytes.data(), &value, 4);
  return bytes;
}

CapturedLaunch kernel(const void *function, const char *name,
                      std::vector<std::vector<uint8_t>> params,
                      unsigned grid = 4) {
  CapturedLaunch launch;
  launch.function = function;
  launch.name = name;
  launch.grid[0] = grid;
  launch.block[0] = 128;
  launch.params = std::move(params);
  return launch;
}

char kernelA, kernelB;                       // two functions
constexpr uint64_t weights = 0x7f0000001000; // allocated before the capture

/// A step at `position` whose temporary lives at `temp` and whose result at
/// `result`: kernel A reads the weights and writes temp with the position
/// (i64) and a constant 8; kernel B reads temp at an offset and writes the
/// result, with the position as i32.
CaptureLog step(int64_t position, uint64_t temp, uint64_t result,
                uint64_t constant = 8) {
  CaptureLog log;
  log.allocations = {{temp, 1024}, {result, 256}};
  log.launches.push_back(
      kernel(&kernelA, "a",
             {word(weights), word(temp), word(static_cast<uint64_t>(position)),
              word(constant), half(0x3f800000)}));
  log.launches.push_back(kernel(
      &kernelB, "b",
      {word(temp + 64), word(result), half(static_cast<uint32_t>(position))}));
  return log;
}

TEST(GraphCapture, FindsThePositionParameters) {
  // The two captures got different blocks for the same buffers.
  CaptureLog first = step(3, 0x7f0000100000, 0x7f0000200000);
  CaptureLog last = step(40, 0x7f0000300000, 0x7f0000100000);
  std::vector<PositionSlot> slots;
  std::string why;
  ASSERT_TRUE(rat::findPositionSlots(first, 3, last, 40, slots, why)) << why;
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].launch, 0u);
  EXPECT_EQ(slots[0].param, 2u);
  EXPECT_EQ(slots[0].bytes, 8u);
  EXPECT_EQ(slots[1].launch, 1u);
  EXPECT_EQ(slots[1].param, 2u);
  EXPECT_EQ(slots[1].bytes, 4u);
}

TEST(GraphCapture, AConstantEqualToThePositionIsNoSlot) {
  // At position 8 the constant 8 equals the position; at 20 it does not
  // move, so it is not the position.
  CaptureLog first = step(8, 0x7f0000100000, 0x7f0000200000);
  CaptureLog last = step(20, 0x7f0000100000, 0x7f0000200000);
  std::vector<PositionSlot> slots;
  std::string why;
  ASSERT_TRUE(rat::findPositionSlots(first, 8, last, 20, slots, why)) << why;
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].param, 2u);
}

TEST(GraphCapture, RejectsValuesDerivedFromThePosition) {
  // The "constant" is position + 1: a replay could not rewrite it.
  CaptureLog first = step(3, 0x7f0000100000, 0x7f0000200000, 4);
  CaptureLog last = step(9, 0x7f0000100000, 0x7f0000200000, 10);
  std::vector<PositionSlot> slots;
  std::string why;
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));
  EXPECT_NE(why.find("kernel 'a' (launch 0): parameter 3 depends on the "
                     "position but is not the position itself"),
            std::string::npos)
      << why;
}

TEST(GraphCapture, RejectsPointersToOtherBuffers) {
  // Kernel B reads the other allocation at the second position.
  CaptureLog first = step(3, 0x7f0000100000, 0x7f0000200000);
  CaptureLog last = step(9, 0x7f0000100000, 0x7f0000200000);
  last.launches[1].params[0] = word(0x7f0000200000 + 64);
  std::vector<PositionSlot> slots;
  std::string why;
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));
  EXPECT_NE(why.find("kernel 'b'"), std::string::npos) << why;
}

TEST(GraphCapture, RejectsPositionDependentLaunchShapes) {
  CaptureLog first = step(3, 0x7f0000100000, 0x7f0000200000);
  CaptureLog last = step(9, 0x7f0000100000, 0x7f0000200000);
  last.launches[0].grid[0] = 5;
  std::vector<PositionSlot> slots;
  std::string why;
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));
  EXPECT_NE(why.find("launch configuration depends on the position"),
            std::string::npos)
      << why;

  last = step(9, 0x7f0000100000, 0x7f0000200000);
  last.launches.pop_back();
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));
  EXPECT_NE(why.find("launches 2 kernels at position 3 but 1 at position 9"),
            std::string::npos)
      << why;

  last = step(9, 0x7f0000100000, 0x7f0000200000);
  last.allocations[0].bytes = 2048;
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));
  EXPECT_NE(why.find("allocation 0 of the step has 1024 bytes"),
            std::string::npos)
      << why;

  last = step(9, 0x7f0000100000, 0x7f0000200000);
  last.launches[1].function = &kernelA;
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));

  EXPECT_FALSE(rat::findPositionSlots(first, 3, first, 3, slots, why));
  EXPECT_NE(why.find("both captures used position 3"), std::string::npos);
}

TEST(GraphCapture, ComparesCopiesAndMemsets) {
  CaptureLog first = step(3, 0x7f0000100000, 0x7f0000200000);
  CaptureLog last = step(9, 0x7f0000300000, 0x7f0000400000);
  first.operations.push_back({"memset32", {0x7f0000100000 + 16, 0, 64}});
  last.operations.push_back({"memset32", {0x7f0000300000 + 16, 0, 64}});
  std::vector<PositionSlot> slots;
  std::string why;
  EXPECT_TRUE(rat::findPositionSlots(first, 3, last, 9, slots, why)) << why;
  // A memset whose length follows the position cannot be replayed.
  last.operations[0].operands[2] = 70;
  EXPECT_FALSE(rat::findPositionSlots(first, 3, last, 9, slots, why));
  EXPECT_NE(why.find("operation 0 (memset32) depends on the position"),
            std::string::npos)
      << why;
}

TEST(GraphCapture, MatchesBlocksReusedWithinACapture) {
  // A temporary freed and allocated again in the same capture: the same
  // address twice in the allocation log.
  auto log = [](uint64_t block, uint64_t other, int64_t position) {
    CaptureLog result;
    result.allocations = {{other, 512}, {block, 256}, {block, 256}};
    result.launches.push_back(kernel(
        &kernelA, "a", {word(block), word(static_cast<uint64_t>(position))}));
    result.launches.push_back(
        kernel(&kernelB, "b", {word(block + 8), word(other)}));
    return result;
  };
  std::vector<PositionSlot> slots;
  std::string why;
  EXPECT_TRUE(rat::findPositionSlots(log(0x7f0000100000, 0x7f0000200000, 1), 1,
                                     log(0x7f0000300000, 0x7f0000000100, 2), 2,
                                     slots, why))
      << why;
  EXPECT_EQ(slots.size(), 1u);
}

TEST(GraphCapture, SetsPositionSlots) {
  std::vector<std::vector<uint8_t>> params = {word(1), half(2), word(3)};
  rat::setPositionSlot(params, {0, 0, 8}, 1234567890123);
  rat::setPositionSlot(params, {0, 1, 4}, 77);
  EXPECT_EQ(params[0], word(1234567890123));
  EXPECT_EQ(params[1], half(77));
  EXPECT_EQ(params[2], word(3));
}

} // namespace
