//===- SafetensorsTest.cpp - safetensors reader tests ---------------------===//

#include "rat/Runtime/Safetensors.h"
#include "rat/Runtime/Float.h"

#include "TestUtil.h"

#include <cstdio>
#include <limits>

using namespace rat;
using rat::test::failsWith;
using rat::test::makeSafetensors;
using rat::test::rawBytes;
using rat::test::tempPath;

namespace {

SafetensorsFile open(const std::string &header, const std::string &data) {
  return SafetensorsFile::fromBytes(makeSafetensors(header, data), "w.st");
}

/// A checkpoint with an f32 [2, 2], a bf16 [3] and an f16 [] tensor.
std::string goodHeader() {
  return R"({"__metadata__": {"format": "pt"},
             "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
             "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
             "c": {"dtype": "F16", "shape": [], "data_offsets": [22, 24]}})";
}

std::string goodData() {
  return rawBytes<float>({1, 2, 3, 4}) +
         rawBytes<uint16_t>({f32ToBf16(0.5f), f32ToBf16(-1), f32ToBf16(8)}) +
         rawBytes<uint16_t>({f32ToF16(0.25f)});
}

TEST(Safetensors, ReadsHeaderAndConverts) {
  SafetensorsFile file = open(goodHeader(), goodData());
  ASSERT_EQ(file.tensors().size(), 3u);
  EXPECT_EQ(file.tensors()[0].name, "a");
  EXPECT_EQ(file.metadata().at("format"), "pt");
  const SafetensorsTensorInfo *b = file.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::BF16);
  EXPECT_EQ(b->shape, (Shape{3}));
  EXPECT_EQ(file.find("zzz"), nullptr);

  HostTensor a = file.load("a", DType::F32);
  EXPECT_EQ(a.shape(), (Shape{2, 2}));
  EXPECT_EQ(a.dataAs<float>()[3], 4);
  HostTensor aBf16 = file.load("a", DType::BF16);
  EXPECT_EQ(bf16ToF32(aBf16.dataAs<uint16_t>()[2]), 3);
  HostTensor aF16 = file.load("a", DType::F16);
  EXPECT_EQ(f16ToF32(aF16.dataAs<uint16_t>()[1]), 2);

  HostTensor bF32 = file.load("b", DType::F32);
  EXPECT_EQ(bF32.dataAs<float>()[1], -1);
  HostTensor bBf16 = file.load("b", DType::BF16);
  EXPECT_EQ(bBf16.dataAs<uint16_t>()[2], f32ToBf16(8));
  HostTensor c = file.load("c", DType::F32);
  EXPECT_EQ(c.shape(), Shape{});
  EXPECT_EQ(c.dataAs<float>()[0], 0.25f);

  EXPECT_TRUE(failsWith([&] { file.load("nope", DType::F32); },
                        {"w.st", "no tensor named 'nope'"}));
}

TEST(Safetensors, ConvertsWiderTypes) {
  SafetensorsFile file = open(
      R"({"d": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
          "i": {"dtype": "I64", "shape": [2], "data_offsets": [16, 32]},
          "j": {"dtype": "I32", "shape": [1], "data_offsets": [32, 36]}})",
      rawBytes<double>({0.5, -3}) + rawBytes<int64_t>({7, -9}) +
          rawBytes<int32_t>({11}));
  EXPECT_EQ(file.load("d", DType::F32).dataAs<float>()[1], -3);
  EXPECT_EQ(file.load("i", DType::I32).dataAs<int32_t>()[1], -9);
  EXPECT_EQ(file.load("j", DType::I64).dataAs<int64_t>()[0], 11);
  EXPECT_TRUE(failsWith([&] { file.load("i", DType::F32); },
                        {"w.st: tensor 'i'", "cannot convert i64 to f32"}));
}

TEST(Safetensors, AcceptsEmptyHeaderAndEmptyTensors) {
  EXPECT_TRUE(open("{}", "").tensors().empty());
  SafetensorsFile file = open(
      R"({"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
          "f": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "g": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}})",
      rawBytes<float>({1}));
  EXPECT_EQ(file.load("e", DType::F32).numElements(), 0u);
}

TEST(Safetensors, ReportsEmptyAndTruncatedFiles) {
  EXPECT_TRUE(failsWith([] { SafetensorsFile::fromBytes({}, "w.st"); },
                        {"w.st", "empty"}));
  EXPECT_TRUE(failsWith(
      [] {
        SafetensorsFile::fromBytes({1, 2, 3}, "w.st");
      },
      {"w.st", "truncated"}));
  std::vector<uint8_t> good = makeSafetensors(goodHeader(), goodData());
  // Cut inside the data: the last tensor's offsets now exceed the file.
  std::vector<uint8_t> cut(good.begin(), good.end() - 1);
  EXPECT_TRUE(failsWith([&] { SafetensorsFile::fromBytes(cut, "w.st"); },
                        {"w.st", "tensor 'c'", "exceed the data section"}));
  // Cut inside the header.
  std::vector<uint8_t> cutHeader(good.begin(), good.begin() + 20);
  EXPECT_TRUE(failsWith([&] { SafetensorsFile::fromBytes(cutHeader, "w.st"); },
                        {"w.st", "header length", "exceeds the file size"}));
}

TEST(Safetensors, ReportsHeaderLengthBeyondFile) {
  std::vector<uint8_t> bytes = makeSafetensors("{}", "");
  bytes[7] = 0x7f; // A length near 2^63.
  EXPECT_TRUE(failsWith([&] { SafetensorsFile::fromBytes(bytes, "w.st"); },
                        {"w.st", "exceeds the file size"}));
  bytes[7] = 0xff; // A length that would overflow 8 + length.
  EXPECT_TRUE(failsWith([&] { SafetensorsFile::fromBytes(bytes, "w.st"); },
                        {"exceeds the file size"}));
}

TEST(Safetensors, ReportsBadJson) {
  EXPECT_TRUE(failsWith([] { open("{\"a\": ", ""); },
                        {"w.st: safetensors header", "invalid JSON"}));
  EXPECT_TRUE(failsWith([] { open("[1, 2]", ""); }, {"must be a JSON object"}));
  EXPECT_TRUE(failsWith(
      [] {
        open(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                 "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
             std::string(8, '\0'));
      },
      {"w.st", "duplicate key \"a\""}));
}

TEST(Safetensors, ReportsLyingOffsets) {
  // Offsets past the end of the data section.
  EXPECT_TRUE(failsWith(
      [] {
        open(
            R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
            std::string(12, '\0'));
      },
      {"w.st", "tensor 'a'", "exceed the data section of 12 bytes"}));
  // Reversed offsets.
  EXPECT_TRUE(failsWith(
      [] {
        open(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})",
             std::string(8, '\0'));
      },
      {"tensor 'a'", "reversed"}));
  // Huge offsets that would overflow a naive begin + size.
  EXPECT_TRUE(failsWith(
      [] {
        open(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets":
                   [9223372036854775807, 9223372036854775807]}})",
             std::string(8, '\0'));
      },
      {"tensor 'a'", "exceed"}));
}

TEST(Safetensors, ReportsSizeNotMatchingDTypeAndShape) {
  // F32 [3] needs 12 bytes, the offsets span 8 (the size of BF16 [4]).
  EXPECT_TRUE(failsWith(
      [] {
        open(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})",
             std::string(8, '\0'));
      },
      {"w.st", "tensor 'w'", "span 8 bytes", "F32 [3] needs 12"}));
  EXPECT_TRUE(failsWith(
      [] {
        open(
            R"({"w": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 8]}})",
            std::string(8, '\0'));
      },
      {"tensor 'w'", "BF16 [3] needs 6"}));
}

TEST(Safetensors, ReportsOverlaps) {
  EXPECT_TRUE(failsWith(
      [] {
        open(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "b": {"dtype": "F32", "shape": [2],
                       "data_offsets": [4, 12]}})",
             std::string(12, '\0'));
      },
      {"w.st", "tensors 'a' and 'b' overlap"}));
  // A tensor nested inside a longer one, after an empty tensor.
  EXPECT_TRUE(failsWith(
      [] {
        open(R"({"big": {"dtype": "F32", "shape": [4],
                         "data_offsets": [0, 16]},
                 "e": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]},
                 "in": {"dtype": "F32", "shape": [1],
                        "data_offsets": [8, 12]}})",
             std::string(16, '\0'));
      },
      {"tensors 'big' and 'in' overlap"}));
}

TEST(Safetensors, ReportsBadEntries) {
  struct Case {
    const char *header;
    const char *message;
  } cases[] = {
      {R"({"a": 1})", "tensor 'a': entry must be an object"},
      {R"({"a": {"shape": [1], "data_offsets": [0, 4]}})", "'dtype'"},
      {R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})",
       "unsupported dtype 'U8'"},
      {R"({"a": {"dtype": "F32", "data_offsets": [0, 4]}})", "'shape'"},
      {R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
       "non-negative integers"},
      {R"({"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}})",
       "non-negative integers"},
      {R"({"a": {"dtype": "F32", "shape": [1]}})", "'data_offsets'"},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
       "'data_offsets'"},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})",
       "non-negative integers"},
      {R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296],
                 "data_offsets": [0, 4]}})",
       "too large"},
      {R"({"__metadata__": {"k": 1}})", "__metadata__ value 'k'"},
      {R"({"__metadata__": [1]})", "__metadata__ must be an object"},
  };
  for (const Case &c : cases)
    EXPECT_TRUE(failsWith([&] { open(c.header, std::string(4, '\0')); },
                          {"w.st", c.message}))
        << c.header;
}

TEST(Safetensors, OpensFilesFromDisk) {
  std::string path = tempPath("rat_safetensors_test", ".safetensors");
  std::vector<uint8_t> bytes = makeSafetensors(goodHeader(), goodData());
  std::FILE *file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  SafetensorsFile opened = SafetensorsFile::open(path);
  EXPECT_EQ(opened.path(), path);
  EXPECT_EQ(opened.load("a", DType::F32).dataAs<float>()[2], 3);
  std::remove(path.c_str());
  EXPECT_TRUE(
      failsWith([&] { SafetensorsFile::open(path); }, {"cannot open", path}));
}

TEST(Safetensors, WarnsAboutNonFiniteWeights) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  SafetensorsFile file = open(
      R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})",
      rawBytes<float>({1, 70000, nan, 4}));
  const SafetensorsTensorInfo &info = *file.find("w");
  EXPECT_EQ(nonFiniteWarning(file.load(info, DType::F32), info, file.path()),
            "w.st: tensor 'w' has 1 NaN among 4 values (the first at [1, 0]); "
            "outputs that depend on it will be NaN or infinite");
  // 70000 is past the f16 range: the conversion makes an Inf, and says so.
  EXPECT_EQ(nonFiniteWarning(file.load(info, DType::F16), info, file.path()),
            "w.st: tensor 'w' has 1 NaN and 1 Inf among 4 values (the first "
            "at [0, 1]) after conversion from F32 to f16; outputs that depend "
            "on it will be NaN or infinite");
  SafetensorsFile clean = open(goodHeader(), goodData());
  for (const SafetensorsTensorInfo &t : clean.tensors())
    EXPECT_EQ(nonFiniteWarning(clean.load(t, DType::BF16), t, clean.path()),
              "");
}

} // namespace
