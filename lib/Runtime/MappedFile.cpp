//===- MappedFile.cpp - Read-only file contents ---------------------------===//
//
// mmap for regular files, a read loop for everything else (pipes, /dev/stdin).
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/MappedFile.h"

#include "rat/Runtime/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace rat;

namespace {
/// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

[[noreturn]] void failOpen(const std::string &path, const std::string &reason) {
  throw RatError("cannot open '" + path + "': " + reason);
}
} // namespace

MappedFile MappedFile::open(const std::string &path) {
  MappedFile file;
  file.name = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    failOpen(path, std::strerror(errno));
  FdCloser closer{fd};
  struct stat info;
  if (::fstat(fd, &info) != 0)
    failOpen(path, std::strerror(errno));
  if (S_ISDIR(info.st_mode))
    failOpen(path, "is a directory");

  if (S_ISREG(info.st_mode)) {
    if (info.st_size == 0)
      return file;
    file.length = static_cast<size_t>(info.st_size);
    void *mapping = ::mmap(nullptr, file.length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping != MAP_FAILED) {
      file.mapping = mapping;
      file.bytes = static_cast<const uint8_t *>(mapping);
      return file;
    }
    // Some file systems cannot map; fall through to reading.
    file.length = 0;
  }

  std::vector<uint8_t> buffer;
  uint8_t chunk[1 << 16];
  while (true) {
    ssize_t got = ::read(fd, chunk, sizeof(chunk));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      failOpen(path, std::strerror(errno));
    }
    if (got == 0)
      break;
    buffer.insert(buffer.end(), chunk, chunk + got);
  }
  return fromBytes(std::move(buffer), path);
}

MappedFile MappedFile::fromBytes(std::vector<uint8_t> bytes, std::string name) {
  MappedFile file;
  file.name = std::move(name);
  file.owned = std::move(bytes);
  file.bytes = file.owned.data();
  file.length = file.owned.size();
  return file;
}

MappedFile::MappedFile(MappedFile &&other) noexcept {
  *this = std::move(other);
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this == &other)
    return *this;
  reset();
  name = std::move(other.name);
  owned = std::move(other.owned);
  mapping = other.mapping;
  length = other.length;
  // A moved vector keeps its heap buffer, so `bytes` stays valid either way.
  bytes = mapping ? other.bytes : owned.data();
  other.mapping = nullptr;
  other.bytes = nullptr;
  other.length = 0;
  return *this;
}

MappedFile::~MappedFile() { reset(); }

void MappedFile::reset() {
  if (mapping)
    ::munmap(mapping, length);
  mapping = nullptr;
  bytes = nullptr;
  length = 0;
  owned.clear();
}
