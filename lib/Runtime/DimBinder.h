//===- DimBinder.h - Symbolic dimensions of manifest values -----*- C++ -*-===//
//
// Binds the symbols of manifest shapes (B, T, ...) to sizes while the arrays
// of one call or one checkpoint are checked, so that every use of a symbol
// agrees with the first and errors say where a size came from.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_DIMBINDER_H
#define RAT_LIB_RUNTIME_DIMBINDER_H

#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Manifest.h"

#include <map>
#include <string>
#include <vector>

namespace rat {

/// Binds manifest symbols (B, T, ...) to sizes, from the first array that
/// uses each, and checks every later use.
class DimBinder {
public:
  /// Checks `shape` against `spec`, binding new symbols. `what` names the
  /// array (`input 'x' (x.npy)`), `where` prefixes errors (`entry 'f': `).
  /// Throws RatError on a mismatch.
  void bind(const ValueSpec &spec, const Shape &shape, const std::string &what,
            const std::string &where = "");

  /// The concrete shape of `spec`; every symbol must already be bound.
  Shape resolve(const ValueSpec &spec, const std::string &what) const;

private:
  struct Binding {
    int64_t size;
    std::string source;
  };

  /// `[B, T, 256] (B = 2 from input 'x')`.
  std::string describe(const std::vector<Dim> &dims) const;

  std::map<std::string, Binding> bound;
};

} // namespace rat

#endif // RAT_LIB_RUNTIME_DIMBINDER_H
