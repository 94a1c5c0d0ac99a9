//===- Device.h - The device a session runs on ------------------*- C++ -*-===//
//
// A compiled model runs on its target's backend (DeviceBackend: memory,
// copies, timers) and, on CUDA, its DeviceExecution (the process stream and
// CUDA graphs). openDevice picks and brings up both; it is the only place
// that reaches the CUDA runtime, through weak references, so that CPU
// executables link without it.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_DEVICE_H
#define RAT_RUNTIME_DEVICE_H

#include "rat/Runtime/DeviceBackend.h"
#include "rat/Runtime/DeviceExecution.h"
#include "rat/Runtime/Log.h"
#include "rat/Runtime/Manifest.h"

namespace rat {

/// The services a Session works through. Both are process-wide objects.
struct Device {
  DeviceBackend *backend = nullptr;
  /// Streams and CUDA graphs of the cuda target; null on the CPU.
  DeviceExecution *execution = nullptr;
};

/// The backend of the cpu target: heap memory, steady_clock timers.
DeviceBackend &hostBackend();

/// Brings up the device of `target`: selects CUDA device `ordinal` (-1: the
/// default, $RAT_DEVICE or 0), initialises the backend (reporting a missing
/// driver or device, or a kernel image that does not load) and, on CUDA,
/// sends all work of the process to one stream. Throws RatError, also when
/// the executable was linked without RatCudaRuntime.
Device openDevice(Target target, int ordinal = -1);

/// The -v lines of a model's start on `device` (opened since `begin`): the
/// model, its params, the device and, on CUDA, how work is issued.
void logModelAndDevice(const Log &log, const Manifest &manifest,
                       const Device &device, Clock::time_point begin);

} // namespace rat

#endif // RAT_RUNTIME_DEVICE_H
