//===- CudaRuntimeTest.cpp - mgpu* runtime tests --------------------------===//
//
// Without a driver (CI) these check the failure paths: module registration
// never aborts, rat_runtime_check_gpu() explains the problem, and a call from
// compiled code exits with a `rat runtime:` message. With a GPU they run
// hand-written PTX kernels through the same entry points compiled code uses.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Cuda.h"
#include "rat/Runtime/DeviceBackend.h"
#include "rat/Runtime/Error.h"

#include "gtest/gtest.h"

#include <dlfcn.h>
#include <string>
#include <vector>

namespace {

/// y = 2 * x + y over n elements, one thread per element.
const char *axpyPtx(bool sm90) {
  static const std::string base = R"(
.address_size 64
.visible .entry axpy(.param .u64 px, .param .u64 py, .param .u64 pout,
                     .param .u32 pn)
{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .b64 %rd<8>;
  .reg .f32 %f<4>;
  ld.param.u64 %rd1, [px];
  ld.param.u64 %rd2, [py];
  ld.param.u64 %rd3, [pout];
  ld.param.u32 %r1, [pn];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra DONE;
  mul.wide.u32 %rd4, %r5, 4;
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  cvta.to.global.u64 %rd3, %rd3;
  add.s64 %rd5, %rd1, %rd4;
  add.s64 %rd6, %rd2, %rd4;
  add.s64 %rd7, %rd3, %rd4;
  ld.global.f32 %f1, [%rd5];
  ld.global.f32 %f2, [%rd6];
  fma.rn.f32 %f3, %f1, 0f40000000, %f2;
  st.global.f32 [%rd7], %f3;
DONE:
  ret;
}
)";
  static const std::string sm70 = ".version 7.0\n.target sm_70\n" + base;
  static const std::string sm90a = ".version 7.8\n.target sm_90\n" + base;
  return sm90 ? sm90a.c_str() : sm70.c_str();
}

} // namespace

// The axpy kernel on the host, for the simulated driver of test/Runtime
// (fake_libcuda.c; test/Runtime/fake_driver.test).
extern "C" {
extern const unsigned fake_kernel_axpy_params[];
const unsigned fake_kernel_axpy_params[] = {8, 8, 8, 4, 0};
void fake_kernel_axpy(const unsigned grid[3], const unsigned block[3],
                      void **params) {
  const float *x = *static_cast<float **>(params[0]);
  const float *y = *static_cast<float **>(params[1]);
  float *out = *static_cast<float **>(params[2]);
  uint32_t n = *static_cast<uint32_t *>(params[3]);
  for (uint64_t i = 0; i < uint64_t(grid[0]) * block[0] && i < n; ++i)
    out[i] = 2.0f * x[i] + y[i];
}
}

namespace {

bool driverPresent() {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library)
    dlclose(library);
  return library != nullptr;
}

/// Skips the test unless a usable GPU is present.
#define REQUIRE_GPU()                                                          \
  do {                                                                         \
    if (const char *error = rat_runtime_check_gpu())                           \
      GTEST_SKIP() << "no usable GPU: " << error;                              \
  } while (false)

TEST(CudaRuntime, ModuleRegistrationNeverAborts) {
  static const char image[] = "not a cubin";
  void *module = mgpuModuleLoad(const_cast<char *>(image), sizeof(image));
  EXPECT_NE(module, nullptr);
  mgpuModuleUnload(module);
  mgpuModuleUnload(nullptr);
}

TEST(CudaRuntime, ReportsMissingDriver) {
  if (driverPresent())
    GTEST_SKIP() << "a CUDA driver is installed";
  const char *error = rat_runtime_check_gpu();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(
      std::string(error).rfind("no CUDA driver: libcuda.so.1 not found", 0), 0u)
      << error;
  // The message is sticky and the C++ API reports it as an exception.
  EXPECT_STREQ(rat_runtime_check_gpu(), error);
  EXPECT_THROW(rat::cuda::checkGpu(), rat::RatError);
  EXPECT_THROW(rat::cuda::deviceAlloc(16), rat::RatError);
  EXPECT_THROW(rat_cuda_backend()->initialize(0), rat::RatError);
}

TEST(CudaRuntimeDeathTest, CompiledCodeExitsWithMessage) {
  if (driverPresent())
    GTEST_SKIP() << "a CUDA driver is installed";
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(mgpuMemAlloc(16, nullptr, false), ::testing::ExitedWithCode(1),
              "rat runtime: no CUDA driver: libcuda.so.1 not found");
  EXPECT_EXIT(mgpuStreamCreate(), ::testing::ExitedWithCode(1),
              "rat runtime: no CUDA driver");
}

TEST(CudaRuntime, MemoryRoundTrip) {
  REQUIRE_GPU();
  const size_t count = 1000;
  void *device = mgpuMemAlloc(count * 4, nullptr, false);
  ASSERT_NE(device, nullptr);
  mgpuMemset32(device, 0x3f800000u, count, nullptr); // 1.0f
  std::vector<float> host(count, 0);
  mgpuMemcpy(host.data(), device, count * 4, nullptr);
  rat::cuda::synchronize();
  EXPECT_EQ(host[0], 1.0f);
  EXPECT_EQ(host[count - 1], 1.0f);
  mgpuMemset16(device, 0x4000u, 2 * count, nullptr); // bf16 2.0 pairs
  rat::cuda::copyDeviceToHost(host.data(), device, count * 4);
  EXPECT_EQ(host[5], 2.0f + 1.0f / 256); // 0x40004000
  mgpuMemFree(device, nullptr);
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, false), nullptr);
  mgpuMemFree(nullptr, nullptr);

  void *managed = mgpuMemAlloc(64, nullptr, true);
  ASSERT_NE(managed, nullptr);
  mgpuMemset32(managed, 7, 16, nullptr);
  rat::cuda::synchronize();
  EXPECT_EQ(static_cast<unsigned *>(managed)[15], 7u);
  mgpuMemFree(managed, nullptr);
}

TEST(CudaRuntime, StreamOrderedAllocationAndEvents) {
  REQUIRE_GPU();
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr);
  void *device = mgpuMemAlloc(4096, stream, false);
  mgpuMemset32(device, 42, 1024, stream);
  void *event = mgpuEventCreate();
  mgpuEventRecord(event, stream);
  void *other = mgpuStreamCreate();
  mgpuStreamWaitEvent(other, event);
  std::vector<unsigned> host(1024, 0);
  mgpuMemcpy(host.data(), device, 4096, other);
  mgpuStreamSynchronize(other);
  mgpuEventSynchronize(event);
  EXPECT_EQ(host[1023], 42u);
  mgpuMemFree(device, stream);
  mgpuStreamSynchronize(stream);
  mgpuEventDestroy(event);
  mgpuStreamDestroy(other);
  mgpuStreamDestroy(stream);
}

/// Launches axpy on n elements; returns out.
std::vector<float> runAxpy(void *function, int32_t smem, bool cluster,
                           void *stream = nullptr) {
  const unsigned n = 1000;
  std::vector<float> x(n), y(n), out(n, 0);
  for (unsigned i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = 1.0f;
  }
  void *dx = rat::cuda::deviceAlloc(n * 4);
  void *dy = rat::cuda::deviceAlloc(n * 4);
  void *dout = rat::cuda::deviceAlloc(n * 4);
  rat::cuda::copyHostToDevice(dx, x.data(), n * 4);
  rat::cuda::copyHostToDevice(dy, y.data(), n * 4);
  unsigned count = n;
  void *params[] = {&dx, &dy, &dout, &count};
  if (cluster)
    mgpuLaunchClusterKernel(function, 2, 1, 1, 8, 1, 1, 128, 1, 1, smem, stream,
                            params, nullptr);
  else
    mgpuLaunchKernel(function, 8, 1, 1, 128, 1, 1, smem, stream, params,
                     nullptr, 4);
  rat::cuda::synchronize();
  rat::cuda::copyDeviceToHost(out.data(), dout, n * 4);
  rat::cuda::deviceFree(dx);
  rat::cuda::deviceFree(dy);
  rat::cuda::deviceFree(dout);
  return out;
}

TEST(CudaRuntime, LaunchesPtxKernels) {
  REQUIRE_GPU();
  void *module = mgpuModuleLoadJIT(const_cast<char *>(axpyPtx(false)), 2);
  ASSERT_EQ(rat_runtime_check_gpu(), nullptr);
  void *function = mgpuModuleGetFunction(module, "axpy");
  EXPECT_EQ(mgpuModuleGetFunction(module, "axpy"), function);
  std::vector<float> out = runAxpy(function, 0, false);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[999], 1999.0f);
  // More than 48 KiB of dynamic shared memory needs the opt-in attribute.
  out = runAxpy(function, 64 * 1024, false);
  EXPECT_EQ(out[10], 21.0f);
  mgpuModuleUnload(module);
}

TEST(CudaRuntime, LaunchesClusters) {
  REQUIRE_GPU();
  std::string device = rat::cuda::deviceDescription();
  if (device.find("sm_9") == std::string::npos &&
      device.find("sm_10") == std::string::npos &&
      device.find("sm_12") == std::string::npos)
    GTEST_SKIP() << "clusters need sm_90+: " << device;
  void *module = mgpuModuleLoadJIT(const_cast<char *>(axpyPtx(true)), 3);
  ASSERT_EQ(rat_runtime_check_gpu(), nullptr);
  void *function = mgpuModuleGetFunction(module, "axpy");
  std::vector<float> out = runAxpy(function, 0, true);
  EXPECT_EQ(out[999], 1999.0f);
  mgpuModuleUnload(module);
}

TEST(CudaRuntime, CapturesCompiledStyleCodeIntoAGraph) {
  REQUIRE_GPU();
  void *module = mgpuModuleLoadJIT(const_cast<char *>(axpyPtx(false)), 2);
  ASSERT_EQ(rat_runtime_check_gpu(), nullptr);
  void *function = mgpuModuleGetFunction(module, "axpy");
  void *captureStream = rat::cuda::createStream();
  const unsigned n = 256;
  std::vector<float> ones(n, 1.0f), out(n, 0);
  void *dx = rat::cuda::deviceAlloc(n * 4);
  void *dy = rat::cuda::deviceAlloc(n * 4);
  rat::cuda::copyHostToDevice(dx, ones.data(), n * 4);
  rat::cuda::copyHostToDevice(dy, ones.data(), n * 4);
  unsigned count = n;
  void *params[] = {&dx, &dy, &dy, &count};

  rat::cuda::setStreamOverride(captureStream);
  rat::cuda::beginCapture(captureStream);
  // What gpu-to-llvm emits for a synchronous gpu.launch_func.
  void *stream = mgpuStreamCreate();
  EXPECT_EQ(stream, captureStream);
  mgpuLaunchKernel(function, 1, 1, 1, n, 1, 1, 0, stream, params, nullptr, 4);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  void *graph = rat::cuda::endCaptureAndInstantiate(captureStream);
  rat::cuda::setStreamOverride(nullptr);

  // Nothing ran during capture; each replay adds 2 * x.
  rat::cuda::launchGraph(graph, captureStream);
  rat::cuda::launchGraph(graph, captureStream);
  rat::cuda::synchronize();
  rat::cuda::copyDeviceToHost(out.data(), dy, n * 4);
  EXPECT_EQ(out[0], 5.0f);
  EXPECT_EQ(out[n - 1], 5.0f);
  rat::cuda::destroyGraphExec(graph);
  rat::cuda::destroyStream(captureStream);
  rat::cuda::deviceFree(dx);
  rat::cuda::deviceFree(dy);
  mgpuModuleUnload(module);
}

TEST(CudaRuntime, TimesWithEvents) {
  REQUIRE_GPU();
  rat::DeviceBackend *backend = rat_cuda_backend();
  backend->initialize(-1);
  EXPECT_NE(backend->deviceDescription().find("sm_"), std::string::npos);
  std::unique_ptr<rat::DeviceTimer> timer = backend->createTimer();
  timer->start();
  void *buffer = backend->allocate(1 << 20);
  backend->fillZero(buffer, 1 << 20);
  double ms = timer->stopMs();
  EXPECT_GE(ms, 0.0);
  backend->deallocate(buffer);
}

TEST(CudaRuntimeDeathTest, ReportsKernelErrors) {
  REQUIRE_GPU();
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(
      {
        void *module = mgpuModuleLoadJIT(const_cast<char *>(axpyPtx(false)), 2);
        mgpuModuleGetFunction(module, "no_such_kernel");
      },
      ::testing::ExitedWithCode(1),
      "rat runtime: cuModuleGetFunction failed: .*kernel 'no_such_kernel'");
  EXPECT_EXIT(
      {
        void *module = mgpuModuleLoadJIT(const_cast<char *>(axpyPtx(false)), 2);
        void *function = mgpuModuleGetFunction(module, "axpy");
        // Too many threads per block.
        mgpuLaunchKernel(function, 1, 1, 1, 4096, 1, 1, 0, nullptr, nullptr,
                         nullptr, 0);
      },
      ::testing::ExitedWithCode(1),
      "rat runtime: cuLaunchKernel failed: .*kernel 'axpy'");
  EXPECT_EXIT(
      {
        static const char bad[] = ".version 7.0\n.target sm_70\nnot ptx";
        mgpuModuleLoadJIT(const_cast<char *>(bad), 2);
        const char *error = rat_runtime_check_gpu();
        fprintf(stderr, "%s\n", error ? error : "(none)");
        exit(1);
      },
      ::testing::ExitedWithCode(1), "cuModuleLoadDataEx \\(PTX JIT\\) failed");
}

} // namespace
