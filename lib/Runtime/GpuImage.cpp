//===- GpuImage.cpp - What GPU code an embedded image holds ---------------===//

#include "rat/Runtime/GpuImage.h"

#include <cstdint>
#include <cstring>
#include <string_view>

using namespace rat;

namespace {
constexpr uint32_t kFatbinMagic = 0xBA55ED50;
constexpr size_t kFatbinHeaderSize = 16;
/// The entry header's fields that are read (offsets from its start).
constexpr size_t kEntryKind = 0, kEntryHeaderSize = 4, kEntryPayloadSize = 8,
                 kEntryArch = 28, kEntryFlags = 40, kEntryMinHeaderSize = 48;
constexpr uint16_t kEntryKindPtx = 1, kEntryKindCubin = 2;
constexpr uint64_t kEntryFlagArchSpecific = uint64_t(1) << 20;
/// ELF: EM_CUDA, ELFOSABI_CUDA, and where the architecture is in e_flags.
constexpr uint16_t kElfMachineCuda = 190;
constexpr size_t kElfHeaderSize = 64;

template <typename T> T read(const unsigned char *bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes + offset, sizeof(T));
  return value;
}

/// `.target sm_80` (or sm_90a) of PTX text, or 0.
GpuCode ptxCode(const char *text, size_t size) {
  size_t length = size ? strnlen(text, size) : std::strlen(text);
  std::string_view ptx(text, length);
  GpuCode code;
  code.kind = GpuCode::Kind::Ptx;
  size_t target = ptx.find(".target sm_");
  if (target == std::string_view::npos)
    return code;
  size_t i = target + std::strlen(".target sm_");
  while (i < ptx.size() && ptx[i] >= '0' && ptx[i] <= '9')
    code.arch = code.arch * 10 + (ptx[i++] - '0');
  code.archSpecific = i < ptx.size() && ptx[i] == 'a';
  return code;
}

/// A cubin's architecture from its ELF header: e_flags bits 8-15 since the
/// ELF ABI version 8 of CUDA 13's ptxas, bits 0-7 before. The header does
/// not say whether it is architecture-specific (sm_90a reads as sm_90).
GpuCode cubinCode(const unsigned char *elf) {
  GpuCode code;
  uint32_t flags = read<uint32_t>(elf, 0x30);
  code.arch = elf[8] >= 8 ? (flags >> 8) & 0xff : flags & 0xff;
  return code;
}
} // namespace

std::string GpuCode::name() const {
  return (kind == Kind::Cubin ? "cubin sm_" : "PTX compute_") +
         std::to_string(arch) + (archSpecific ? "a" : "");
}

bool GpuCode::runsOn(int major, int minor) const {
  int device = major * 10 + minor;
  if (arch <= 0)
    return false;
  if (archSpecific)
    return arch == device;
  if (kind == Kind::Ptx)
    return arch <= device;
  return arch / 10 == major && arch % 10 <= minor;
}

std::vector<GpuCode> rat::listGpuCode(const void *image, size_t size) {
  std::vector<GpuCode> code;
  if (!image)
    return code;
  const auto *bytes = static_cast<const unsigned char *>(image);
  // A fatbin's size is known (mgpuModuleLoad); PTX text may come without.
  if (size >= kFatbinHeaderSize && read<uint32_t>(bytes, 0) == kFatbinMagic) {
    uint16_t headerSize = read<uint16_t>(bytes, 6);
    uint64_t entriesSize = read<uint64_t>(bytes, 8);
    if (headerSize < kFatbinHeaderSize || headerSize > size ||
        entriesSize > size - headerSize)
      return {};
    size_t end = headerSize + entriesSize;
    for (size_t offset = headerSize; offset + kEntryMinHeaderSize <= end;) {
      uint16_t kind = read<uint16_t>(bytes, offset + kEntryKind);
      uint32_t entryHeader = read<uint32_t>(bytes, offset + kEntryHeaderSize);
      uint64_t payload = read<uint64_t>(bytes, offset + kEntryPayloadSize);
      if (entryHeader < kEntryMinHeaderSize || entryHeader > end - offset ||
          payload > end - offset - entryHeader)
        return {};
      if (kind == kEntryKindPtx || kind == kEntryKindCubin) {
        GpuCode entry;
        entry.kind =
            kind == kEntryKindPtx ? GpuCode::Kind::Ptx : GpuCode::Kind::Cubin;
        entry.arch = static_cast<int>(read<uint32_t>(bytes, offset + kEntryArch));
        entry.archSpecific =
            read<uint64_t>(bytes, offset + kEntryFlags) & kEntryFlagArchSpecific;
        code.push_back(entry);
      }
      offset += entryHeader + payload;
    }
    return code;
  }
  if (size >= kElfHeaderSize && std::memcmp(bytes, "\177ELF", 4) == 0) {
    if (read<uint16_t>(bytes, 18) != kElfMachineCuda)
      return {};
    code.push_back(cubinCode(bytes));
    return code;
  }
  GpuCode ptx = ptxCode(static_cast<const char *>(image), size);
  if (ptx.arch > 0)
    code.push_back(ptx);
  return code;
}

const GpuCode *rat::selectGpuCode(const std::vector<GpuCode> &code, int major,
                                  int minor) {
  const GpuCode *best = nullptr;
  auto better = [&](const GpuCode &candidate) {
    if (!best)
      return true;
    if (candidate.kind != best->kind)
      return candidate.kind == GpuCode::Kind::Cubin;
    if (candidate.arch != best->arch)
      return candidate.arch > best->arch;
    return candidate.archSpecific && !best->archSpecific;
  };
  for (const GpuCode &candidate : code)
    if (candidate.runsOn(major, minor) && better(candidate))
      best = &candidate;
  return best;
}

std::string rat::describeGpuCode(const std::vector<GpuCode> &code) {
  if (code.empty())
    return "no GPU code the runtime recognises";
  std::string text;
  for (const GpuCode &entry : code)
    text += (text.empty() ? "" : ", ") + entry.name();
  return text;
}
