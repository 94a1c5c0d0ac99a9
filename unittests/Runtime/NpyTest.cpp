//===- NpyTest.cpp - .npy reader and writer tests -------------------------===//

#include "rat/Runtime/Npy.h"

#include "TestUtil.h"

#include <cstdio>
#include <unistd.h>

using namespace rat;
using rat::test::failsWith;
using rat::test::makeNpy;
using rat::test::rawBytes;
using rat::test::tempPath;

namespace {

HostTensor parse(const std::string &bytes) {
  return parseNpy(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                  "a.npy");
}

template <typename T>
HostTensor makeTensor(DType dtype, Shape shape, const std::vector<T> &values) {
  HostTensor tensor(dtype, std::move(shape));
  EXPECT_EQ(tensor.numElements(), values.size());
  if (!values.empty())
    std::memcpy(tensor.data(), values.data(), tensor.sizeInBytes());
  return tensor;
}

template <typename T>
void expectRoundTrip(DType dtype, Shape shape, const std::vector<T> &values) {
  HostTensor tensor = makeTensor(dtype, shape, values);
  HostTensor back = parse(encodeNpy(tensor));
  EXPECT_EQ(back.dtype(), dtype);
  EXPECT_EQ(back.shape(), shape);
  ASSERT_EQ(back.sizeInBytes(), tensor.sizeInBytes());
  EXPECT_EQ(std::memcmp(back.data(), tensor.data(), tensor.sizeInBytes()), 0);
}

TEST(Npy, RoundTripsEveryDType) {
  expectRoundTrip<float>(DType::F32, {2, 3}, {0, 1, 2, 3.5f, -4, 1e-30f});
  expectRoundTrip<double>(DType::F64, {3}, {0.1, -2, 1e300});
  expectRoundTrip<int32_t>(DType::I32, {1, 2, 2}, {1, -2, 2147483647, 0});
  expectRoundTrip<int64_t>(DType::I64, {2}, {-1, int64_t(1) << 50});
  expectRoundTrip<uint16_t>(DType::F16, {2}, {0x3c00, 0x7bff});
  expectRoundTrip<float>(DType::F32, {}, {42});
  expectRoundTrip<float>(DType::F32, {0, 4}, {});
}

TEST(Npy, EncodesExactlyLikeNumpy) {
  // np.save(f, np.arange(6, dtype='<f4').reshape(2, 3))
  HostTensor tensor = makeTensor<float>(DType::F32, {2, 3}, {0, 1, 2, 3, 4, 5});
  std::string expected =
      std::string("\x93NUMPY\x01\x00v\x00", 10) +
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
      std::string(58, ' ') + "\n" + rawBytes<float>({0, 1, 2, 3, 4, 5});
  EXPECT_EQ(encodeNpy(tensor), expected);
  // Rank 1 is spelled (5,), rank 0 ().
  HostTensor vector = HostTensor::zeros(DType::I64, {5});
  EXPECT_NE(encodeNpy(vector).find("'shape': (5,), }"), std::string::npos);
  HostTensor scalar = HostTensor::zeros(DType::F32, {});
  EXPECT_NE(encodeNpy(scalar).find("'shape': (), }"), std::string::npos);
}

TEST(Npy, AcceptsHeaderVariants) {
  // Key order, double quotes, Python 2 longs, no trailing comma, version 2.
  std::string data = rawBytes<int32_t>({1, 2, 3, 4, 5, 6});
  HostTensor a = parse(makeNpy(
      R"({"shape": (2L, 3L), "fortran_order": False, "descr": "<i4"})", data));
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.dataAs<int32_t>()[5], 6);

  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': "
                       "(6,), }\n";
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8);
  for (int i = 0; i < 4; ++i)
    v2 += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  HostTensor b = parse(v2 + header + data);
  EXPECT_EQ(b.shape(), (Shape{6}));
}

TEST(Npy, RejectsFortranOrder) {
  std::string bytes =
      makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
              rawBytes<float>({1, 2, 3, 4}));
  EXPECT_TRUE(failsWith([&] { parse(bytes); }, {"a.npy", "fortran_order"}));
}

TEST(Npy, RejectsShapeSizeMismatch) {
  std::string tooShort =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              rawBytes<float>({1, 2, 3, 4, 5}));
  EXPECT_TRUE(
      failsWith([&] { parse(tooShort); },
                {"a.npy", "truncated", "[2, 3]", "needs 24", "has 20"}));
  std::string tooLong =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
              rawBytes<float>({1, 2, 3}));
  EXPECT_TRUE(failsWith([&] { parse(tooLong); },
                        {"a.npy", "size mismatch", "needs 8", "has 12"}));
}

TEST(Npy, RejectsTruncatedAndEmptyFiles) {
  std::string good =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
              rawBytes<float>({1, 2}));
  EXPECT_TRUE(failsWith([&] { parse(""); }, {"a.npy", "empty"}));
  // Cut inside the magic, the length field and the header.
  for (size_t size : {3u, 8u, 9u, 40u})
    EXPECT_TRUE(failsWith([&] { parse(good.substr(0, size)); }, {"a.npy"}))
        << "size " << size;
  EXPECT_TRUE(
      failsWith([&] { parse(good.substr(0, 40)); }, {"truncated .npy header"}));
  EXPECT_TRUE(failsWith([&] { parse(good.substr(0, good.size() - 1)); },
                        {"truncated"}));
}

TEST(Npy, RejectsBadMagicAndVersion) {
  std::string good =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
              rawBytes<float>({1}));
  std::string badMagic = good;
  badMagic[1] = 'X';
  EXPECT_TRUE(failsWith([&] { parse(badMagic); }, {"a.npy", "bad magic"}));
  EXPECT_TRUE(
      failsWith([&] { parse("PK\x03\x04 this is a zip"); }, {"bad magic"}));
  std::string badVersion = good;
  badVersion[6] = 9;
  EXPECT_TRUE(
      failsWith([&] { parse(badVersion); }, {"unsupported .npy version 9.0"}));
}

TEST(Npy, RejectsBigEndianAndUnknownDTypes) {
  std::string data = rawBytes<float>({1});
  EXPECT_TRUE(failsWith(
      [&] {
        parse(makeNpy(
            "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", data));
      },
      {"a.npy", "big-endian", ">f4"}));
  for (const char *descr : {"<u4", "|b1", "<c8", "|u1", "<M8[s]", "f4"})
    EXPECT_TRUE(failsWith(
        [&] {
          parse(makeNpy(std::string("{'descr': '") + descr +
                            "', 'fortran_order': False, 'shape': (1,), }",
                        data));
        },
        {"unsupported dtype"}))
        << descr;
  EXPECT_TRUE(failsWith(
      [&] {
        parse(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                      "'shape': (1,), }",
                      data));
      },
      {"structured"}));
}

TEST(Npy, RejectsMalformedHeaders) {
  std::string data = rawBytes<float>({1});
  const char *headers[] = {
      "",
      "{}",
      "{'descr': '<f4', 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }",
      "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': 1, }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, }",
      "{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }",
      "{'descr': '<f4' 'fortran_order': False, 'shape': (1,), }",
      ("{'descr': '<f4', 'fortran_order': False, 'shape': "
       "(99999999999999999999,), }"),
  };
  for (const char *header : headers)
    EXPECT_TRUE(failsWith([&] { parse(makeNpy(header, data)); },
                          {"a.npy", "malformed .npy header"}))
        << header;
}

TEST(Npy, RejectsShapesThatOverflow) {
  std::string bytes = makeNpy("{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (4294967296, 4294967296), }",
                              "");
  EXPECT_TRUE(failsWith([&] { parse(bytes); }, {"too large"}));
  // A product that overflows only after the element size.
  std::string bytes2 = makeNpy("{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (2305843009213693952,), }",
                               "");
  EXPECT_TRUE(failsWith([&] { parse(bytes2); }, {"too large"}));
}

TEST(Npy, FilesRoundTripAtomically) {
  std::string path = tempPath("rat_npy_test", ".npy");
  HostTensor tensor = makeTensor<float>(DType::F32, {2}, {1.5f, -2});
  writeNpy(path, tensor);
  HostTensor back = readNpy(path);
  EXPECT_EQ(back.dataAs<float>()[1], -2);
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
  std::remove(path.c_str());
  EXPECT_TRUE(failsWith([&] { readNpy(path); }, {"cannot open", path}));
  EXPECT_TRUE(
      failsWith([&] { readNpy(::testing::TempDir()); }, {"is a directory"}));
  EXPECT_TRUE(failsWith([&] { writeNpy("/nonexistent-dir/x.npy", tensor); },
                        {"cannot write '/nonexistent-dir/x.npy'"}));
  HostTensor bf16(DType::BF16, {1});
  EXPECT_TRUE(failsWith([&] { encodeNpy(bf16); }, {"bf16"}));
}

TEST(Npy, ReadsEmptyFileWithClearError) {
  std::string path = tempPath("rat_npy_empty", ".npy");
  std::FILE *file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fclose(file);
  EXPECT_TRUE(failsWith([&] { readNpy(path); }, {path, "empty"}));
  std::remove(path.c_str());
}

} // namespace
