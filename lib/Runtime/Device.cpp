//===- Device.cpp - The device a session runs on --------------------------===//
//
// The only file that reaches the CUDA runtime: through weak references that
// resolve to null unless RatCudaRuntime is linked in (CPU executables do not
// link it). Only this file may see the weak declarations; next to the
// definitions (CudaBackend.cpp) they would make the definitions weak too.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Device.h"

#include "rat/Runtime/Error.h"

using namespace rat;

extern "C" __attribute__((weak)) rat::DeviceBackend *rat_cuda_backend(void);
extern "C" __attribute__((weak)) rat::DeviceExecution *rat_cuda_execution(void);

Device rat::openDevice(Target target, int ordinal) {
  Device device;
  if (target != Target::Cuda) {
    device.backend = &hostBackend();
    device.backend->initialize(ordinal);
    return device;
  }
  if (!rat_cuda_backend)
    throw RatError("this model targets CUDA but the executable was linked "
                   "without RatCudaRuntime");
  device.backend = rat_cuda_backend();
  device.backend->initialize(ordinal);
  // All work of the run, compiled code's and the runtime's copies, goes to
  // one stream, synchronised once per entry call.
  if (rat_cuda_execution) {
    device.execution = rat_cuda_execution();
    device.execution->useProcessStream();
  }
  return device;
}

void rat::logModelAndDevice(const Log &log, const Manifest &manifest,
                            const Device &device, Clock::time_point begin) {
  if (!log.isEnabled())
    return;
  log.note(std::string("model ") + modelKindName(manifest.kind) + ", target " +
           device.backend->targetName() + ", dtype " +
           dtypeName(manifest.dtype));
  for (const auto &[key, value] : manifest.params)
    log.note("param " + key + " = " + value);
  log.phase("init device", begin, device.backend->deviceDescription());
  if (std::string code = device.backend->kernelCodeDescription();
      !code.empty())
    log.note(code);
  if (device.execution)
    log.note("one CUDA stream, synchronised after each entry call; "
             "caching device allocator");
}
