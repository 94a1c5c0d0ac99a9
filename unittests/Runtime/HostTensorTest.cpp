//===- HostTensorTest.cpp - Host tensor and conversion tests --------------===//

#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Float.h"

#include "TestUtil.h"

#include <cmath>
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

} // namespace
