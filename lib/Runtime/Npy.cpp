//===- Npy.cpp - numpy .npy files -----------------------------------------===//
//
// The header of an .npy file is a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }; this file
// parses exactly that subset and checks the data size against the shape.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Npy.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/MappedFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <unistd.h>

using namespace rat;

namespace {

constexpr char npyMagic[] = "\x93NUMPY";
constexpr size_t npyMagicSize = 6;

/// The descr strings this runtime reads and writes (little-endian only).
struct NpyType {
  const char *descr;
  DType dtype;
};
constexpr NpyType npyTypes[] = {{"<f4", DType::F32},
                                {"<f8", DType::F64},
                                {"<f2", DType::F16},
                                {"<i4", DType::I32},
                                {"<i8", DType::I64}};

/// Parser for the Python literal in the header.
class HeaderParser {
public:
  HeaderParser(std::string_view text, const std::string &name)
      : text(text), name(name) {}

  [[noreturn]] void fail(const std::string &reason) const {
    throw RatError(name + ": malformed .npy header: " + reason);
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  void expect(char c, const char *context) {
    if (!consume(c))
      fail(std::string("expected '") + c + "' " + context);
  }

  std::string parseQuoted() {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      fail("expected a quoted string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string_view::npos)
      fail("unterminated string");
    std::string value(text.substr(pos, end - pos));
    pos = end + 1;
    return value;
  }

  bool parseBool() {
    skipSpace();
    if (text.substr(pos, 4) == "True") {
      pos += 4;
      return true;
    }
    if (text.substr(pos, 5) == "False") {
      pos += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }

  Shape parseShape() {
    expect('(', "to open the shape tuple");
    Shape shape;
    while (!consume(')')) {
      skipSpace();
      int64_t dim = 0;
      size_t start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        int digit = text[pos] - '0';
        if (dim > (std::numeric_limits<int64_t>::max() - digit) / 10)
          fail("shape dimension too large");
        dim = dim * 10 + digit;
        ++pos;
      }
      if (pos == start)
        fail("shape must be a tuple of non-negative integers");
      // Python 2 era files spell long integers as 3L.
      if (pos < text.size() && text[pos] == 'L')
        ++pos;
      shape.push_back(dim);
      if (!consume(',')) {
        expect(')', "to close the shape tuple");
        break;
      }
    }
    return shape;
  }

  /// Parses the dict into its three required fields.
  void parse(std::string &descr, bool &fortranOrder, Shape &shape) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    expect('{', "at the start of the header");
    while (!consume('}')) {
      std::string key = parseQuoted();
      expect(':', "after a key");
      if (key == "descr") {
        skipSpace();
        if (pos < text.size() && text[pos] == '[')
          fail("structured dtypes are not supported");
        descr = parseQuoted();
        haveDescr = true;
      } else if (key == "fortran_order") {
        fortranOrder = parseBool();
        haveOrder = true;
      } else if (key == "shape") {
        shape = parseShape();
        haveShape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      if (!consume(',')) {
        expect('}', "at the end of the header");
        break;
      }
    }
    if (!haveDescr || !haveOrder || !haveShape)
      fail("the header must have 'descr', 'fortran_order' and 'shape'");
  }

private:
  std::string_view text;
  const std::string &name;
  size_t pos = 0;
};

uint32_t readLittleEndian(const uint8_t *bytes, size_t count) {
  uint32_t value = 0;
  for (size_t i = count; i-- > 0;)
    value = (value << 8) | bytes[i];
  return value;
}

} // namespace

HostTensor rat::parseNpy(const uint8_t *data, size_t size,
                         const std::string &name) {
  if (size == 0)
    throw RatError(name + ": empty file is not an .npy file");
  if (size < npyMagicSize + 2 || std::memcmp(data, npyMagic, npyMagicSize) != 0)
    throw RatError(name + ": not an .npy file (bad magic)");
  uint8_t major = data[6];
  if (major < 1 || major > 3)
    throw RatError(name + ": unsupported .npy version " +
                   std::to_string(major) + "." + std::to_string(data[7]));
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t prefix = npyMagicSize + 2 + lengthBytes;
  if (size < prefix)
    throw RatError(name + ": truncated .npy header");
  uint64_t headerLength =
      readLittleEndian(data + npyMagicSize + 2, lengthBytes);
  if (headerLength > size - prefix)
    throw RatError(name + ": truncated .npy header (header length " +
                   std::to_string(headerLength) + " exceeds the file)");

  std::string descr;
  bool fortranOrder = false;
  Shape shape;
  std::string_view header(reinterpret_cast<const char *>(data + prefix),
                          static_cast<size_t>(headerLength));
  HeaderParser(header, name).parse(descr, fortranOrder, shape);

  if (fortranOrder)
    throw RatError(name + ": fortran_order arrays are not supported (save a "
                          "C-contiguous array, e.g. np.ascontiguousarray)");
  std::optional<DType> dtype;
  for (const NpyType &type : npyTypes)
    if (descr == type.descr)
      dtype = type.dtype;
  if (!dtype) {
    if (!descr.empty() && descr[0] == '>')
      throw RatError(name + ": big-endian dtype '" + descr +
                     "' is not supported (use a little-endian array)");
    throw RatError(name + ": unsupported dtype '" + descr +
                   "' (expected float32, float64, float16, int32 or int64)");
  }

  uint64_t numElements = 0;
  if (!checkedNumElements(shape, dtypeSize(*dtype), numElements))
    throw RatError(name + ": shape " + formatShape(shape) + " is too large");
  uint64_t expected = numElements * dtypeSize(*dtype);
  uint64_t available = size - prefix - headerLength;
  if (available != expected)
    throw RatError(name + ": " +
                   (available < expected ? "truncated: " : "size mismatch: ") +
                   "shape " + formatShape(shape) + " of " + descr + " needs " +
                   std::to_string(expected) + " data bytes, the file has " +
                   std::to_string(available));

  HostTensor tensor(*dtype, shape);
  if (expected)
    std::memcpy(tensor.data(), data + prefix + headerLength,
                static_cast<size_t>(expected));
  return tensor;
}

HostTensor rat::readNpy(const std::string &path) {
  MappedFile file = MappedFile::open(path);
  return parseNpy(file.data(), file.size(), path);
}

std::string rat::encodeNpy(const HostTensor &tensor) {
  const char *descr = nullptr;
  for (const NpyType &type : npyTypes)
    if (type.dtype == tensor.dtype())
      descr = type.descr;
  if (!descr)
    throw RatError(std::string("cannot write ") + dtypeName(tensor.dtype()) +
                   " as .npy (numpy has no such dtype)");

  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (";
  const Shape &shape = tensor.shape();
  for (size_t i = 0; i < shape.size(); ++i)
    header += (i ? ", " : "") + std::to_string(shape[i]);
  // Python spells a one-element tuple (5,).
  header += shape.size() == 1 ? ",)" : ")";
  header += ", }";

  // numpy pads the header with spaces so the data starts 64-byte aligned.
  size_t prefixV1 = npyMagicSize + 2 + 2;
  bool needsV2 = prefixV1 + header.size() + 1 > 65535;
  size_t prefix = needsV2 ? npyMagicSize + 2 + 4 : prefixV1;
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::string bytes(npyMagic, npyMagicSize);
  bytes += static_cast<char>(needsV2 ? 2 : 1);
  bytes += '\0';
  uint32_t length = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < (needsV2 ? 4u : 2u); ++i)
    bytes += static_cast<char>((length >> (8 * i)) & 0xff);
  bytes += header;
  bytes.append(static_cast<const char *>(tensor.data()), tensor.sizeInBytes());
  return bytes;
}

std::string rat::writeTemporaryFile(const std::string &path,
                                    const std::string &bytes) {
  // A fresh name (O_EXCL) next to `path`: never an existing file, and on the
  // same file system, so that the rename is atomic.
  static unsigned counter = 0;
  std::string temporary;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    temporary = path + ".tmp." + std::to_string(::getpid()) + "." +
                std::to_string(counter++);
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                0666);
    if (fd < 0 && (errno != EEXIST || attempt == 100))
      throw RatError("cannot write '" + path + "': " + std::strerror(errno));
  }
  const char *data = bytes.data();
  size_t left = bytes.size();
  int savedErrno = 0;
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0) {
      savedErrno = written < 0 ? errno : EIO;
      break;
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  if (::close(fd) != 0 && savedErrno == 0)
    savedErrno = errno;
  if (savedErrno != 0) {
    ::unlink(temporary.c_str());
    throw RatError("cannot write '" + path + "': " + std::strerror(savedErrno));
  }
  return temporary;
}

void rat::replaceWithTemporary(const std::string &temporary,
                               const std::string &path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int savedErrno = errno;
    ::unlink(temporary.c_str());
    throw RatError("cannot write '" + path + "': " + std::strerror(savedErrno));
  }
}

void rat::writeFileAtomically(const std::string &path,
                              const std::string &bytes) {
  replaceWithTemporary(writeTemporaryFile(path, bytes), path);
}

void rat::writeNpy(const std::string &path, const HostTensor &tensor) {
  writeFileAtomically(path, encodeNpy(tensor));
}
