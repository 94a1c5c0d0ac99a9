//===- Checkpoint.h - A checkpoint against a model's weights ----*- C++ -*-===//
//
// The one check of a safetensors checkpoint against the weights a model
// declares. The executable runs it before loading any weight; rat-compile
// --weights runs the same check at compile time (checkCheckpointFile, for
// callers built without exceptions).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_CHECKPOINT_H
#define RAT_RUNTIME_CHECKPOINT_H

#include "rat/Runtime/Manifest.h"
#include "rat/Runtime/Safetensors.h"

#include <map>
#include <string>
#include <vector>

namespace rat {

/// The weights a model declares, by name.
using WeightSpecs = std::map<std::string, const ValueSpec *>;

/// What a checkpoint may hold besides the declared weights.
struct CheckpointPolicy {
  /// Accept tensors the model does not declare.
  bool allowUnusedTensors = false;
  /// Ends the error about an unused tensor (how to accept them).
  std::string unusedTensorHint;
};

/// Checks `file` against `weights`: every weight present, of the same kind
/// (float or integer) and of the declared shape, symbols bound consistently
/// across weights; then, unless the policy allows them, no tensor the model
/// does not declare. Throws RatError naming the file and the tensor.
void checkCheckpoint(const SafetensorsFile &file, const WeightSpecs &weights,
                     const CheckpointPolicy &policy = {});

/// Opens `path` (the header is validated, SafetensorsFile::open) and checks
/// it against `weights` with the default policy. Returns false with the
/// message in `error`; never throws.
bool checkCheckpointFile(const std::string &path,
                         const std::vector<ValueSpec> &weights,
                         std::string &error) noexcept;

} // namespace rat

#endif // RAT_RUNTIME_CHECKPOINT_H
