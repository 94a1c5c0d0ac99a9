//===- OutputPaths.cpp - Output files checked before any compute ----------===//
//
// Every output path of the command line is checked before the device is
// opened or a file read (docs/Runtime.md, docs/Limits.md): its directory
// exists and is writable, it is a regular file if it exists, it is not the
// same file as an input (--weights, --input, --tokens, --arg; also through
// a symlink or a hard link), and no two outputs are the same file. A run
// that would fail to write, or overwrite its own input, fails before any
// work.
//
//===----------------------------------------------------------------------===//

#include "Runners.h"

#include "rat/Runtime/Error.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace rat;

namespace {

/// A file named on the command line, and what identifies it: its device and
/// inode when it exists, and the absolute path through its directory's real
/// path (for files that do not exist yet).
struct NamedFile {
  std::string flag, path;
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  std::string canonical;

  std::string describe() const { return flag + " '" + path + "'"; }
  bool sameFileAs(const NamedFile &other) const {
    if (exists && other.exists)
      return device == other.device && inode == other.inode;
    return !canonical.empty() && canonical == other.canonical;
  }
};

std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string realPath(const std::string &path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) ? std::string(resolved) : "";
}

NamedFile identify(const std::string &flag, const std::string &path) {
  NamedFile file;
  file.flag = flag;
  file.path = path;
  struct stat status;
  if (::stat(path.c_str(), &status) == 0) {
    file.exists = true;
    file.device = status.st_dev;
    file.inode = status.st_ino;
    file.canonical = realPath(path);
    return file;
  }
  std::string directory = realPath(directoryOf(path));
  size_t slash = path.find_last_of('/');
  if (!directory.empty())
    file.canonical = directory + "/" +
                     (slash == std::string::npos ? path : path.substr(slash + 1));
  return file;
}

/// Throws unless `file` can be created or replaced by a rename in its
/// directory.
void checkWritable(const NamedFile &file) {
  const std::string &path = file.path;
  if (path.empty())
    throw RatError(file.flag + ": empty path");
  if (path.back() == '/')
    throw RatError(file.describe() + " names a directory, not a file");
  std::string directory = directoryOf(path);
  struct stat status;
  if (::stat(directory.c_str(), &status) != 0)
    throw RatError(file.describe() + ": directory '" + directory +
                   "' does not exist");
  if (!S_ISDIR(status.st_mode))
    throw RatError(file.describe() + ": '" + directory +
                   "' is not a directory");
  // Writing creates a temporary file there and renames it over the path.
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    throw RatError(file.describe() + ": cannot write to directory '" +
                   directory + "': " + std::strerror(errno));
  if (file.exists && ::stat(path.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode))
      throw RatError(file.describe() + " is a directory");
    // The rename would replace a device or a pipe with a regular file.
    if (!S_ISREG(status.st_mode))
      throw RatError(file.describe() + " is not a regular file");
  }
}

} // namespace

void rat::checkOutputPaths(const CommandLineOptions &options) {
  std::vector<NamedFile> inputs, outputs;
  auto add = [](std::vector<NamedFile> &files, const char *flag,
                const std::string &path) {
    if (!path.empty())
      files.push_back(identify(flag, path));
  };
  add(inputs, "--weights", options.weights);
  add(inputs, "--input", options.input);
  add(inputs, "--tokens", options.tokens);
  for (const std::string &path : options.args)
    add(inputs, "--arg", path);
  if (options.given.count("--output"))
    outputs.push_back(identify("--output", options.output));
  if (options.given.count("--logits"))
    outputs.push_back(identify("--logits", options.logits));
  for (const std::string &path : options.results)
    outputs.push_back(identify("--result", path));

  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedFile &output = outputs[i];
    checkWritable(output);
    for (const NamedFile &input : inputs)
      if (output.sameFileAs(input))
        throw RatError(output.describe() + " is the same file as " +
                       input.describe() + " (an input is never overwritten)");
    for (size_t j = 0; j < i; ++j)
      if (output.sameFileAs(outputs[j]))
        throw RatError(outputs[j].describe() + " and " + output.describe() +
                       " are the same file");
  }
}
