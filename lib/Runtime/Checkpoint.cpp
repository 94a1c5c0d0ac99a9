//===- Checkpoint.cpp - A checkpoint against a model's weights ------------===//

#include "rat/Runtime/Checkpoint.h"

#include "DimBinder.h"
#include "rat/Runtime/Error.h"

#include <new>

using namespace rat;

void rat::checkCheckpoint(const SafetensorsFile &file,
                          const WeightSpecs &weights,
                          const CheckpointPolicy &policy) {
  const std::string &path = file.path();
  DimBinder binder;
  for (const auto &[name, spec] : weights) {
    const SafetensorsTensorInfo *info = file.find(name);
    if (!info)
      throw RatError(path + ": missing tensor '" + name +
                     "' (the model needs " + dtypeName(spec->type) + " " +
                     formatDims(spec->dims) + ")");
    binder.bind(*spec, info->shape, path + ": tensor '" + name + "'");
    if (isFloatType(info->dtype) != isFloatType(spec->type))
      throw RatError(path + ": tensor '" + name + "' is " +
                     safetensorsDTypeName(info->dtype) +
                     " but the model needs " + dtypeName(spec->type));
  }
  if (policy.allowUnusedTensors)
    return;
  for (const SafetensorsTensorInfo &info : file.tensors())
    if (!weights.count(info.name))
      throw RatError(path + ": tensor '" + info.name +
                     "' is not used by the model (a checkpoint for another "
                     "model?)" +
                     policy.unusedTensorHint);
}

bool rat::checkCheckpointFile(const std::string &path,
                              const std::vector<ValueSpec> &weights,
                              std::string &error) noexcept {
  try {
    WeightSpecs specs;
    for (const ValueSpec &weight : weights)
      specs.emplace(weight.name, &weight);
    checkCheckpoint(SafetensorsFile::open(path), specs);
    return true;
  } catch (const std::bad_alloc &) {
    error = path + ": out of memory";
  } catch (const std::exception &failure) {
    error = failure.what();
  }
  return false;
}
