//===- DimBinder.cpp - Symbolic dimensions of manifest values -------------===//

#include "DimBinder.h"

#include "rat/Runtime/Error.h"

#include <set>

using namespace rat;

void DimBinder::bind(const ValueSpec &spec, const Shape &shape,
                     const std::string &what, const std::string &where) {
  bool ok = shape.size() == spec.dims.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) {
    const Dim &dim = spec.dims[i];
    if (!dim.isSymbolic()) {
      ok = shape[i] == dim.size;
      continue;
    }
    if (dim.isWildcard())
      continue;
    auto it = bound.find(dim.symbol);
    if (it == bound.end())
      bound.emplace(dim.symbol, Binding{shape[i], what});
    else
      ok = it->second.size == shape[i];
  }
  if (!ok)
    throw RatError(where + what + " has shape " + formatShape(shape) +
                   ", expected " + describe(spec.dims));
}

Shape DimBinder::resolve(const ValueSpec &spec, const std::string &what) const {
  Shape shape;
  for (const Dim &dim : spec.dims) {
    if (!dim.isSymbolic()) {
      shape.push_back(dim.size);
      continue;
    }
    auto it = bound.find(dim.symbol);
    if (dim.isWildcard())
      throw RatError("cannot size " + what + " " + formatDims(spec.dims) +
                     ": a '?' dimension has no size to start from");
    if (it == bound.end())
      throw RatError("cannot size " + what + " " + formatDims(spec.dims) +
                     ": no earlier argument binds " + dim.symbol);
    shape.push_back(it->second.size);
  }
  return shape;
}

std::string DimBinder::describe(const std::vector<Dim> &dims) const {
  std::string text = formatDims(dims);
  std::string notes;
  std::set<std::string> seen;
  for (const Dim &dim : dims) {
    auto it = bound.find(dim.symbol);
    if (!dim.isSymbolic() || it == bound.end() ||
        !seen.insert(dim.symbol).second)
      continue;
    notes += (notes.empty() ? "" : ", ") + dim.symbol + " = " +
             std::to_string(it->second.size) + " from " + it->second.source;
  }
  return notes.empty() ? text : text + " (" + notes + ")";
}
