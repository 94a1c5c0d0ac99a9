//===- Safetensors.cpp - safetensors checkpoints --------------------------===//
//
// Header validation follows the reference implementation (huggingface
// safetensors): offsets must lie inside the data section, match dtype x
// shape exactly and not overlap. Gaps are tolerated.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Safetensors.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Json.h"

#include <algorithm>
#include <limits>
#include <optional>

using namespace rat;

namespace {

/// The reference implementation refuses headers above 100 MB; a larger value
/// is a corrupt length field, and refusing it early avoids a huge parse.
constexpr uint64_t maxHeaderLength = 100'000'000;

struct SafetensorsType {
  const char *name;
  DType dtype;
};
constexpr SafetensorsType safetensorsTypes[] = {
    {"F32", DType::F32},   {"F64", DType::F64}, {"F16", DType::F16},
    {"BF16", DType::BF16}, {"I32", DType::I32}, {"I64", DType::I64}};

/// Reads a JSON integer that must be non-negative.
std::optional<uint64_t> nonNegative(const JsonValue &value) {
  if (!value.isInteger() || value.intValue < 0)
    return std::nullopt;
  return static_cast<uint64_t>(value.intValue);
}

} // namespace

const char *rat::safetensorsDTypeName(DType type) {
  for (const SafetensorsType &entry : safetensorsTypes)
    if (entry.dtype == type)
      return entry.name;
  return "?";
}

SafetensorsFile SafetensorsFile::open(const std::string &path) {
  SafetensorsFile file(MappedFile::open(path));
  file.parseHeader();
  return file;
}

SafetensorsFile SafetensorsFile::fromBytes(std::vector<uint8_t> bytes,
                                           std::string name) {
  SafetensorsFile file(
      MappedFile::fromBytes(std::move(bytes), std::move(name)));
  file.parseHeader();
  return file;
}

void SafetensorsFile::parseHeader() {
  const std::string &name = file.path();
  auto fail = [&](const std::string &reason) {
    throw RatError(name + ": " + reason);
  };
  if (file.size() == 0)
    fail("empty file is not a safetensors file");
  if (file.size() < 8)
    fail("truncated safetensors file (" + std::to_string(file.size()) +
         " bytes, the header length alone takes 8)");
  uint64_t headerLength = 0;
  for (int i = 7; i >= 0; --i)
    headerLength = (headerLength << 8) | file.data()[i];
  if (headerLength > file.size() - 8)
    fail("safetensors header length " + std::to_string(headerLength) +
         " exceeds the file size " + std::to_string(file.size()) +
         " (truncated or not a safetensors file)");
  if (headerLength > maxHeaderLength)
    fail("safetensors header length " + std::to_string(headerLength) +
         " is larger than the 100 MB limit");
  dataStart = 8 + headerLength;
  uint64_t dataSize = file.size() - dataStart;

  std::string_view headerText(reinterpret_cast<const char *>(file.data() + 8),
                              static_cast<size_t>(headerLength));
  JsonValue header = parseJson(headerText, name + ": safetensors header");
  if (!header.isObject())
    fail(std::string("safetensors header must be a JSON object, not ") +
         header.kindName());

  for (size_t i = 0; i < header.keys.size(); ++i) {
    const std::string &tensorName = header.keys[i];
    const JsonValue &entry = header.elements[i];
    if (tensorName == "__metadata__") {
      if (!entry.isObject())
        fail("__metadata__ must be an object of strings");
      for (size_t j = 0; j < entry.keys.size(); ++j) {
        if (!entry.elements[j].isString())
          fail("__metadata__ value '" + entry.keys[j] + "' is not a string");
        meta[entry.keys[j]] = entry.elements[j].stringValue;
      }
      continue;
    }
    auto failTensor = [&](const std::string &reason) {
      fail("tensor '" + tensorName + "': " + reason);
    };
    if (!entry.isObject())
      failTensor("entry must be an object");

    SafetensorsTensorInfo info;
    info.name = tensorName;
    const JsonValue *dtype = entry.find("dtype");
    if (!dtype || !dtype->isString())
      failTensor("missing string field 'dtype'");
    bool known = false;
    for (const SafetensorsType &type : safetensorsTypes) {
      if (dtype->stringValue == type.name) {
        info.dtype = type.dtype;
        known = true;
      }
    }
    if (!known)
      failTensor("unsupported dtype '" + dtype->stringValue +
                 "' (expected F32, BF16, F16, F64, I32 or I64)");

    const JsonValue *shape = entry.find("shape");
    if (!shape || !shape->isArray())
      failTensor("missing array field 'shape'");
    for (const JsonValue &dim : shape->elements) {
      std::optional<uint64_t> size = nonNegative(dim);
      if (!size)
        failTensor("shape must be an array of non-negative integers");
      info.shape.push_back(static_cast<int64_t>(*size));
    }

    const JsonValue *offsets = entry.find("data_offsets");
    if (!offsets || !offsets->isArray() || offsets->elements.size() != 2)
      failTensor("missing field 'data_offsets' [begin, end]");
    std::optional<uint64_t> begin = nonNegative(offsets->elements[0]);
    std::optional<uint64_t> end = nonNegative(offsets->elements[1]);
    if (!begin || !end)
      failTensor("data_offsets must be non-negative integers");
    if (*begin > *end)
      failTensor("data_offsets [" + std::to_string(*begin) + ", " +
                 std::to_string(*end) + "] are reversed");
    if (*end > dataSize)
      failTensor("data_offsets [" + std::to_string(*begin) + ", " +
                 std::to_string(*end) + "] exceed the data section of " +
                 std::to_string(dataSize) + " bytes (truncated file?)");
    uint64_t numElements = 0;
    if (!checkedNumElements(info.shape, dtypeSize(info.dtype), numElements))
      failTensor("shape " + formatShape(info.shape) + " is too large");
    uint64_t expected = numElements * dtypeSize(info.dtype);
    if (*end - *begin != expected)
      failTensor("data_offsets [" + std::to_string(*begin) + ", " +
                 std::to_string(*end) + "] span " +
                 std::to_string(*end - *begin) + " bytes but " +
                 dtype->stringValue + " " + formatShape(info.shape) +
                 " needs " + std::to_string(expected));
    info.begin = *begin;
    info.end = *end;
    // The JSON parser already rejects duplicate keys; this is the invariant
    // the index relies on.
    if (!index.emplace(info.name, infos.size()).second)
      failTensor("duplicate tensor name");
    infos.push_back(std::move(info));
  }

  std::vector<const SafetensorsTensorInfo *> byOffset;
  for (const SafetensorsTensorInfo &info : infos)
    byOffset.push_back(&info);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const SafetensorsTensorInfo *a, const SafetensorsTensorInfo *b) {
              return a->begin != b->begin ? a->begin < b->begin
                                          : a->end < b->end;
            });
  // Compare each tensor with the one reaching furthest so far, so that a
  // tensor nested inside an earlier, longer one is caught too.
  const SafetensorsTensorInfo *furthest = nullptr;
  for (const SafetensorsTensorInfo *current : byOffset) {
    // Empty tensors occupy no bytes and overlap nothing.
    if (current->begin == current->end)
      continue;
    if (furthest && current->begin < furthest->end)
      fail("tensors '" + furthest->name + "' and '" + current->name +
           "' overlap (data_offsets [" + std::to_string(furthest->begin) +
           ", " + std::to_string(furthest->end) + "] and [" +
           std::to_string(current->begin) + ", " +
           std::to_string(current->end) + "])");
    if (!furthest || current->end > furthest->end)
      furthest = current;
  }
}

const SafetensorsTensorInfo *
SafetensorsFile::find(std::string_view name) const {
  auto it = index.find(std::string(name));
  return it == index.end() ? nullptr : &infos[it->second];
}

HostTensor SafetensorsFile::load(const SafetensorsTensorInfo &info,
                                 DType storageType) const {
  HostTensor tensor(storageType, info.shape);
  convertElements(file.data() + dataStart + info.begin, info.dtype,
                  tensor.data(), storageType, tensor.numElements(),
                  path() + ": tensor '" + info.name + "'");
  return tensor;
}

HostTensor SafetensorsFile::load(std::string_view name,
                                 DType storageType) const {
  const SafetensorsTensorInfo *info = find(name);
  if (!info)
    throw RatError(path() + ": no tensor named '" + std::string(name) + "'");
  return load(*info, storageType);
}

std::string rat::nonFiniteWarning(const HostTensor &tensor,
                                  const SafetensorsTensorInfo &info,
                                  const std::string &path) {
  NonFiniteCount count = countNonFinite(tensor);
  if (!count.any())
    return {};
  std::string text = path + ": tensor '" + info.name + "' has " +
                     describeNonFinite(tensor, count);
  if (info.dtype != tensor.dtype())
    text += std::string(" after conversion from ") +
            safetensorsDTypeName(info.dtype) + " to " +
            dtypeName(tensor.dtype());
  return text + "; outputs that depend on it will be NaN or infinite";
}
