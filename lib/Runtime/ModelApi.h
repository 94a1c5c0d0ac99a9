//===- ModelApi.h - The model handle of the C API ---------------*- C++ -*-===//
//
// What the entry points of rat/Runtime/rat_model.h share (ModelApi.cpp:
// versions, opening, the manifest, rat_model_run; ModelApiGeneration.cpp:
// prefill, decode steps, generation): the model handle (struct rat_model),
// the library's one device and the lock of a compute call. The caller's
// tensors and the statuses are ModelApiTensors.h's.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_MODELAPI_H
#define RAT_LIB_RUNTIME_MODELAPI_H

#include "ModelApiTensors.h"
#include "rat/Runtime/Abi.h"
#include "rat/Runtime/Device.h"
#include "rat/Runtime/Generation.h"
#include "rat/Runtime/Session.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rat::capi {

/// What the models of this library share: the parsed manifest, the device
/// and the lock that serialises opening, closing and (on CUDA, one stream
/// per process) every compute call.
struct Library {
  std::mutex mutex;
  bool parsed = false;
  Manifest manifest;
  bool deviceOpen = false;
  Device device;
  int ordinal = 0;
  int openModels = 0;

  /// Parses __rat_manifest on first use; the caller holds `mutex`.
  const Manifest &getManifest() {
    if (!parsed) {
      manifest = parseManifest(__rat_manifest);
      parsed = true;
    }
    return manifest;
  }
};

/// The library's one instance; never destroyed: a model may be closed from
/// a global destructor.
Library &library();

/// The generator of the last rat_model_generate and what it was built for:
/// a call with the same shapes reuses it, so its decode steps replay the
/// graph the first call captured.
struct CachedGenerator {
  const EntrySpec *prefill = nullptr;
  GenerationConfig config;
  std::unique_ptr<Generator> generator;

  /// Whether the generator runs `prefill` with `shapes`.
  bool fits(const EntrySpec &prefill, const GenerationConfig &shapes) const {
    return generator && this->prefill == &prefill &&
           config.batch == shapes.batch &&
           config.promptLen == shapes.promptLen &&
           config.generate == shapes.generate &&
           config.sliceRows == shapes.sliceRows;
  }
};

} // namespace rat::capi

/// The handle of rat_model.h: one opened model.
struct rat_model {
  explicit rat_model(const rat::Manifest &manifest) : manifest(manifest) {}

  const rat::Manifest &manifest;
  /// Lets one call at a time use the model.
  std::mutex mutex;
  std::string manifestText = __rat_manifest;
  std::string deviceText;
  /// The manifest's dims of every arg and result, by entry.
  std::vector<std::vector<std::string>> argDims, resultDims;
  /// Declared before everything that holds its tensors: destroyed last.
  std::unique_ptr<rat::Session> session;
  /// The decode state of rat_model_prefill / rat_model_decode_step.
  rat::StatePool state;
  rat::capi::CachedGenerator cached;
};

namespace rat::capi {

/// Holds a model for one compute call: its own lock and, on CUDA, the
/// library's (one stream per process).
class ComputeLock {
public:
  explicit ComputeLock(rat_model *model) : modelLock(model->mutex) {
    if (model->manifest.target == Target::Cuda)
      libraryLock = std::unique_lock<std::mutex>(library().mutex);
  }

private:
  std::unique_lock<std::mutex> modelLock;
  std::unique_lock<std::mutex> libraryLock;
};

/// A NULL model is an invalid argument.
inline void requireModel(const rat_model *model) {
  if (!model)
    invalid("the model is NULL");
}

} // namespace rat::capi

#endif // RAT_LIB_RUNTIME_MODELAPI_H

