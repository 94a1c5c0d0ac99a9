//===- DeviceBackend.h - Where a session keeps tensors ----------*- C++ -*-===//
//
// The session (RatRuntimeSession) is linked into CPU executables, which must
// not depend on CUDA, and into CUDA executables. It therefore never calls
// CUDA directly: it works through a DeviceBackend. The host backend is part of
// RatRuntimeSession; the CUDA backend is returned by rat_cuda_backend(), which
// RatCudaRuntime defines and Device.cpp only references weakly, so a CPU link
// resolves it to null and needs no stub library.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_DEVICEBACKEND_H
#define RAT_RUNTIME_DEVICEBACKEND_H

#include <cstddef>
#include <memory>
#include <string>

namespace rat {

/// Measures the duration of work issued between start() and stopMs().
class DeviceTimer {
public:
  virtual ~DeviceTimer() = default;
  virtual void start() = 0;
  /// Waits for the timed work to finish and returns its duration in ms.
  virtual double stopMs() = 0;
};

/// Memory and timing services for tensors the compiled code reads and
/// returns. Methods throw RatError on failure.
class DeviceBackend {
public:
  virtual ~DeviceBackend() = default;

  /// `cpu` or `cuda`, matching the manifest's `target`.
  virtual const char *targetName() const = 0;

  /// Selects the device (ignored on the host) and brings the backend up,
  /// reporting any deferred error (no driver, no device, a kernel image that
  /// failed to load). Called once, before anything else.
  virtual void initialize(int device) = 0;

  /// Human-readable description of the device, for -v.
  virtual std::string deviceDescription() = 0;

  /// Which of the executable's kernel code the device runs, for -v (""
  /// where there is no choice).
  virtual std::string kernelCodeDescription() { return ""; }

  /// True if device pointers can be read directly by the host.
  virtual bool isHostMemory() const = 0;

  /// Allocates `bytes` of device memory (nullptr for 0 bytes).
  virtual void *allocate(size_t bytes) = 0;

  /// Releases memory from allocate() or a buffer returned by compiled code
  /// (free() on the host, mgpuMemFree() on CUDA). Accepts nullptr.
  virtual void deallocate(void *pointer) = 0;

  virtual void copyToDevice(void *destination, const void *source,
                            size_t bytes) = 0;
  virtual void copyToHost(void *destination, const void *source,
                          size_t bytes) = 0;
  virtual void copyOnDevice(void *destination, const void *source,
                            size_t bytes) = 0;
  virtual void fillZero(void *destination, size_t bytes) = 0;

  /// Waits until all work issued to the device has finished.
  virtual void synchronize() = 0;

  /// A timer: CUDA events on the device, steady_clock on the host.
  virtual std::unique_ptr<DeviceTimer> createTimer() = 0;
};

} // namespace rat

/// The CUDA backend, defined by RatCudaRuntime. Device.cpp references it
/// weakly, so that CPU executables link without it (it is null there).
extern "C" rat::DeviceBackend *rat_cuda_backend(void);

#endif // RAT_RUNTIME_DEVICEBACKEND_H
