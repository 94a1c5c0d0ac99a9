//===- HostTensorTest.cpp - Host tensor and conversion tests --------------===//

#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Float.h"

#include "TestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace rat;
using rat::test::failsWith;

namespace {

TEST(HostTensor, ShapeAndSize) {
  HostTensor tensor(DType::BF16, {2, 3, 4});
  EXPECT_EQ(tensor.numElements(), 24u);
  EXPECT_EQ(tensor.sizeInBytes(), 48u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.data()) % 64, 0u);
  HostTensor scalar = HostTensor::zeros(DType::F64, {});
  EXPECT_EQ(scalar.numElements(), 1u);
  EXPECT_EQ(*scalar.dataAs<double>(), 0.0);
  HostTensor empty(DType::F32, {0, 5});
  EXPECT_EQ(empty.sizeInBytes(), 0u);
  EXPECT_NE(empty.data(), nullptr);
}

TEST(HostTensor, RejectsOverflowingShapes) {
  int64_t big = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_TRUE(failsWith(
      [&] {
        HostTensor(DType::F32, {big, 4});
      },
      {"too large"}));
  EXPECT_TRUE(failsWith([&] { HostTensor(DType::F32, {-1}); }, {"too large"}));
  uint64_t count = 0;
  EXPECT_FALSE(checkedNumElements({1 << 30, 1 << 30, 1 << 30}, 1, count));
  EXPECT_TRUE(checkedNumElements({0, big, big}, 8, count));
  EXPECT_EQ(count, 0u);
}

TEST(Convert, FloatToBf16AndBack) {
  HostTensor source(DType::F32, {3});
  float *values = source.dataAs<float>();
  values[0] = 1.0f;
  values[1] = -3.5f;
  values[2] = 1.00390625f; // ties to even -> 1.0
  HostTensor bf16 = convertTensor(source, DType::BF16, "x");
  EXPECT_EQ(bf16.dataAs<uint16_t>()[0], 0x3f80u);
  EXPECT_EQ(bf16.dataAs<uint16_t>()[2], 0x3f80u);
  HostTensor back = convertTensor(bf16, DType::F32, "x");
  EXPECT_EQ(back.dataAs<float>()[1], -3.5f);
  EXPECT_EQ(back.dataAs<float>()[2], 1.0f);
}

TEST(Convert, DoubleSaturatesInsteadOfUndefinedBehaviour) {
  HostTensor source(DType::F64, {4});
  double *values = source.dataAs<double>();
  values[0] = 1e300;
  values[1] = -1e300;
  // Less than half an ulp above the largest float: rounds down to it.
  values[2] = static_cast<double>(std::numeric_limits<float>::max()) +
              std::ldexp(1.0, 102);
  values[3] = 0.1;
  HostTensor f32 = convertTensor(source, DType::F32, "x");
  EXPECT_TRUE(std::isinf(f32.dataAs<float>()[0]));
  EXPECT_LT(f32.dataAs<float>()[1], 0);
  EXPECT_EQ(f32.dataAs<float>()[2], std::numeric_limits<float>::max());
  EXPECT_EQ(f32.dataAs<float>()[3], 0.1f);
  HostTensor f16 = convertTensor(source, DType::F16, "x");
  EXPECT_EQ(f16.dataAs<uint16_t>()[0], 0x7c00u);
}

TEST(Convert, IntegersAreRangeChecked) {
  HostTensor source(DType::I64, {2});
  source.dataAs<int64_t>()[0] = 7;
  source.dataAs<int64_t>()[1] = int64_t(1) << 40;
  EXPECT_TRUE(failsWith([&] { convertTensor(source, DType::I32, "t.npy"); },
                        {"t.npy", "1099511627776", "flat index 1", "i32"}));
  source.dataAs<int64_t>()[1] = -5;
  HostTensor i32 = convertTensor(source, DType::I32, "t.npy");
  EXPECT_EQ(i32.dataAs<int32_t>()[1], -5);
}

TEST(Convert, FloatAndIntegerDoNotMix) {
  HostTensor source(DType::F32, {1});
  EXPECT_TRUE(failsWith([&] { convertTensor(source, DType::I32, "w"); },
                        {"w", "cannot convert f32 to i32"}));
}

TEST(NonFinite, CountsEveryFloatType) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  HostTensor f32(DType::F32, {2, 3});
  float values[] = {1, -0.0f, inf, nan, -inf, std::numeric_limits<float>::max()};
  std::copy(std::begin(values), std::end(values), f32.dataAs<float>());
  NonFiniteCount count = countNonFinite(f32);
  EXPECT_EQ(count.nan, 1u);
  EXPECT_EQ(count.inf, 2u);
  EXPECT_EQ(count.first, 2u);
  EXPECT_EQ(describeNonFinite(f32, count),
            "1 NaN and 2 Inf among 6 values (the first at [0, 2])");

  // The same values in every other float type, converted: same counts.
  for (DType type : {DType::F64, DType::F16, DType::BF16}) {
    HostTensor converted = convertTensor(f32, type, "x");
    NonFiniteCount c = countNonFinite(converted);
    EXPECT_EQ(c.nan, 1u) << dtypeName(type);
    // f32 max is finite in f64, infinite in f16, and rounds to bf16 Inf.
    uint64_t inf = type == DType::F64 ? 2u : 3u;
    EXPECT_EQ(c.inf, inf) << dtypeName(type);
    EXPECT_EQ(c.first, 2u) << dtypeName(type);
  }

  // Signalling NaNs and NaN payloads count as NaN; subnormals are finite.
  HostTensor bits(DType::F32, {3});
  uint32_t raw[] = {0x7f800001u, 0xffc00000u, 0x00000001u};
  std::memcpy(bits.data(), raw, sizeof(raw));
  EXPECT_EQ(countNonFinite(bits).nan, 2u);
  EXPECT_EQ(countNonFinite(bits).inf, 0u);
}

TEST(NonFinite, FiniteIntegerAndEmptyTensors) {
  HostTensor finite = HostTensor::zeros(DType::BF16, {4, 4});
  EXPECT_FALSE(countNonFinite(finite).any());
  HostTensor ints(DType::I32, {2});
  ints.dataAs<int32_t>()[0] = -1; // all bits set: not a float
  ints.dataAs<int32_t>()[1] = 0x7f800000;
  EXPECT_FALSE(countNonFinite(ints).any());
  HostTensor empty(DType::F32, {0, 5});
  EXPECT_FALSE(countNonFinite(empty).any());
}

TEST(NonFinite, FirstPositionInRank3) {
  HostTensor t = HostTensor::zeros(DType::F16, {2, 3, 4});
  t.dataAs<uint16_t>()[1 * 12 + 0 * 4 + 3] = 0x7e00; // NaN at [1, 0, 3]
  t.dataAs<uint16_t>()[23] = 0xfc00;                 // -Inf at [1, 2, 3]
  NonFiniteCount count = countNonFinite(t);
  EXPECT_EQ(describeNonFinite(t, count),
            "1 NaN and 1 Inf among 24 values (the first at [1, 0, 3])");
}

} // namespace
