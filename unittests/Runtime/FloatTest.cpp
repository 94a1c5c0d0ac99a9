//===- FloatTest.cpp - bf16 / f16 conversion tests ------------------------===//

#include "rat/Runtime/Float.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace rat;

namespace {

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float fromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

TEST(Bf16, ExactValuesRoundTrip) {
  for (float value : {0.0f, -0.0f, 1.0f, -2.5f, 3.140625f, 65536.0f})
    EXPECT_EQ(bitsOf(bf16ToF32(f32ToBf16(value))), bitsOf(value)) << value;
}

TEST(Bf16, RoundsToNearestEven) {
  // 1 + 2^-8 is halfway between bf16 1.0 (0x3f80) and 1 + 2^-7 (0x3f81):
  // ties go to the even mantissa, 0x3f80.
  EXPECT_EQ(f32ToBf16(fromBits(0x3f808000u)), 0x3f80u);
  // Halfway above an odd mantissa rounds up to the even one.
  EXPECT_EQ(f32ToBf16(fromBits(0x3f818000u)), 0x3f82u);
  // Just above halfway rounds up, just below rounds down.
  EXPECT_EQ(f32ToBf16(fromBits(0x3f808001u)), 0x3f81u);
  EXPECT_EQ(f32ToBf16(fromBits(0x3f807fffu)), 0x3f80u);
  EXPECT_EQ(f32ToBf16(-1.00390625f), 0xbf80u);
}

TEST(Bf16, InfinityAndOverflow) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(f32ToBf16(inf), 0x7f80u);
  EXPECT_EQ(f32ToBf16(-inf), 0xff80u);
  // The largest float rounds up past the largest bf16: infinity.
  EXPECT_EQ(f32ToBf16(std::numeric_limits<float>::max()), 0x7f80u);
  EXPECT_TRUE(std::isinf(bf16ToF32(0x7f80u)));
}

TEST(Bf16, NanStaysNan) {
  // A NaN whose payload sits in the low 16 bits must not become infinity.
  float nan = fromBits(0x7f800001u);
  uint16_t converted = f32ToBf16(nan);
  EXPECT_TRUE(std::isnan(bf16ToF32(converted)));
  EXPECT_TRUE(std::isnan(bf16ToF32(f32ToBf16(-std::nanf("")))));
  EXPECT_EQ(f32ToBf16(-std::nanf("")) & 0x8000u, 0x8000u);
}

TEST(F16, ExactValuesRoundTrip) {
  for (float value : {0.0f, -0.0f, 1.0f, -2.5f, 0.333251953125f, 65504.0f,
                      6.103515625e-05f /* smallest normal */,
                      5.9604644775390625e-08f /* smallest subnormal */})
    EXPECT_EQ(bitsOf(f16ToF32(f32ToF16(value))), bitsOf(value)) << value;
}

TEST(F16, KnownEncodings) {
  EXPECT_EQ(f32ToF16(1.0f), 0x3c00u);
  EXPECT_EQ(f32ToF16(-2.0f), 0xc000u);
  EXPECT_EQ(f32ToF16(65504.0f), 0x7bffu);
  EXPECT_EQ(f32ToF16(5.9604644775390625e-08f), 0x0001u);
  EXPECT_EQ(f16ToF32(0x3555u), 0.333251953125f);
  EXPECT_EQ(f16ToF32(0x0200u), 3.0517578125e-05f); // subnormal
}

TEST(F16, RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1.0 and 1 + 2^-10: ties to even (1.0).
  EXPECT_EQ(f32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00u);
  // 1 + 3 * 2^-11 is halfway between odd 0x3c01 and even 0x3c02.
  EXPECT_EQ(f32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02u);
  EXPECT_EQ(f32ToF16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)),
            0x3c01u);
}

TEST(F16, SubnormalsAndUnderflow) {
  // 2^-25 is halfway between 0 and the smallest subnormal: ties to zero.
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -25)), 0x0000u);
  EXPECT_EQ(f32ToF16(std::ldexp(1.5f, -25)), 0x0001u);
  EXPECT_EQ(f32ToF16(-std::ldexp(1.0f, -30)), 0x8000u);
  // 3 * 2^-25 is halfway between subnormals 1 and 2: ties to 2.
  EXPECT_EQ(f32ToF16(3 * std::ldexp(1.0f, -25)), 0x0002u);
  // Rounding up from the largest subnormal reaches the smallest normal.
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)), 0x0400u);
}

TEST(F16, OverflowInfinityAndNan) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(f32ToF16(65519.0f), 0x7bffu);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7c00u); // the tie goes to infinity
  EXPECT_EQ(f32ToF16(1e10f), 0x7c00u);
  EXPECT_EQ(f32ToF16(-inf), 0xfc00u);
  EXPECT_TRUE(std::isinf(f16ToF32(0x7c00u)));
  uint16_t nan = f32ToF16(std::nanf(""));
  EXPECT_EQ(nan & 0x7c00u, 0x7c00u);
  EXPECT_NE(nan & 0x3ffu, 0u);
  EXPECT_TRUE(std::isnan(f16ToF32(nan)));
  // A NaN payload that lives only in the low f32 bits stays a NaN.
  EXPECT_TRUE(std::isnan(f16ToF32(f32ToF16(fromBits(0x7f800001u)))));
}

TEST(F16, EveryHalfRoundTripsThroughF32) {
  for (uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    auto half = static_cast<uint16_t>(bits);
    float value = f16ToF32(half);
    if (std::isnan(value))
      continue;
    ASSERT_EQ(f32ToF16(value), half) << std::hex << bits;
  }
}

TEST(Bf16, EveryBf16RoundTripsThroughF32) {
  for (uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    auto value = static_cast<uint16_t>(bits);
    if (std::isnan(bf16ToF32(value)))
      continue;
    ASSERT_EQ(f32ToBf16(bf16ToF32(value)), value) << std::hex << bits;
  }
}

} // namespace
