//===- GpuImageTest.cpp - The GPU code of embedded images -----------------===//
//
// Images built byte by byte in the layout `fatbinary` and `ptxas` write
// (test/Driver/device-code.test and multi-chip.test check real ones).
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/GpuImage.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace rat;

namespace {

template <typename T>
void put(std::vector<unsigned char> &bytes, size_t offset, T value) {
  if (bytes.size() < offset + sizeof(T))
    bytes.resize(offset + sizeof(T));
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

struct Entry {
  uint16_t kind; // 1 PTX, 2 cubin
  uint32_t arch;
  bool archSpecific;
};

/// A fatbin with one 64-byte header and 16 payload bytes per entry.
std::vector<unsigned char> fatbin(const std::vector<Entry> &entries) {
  std::vector<unsigned char> bytes(16);
  size_t offset = 16;
  for (const Entry &entry : entries) {
    put<uint16_t>(bytes, offset, entry.kind);
    put<uint16_t>(bytes, offset + 2, 0x0101);
    put<uint32_t>(bytes, offset + 4, 64);
    put<uint64_t>(bytes, offset + 8, 16);
    put<uint32_t>(bytes, offset + 28, entry.arch);
    put<uint64_t>(bytes, offset + 40,
                  0x11 | (entry.archSpecific ? uint64_t(1) << 20 : 0));
    bytes.resize(offset + 64 + 16);
    if (entry.kind == 2)
      std::memcpy(bytes.data() + offset + 64, "\177ELF", 4);
    offset += 64 + 16;
  }
  put<uint32_t>(bytes, 0, 0xBA55ED50);
  put<uint16_t>(bytes, 4, 1);
  put<uint16_t>(bytes, 6, 16);
  put<uint64_t>(bytes, 8, offset - 16);
  return bytes;
}

/// A cubin's ELF header as CUDA 13's ptxas writes it (ABI version 8, the
/// architecture in e_flags bits 8-15).
std::vector<unsigned char> cubin(uint32_t arch) {
  std::vector<unsigned char> bytes(64);
  std::memcpy(bytes.data(), "\177ELF\2\1\1\x41\x08", 9);
  put<uint16_t>(bytes, 18, 190); // EM_CUDA
  put<uint32_t>(bytes, 0x30, 0x6000004 | arch << 8);
  return bytes;
}

std::vector<GpuCode> list(const std::vector<unsigned char> &image) {
  return listGpuCode(image.data(), image.size());
}

} // namespace

TEST(GpuImage, ListsAFatbinsEntries) {
  std::vector<unsigned char> image =
      fatbin({{2, 80, false}, {2, 90, true}, {1, 80, false}});
  std::vector<GpuCode> code = list(image);
  ASSERT_EQ(code.size(), 3u);
  EXPECT_EQ(describeGpuCode(code),
            "cubin sm_80, cubin sm_90a, PTX compute_80");
}

TEST(GpuImage, SelectsAsTheDriverDoes) {
  std::vector<GpuCode> code =
      list(fatbin({{2, 80, false}, {2, 90, true}, {1, 80, false}}));
  auto selected = [&](int major, int minor) {
    const GpuCode *c = selectGpuCode(code, major, minor);
    return c ? c->name() : std::string("none");
  };
  EXPECT_EQ(selected(9, 0), "cubin sm_90a"); // H100/H200
  EXPECT_EQ(selected(8, 0), "cubin sm_80");  // A100
  EXPECT_EQ(selected(8, 9), "cubin sm_80");  // same major: the sm_80 cubin
  EXPECT_EQ(selected(10, 0), "PTX compute_80"); // newer: JIT of the PTX
  EXPECT_EQ(selected(7, 5), "none");            // older than every chip
}

TEST(GpuImage, ArchSpecificCodeRunsOnItsOwnVersionOnly) {
  std::vector<GpuCode> code = list(fatbin({{2, 90, true}, {1, 90, true}}));
  EXPECT_NE(selectGpuCode(code, 9, 0), nullptr);
  EXPECT_EQ(selectGpuCode(code, 10, 0), nullptr);
  EXPECT_EQ(selectGpuCode(code, 8, 0), nullptr);
}

TEST(GpuImage, ReadsCubinsAndPtx) {
  std::vector<unsigned char> elf = cubin(80);
  std::vector<GpuCode> code = list(elf);
  ASSERT_EQ(code.size(), 1u);
  EXPECT_EQ(code[0].name(), "cubin sm_80");
  const char *ptx = ".version 8.0\n.target sm_90a\n.address_size 64\n";
  code = listGpuCode(ptx, 0);
  ASSERT_EQ(code.size(), 1u);
  EXPECT_EQ(code[0].name(), "PTX compute_90a");
}

TEST(GpuImage, RejectsTruncatedOrUnknownImages) {
  std::vector<unsigned char> image = fatbin({{2, 80, false}, {1, 80, false}});
  EXPECT_TRUE(listGpuCode(image.data(), 20).empty());
  // An entry whose sizes run past the fatbin.
  put<uint64_t>(image, 16 + 8, 1u << 30);
  EXPECT_TRUE(list(image).empty());
  std::vector<unsigned char> other(64, 0x55);
  other.push_back(0);
  EXPECT_TRUE(list(other).empty());
  EXPECT_EQ(describeGpuCode({}), "no GPU code the runtime recognises");
}
