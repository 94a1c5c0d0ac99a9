//===- CudaExecutionTest.cpp - Process stream and graphs of decode steps --===//
//
// DeviceExecution (the generic main's view of the CUDA runtime) driven like
// RuntimeMain's DecodeStepper drives it, over code shaped like gpu-to-llvm
// output: an eager step, a dry capture and a kept capture at two positions,
// the position parameter found and rewritten for replays, temporaries kept
// for the graph, and a step that cannot be captured.
//
// Needs a GPU, or the simulated driver of test/Runtime/fake_libcuda.c (the
// test exports host versions of its kernels for it; test/Runtime/
// fake_driver.test runs it that way); skipped otherwise.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/DeviceExecution.h"
#include "rat/Runtime/Cuda.h"
#include "rat/Runtime/DeviceBackend.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <string>
#include <vector>

extern "C" void *_mlir_memref_to_llvm_alloc(size_t sizeBytes);
extern "C" void _mlir_memref_to_llvm_free(void *ptr);

namespace {

/// out[i] = position * 10 + i; dst[i] = src[i] (n elements of i64).
const char kernelsPtx[] = R"(
.version 7.0
.target sm_70
.address_size 64
.visible .entry put_position(.param .u64 pout, .param .u64 ppos,
                             .param .u64 pn)
{
  .reg .pred %p<2>;
  .reg .b32 %r<5>;
  .reg .b64 %rd<10>;
  ld.param.u64 %rd1, [pout];
  ld.param.u64 %rd2, [ppos];
  ld.param.u64 %rd3, [pn];
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %ntid.x;
  mov.u32 %r3, %tid.x;
  mad.lo.s32 %r4, %r1, %r2, %r3;
  cvt.u64.u32 %rd4, %r4;
  setp.ge.u64 %p1, %rd4, %rd3;
  @%p1 bra PUT_DONE;
  cvta.to.global.u64 %rd1, %rd1;
  mul.lo.s64 %rd5, %rd2, 10;
  add.s64 %rd6, %rd5, %rd4;
  shl.b64 %rd7, %rd4, 3;
  add.s64 %rd8, %rd1, %rd7;
  st.global.u64 [%rd8], %rd6;
PUT_DONE:
  ret;
}
.visible .entry copy_i64(.param .u64 pdst, .param .u64 psrc, .param .u64 pn)
{
  .reg .pred %p<2>;
  .reg .b32 %r<5>;
  .reg .b64 %rd<10>;
  ld.param.u64 %rd1, [pdst];
  ld.param.u64 %rd2, [psrc];
  ld.param.u64 %rd3, [pn];
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %ntid.x;
  mov.u32 %r3, %tid.x;
  mad.lo.s32 %r4, %r1, %r2, %r3;
  cvt.u64.u32 %rd4, %r4;
  setp.ge.u64 %p1, %rd4, %rd3;
  @%p1 bra COPY_DONE;
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  shl.b64 %rd5, %rd4, 3;
  add.s64 %rd6, %rd1, %rd5;
  add.s64 %rd7, %rd2, %rd5;
  ld.global.u64 %rd8, [%rd7];
  st.global.u64 [%rd6], %rd8;
COPY_DONE:
  ret;
}
)";

} // namespace

// Host versions of the kernels for fake_libcuda.c (found with dlsym).
extern "C" {
extern const unsigned fake_kernel_put_position_params[];
const unsigned fake_kernel_put_position_params[] = {8, 8, 8, 0};
void fake_kernel_put_position(const unsigned grid[3], const unsigned block[3],
                              void **params) {
  int64_t *out = *static_cast<int64_t **>(params[0]);
  int64_t position = *static_cast<int64_t *>(params[1]);
  uint64_t n = *static_cast<uint64_t *>(params[2]);
  for (uint64_t i = 0; i < uint64_t(grid[0]) * block[0] && i < n; ++i)
    out[i] = position * 10 + static_cast<int64_t>(i);
}
extern const unsigned fake_kernel_copy_i64_params[];
const unsigned fake_kernel_copy_i64_params[] = {8, 8, 8, 0};
void fake_kernel_copy_i64(const unsigned grid[3], const unsigned block[3],
                          void **params) {
  int64_t *dst = *static_cast<int64_t **>(params[0]);
  const int64_t *src = *static_cast<int64_t **>(params[1]);
  uint64_t n = *static_cast<uint64_t *>(params[2]);
  for (uint64_t i = 0; i < uint64_t(grid[0]) * block[0] && i < n; ++i)
    dst[i] = src[i];
}
}

namespace {

/// What compiled code does for one decode step: a temporary, one stream per
/// launch (created, synchronised, destroyed), the position by value.
void compiledStep(void *module, int64_t position, void *out) {
  uint64_t n = 4;
  void *tmp = _mlir_memref_to_llvm_alloc(n * 8);
  void *put = mgpuModuleGetFunction(module, "put_position");
  void *copy = mgpuModuleGetFunction(module, "copy_i64");
  void *stream = mgpuStreamCreate();
  void *putParams[] = {&tmp, &position, &n};
  mgpuLaunchKernel(put, 1, 1, 1, 32, 1, 1, 0, stream, putParams, nullptr, 3);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  stream = mgpuStreamCreate();
  void *copyParams[] = {&out, &tmp, &n};
  mgpuLaunchKernel(copy, 1, 1, 1, 32, 1, 1, 0, stream, copyParams, nullptr, 3);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  _mlir_memref_to_llvm_free(tmp);
}

/// Leaves the process without a stream override, whatever happens.
struct OverrideReset {
  ~OverrideReset() { rat::cuda::setStreamOverride(nullptr); }
};

std::vector<int64_t> row(int64_t position) {
  return {position * 10, position * 10 + 1, position * 10 + 2,
          position * 10 + 3};
}

TEST(CudaExecution, CapturesStepsAndRewritesThePosition) {
  if (const char *error = rat_runtime_check_gpu())
    GTEST_SKIP() << "no usable GPU: " << error;
  void *module = mgpuModuleLoadJIT(const_cast<char *>(kernelsPtx), 2);
  ASSERT_EQ(rat_runtime_check_gpu(), nullptr);
  rat::DeviceBackend *backend = rat_cuda_backend();
  rat::DeviceExecution *execution = rat_cuda_execution();
  ASSERT_NE(execution, nullptr);
  OverrideReset reset;
  execution->useProcessStream();
  if (std::string missing = execution->graphSupport(); !missing.empty())
    GTEST_SKIP() << missing;
  void *out = backend->allocate(32);
  auto read = [&] {
    std::vector<int64_t> values(4);
    backend->copyToHost(values.data(), out, 32);
    return values;
  };

  // Eager: the compiled code's synchronisations are no-ops; one at the end.
  std::string first;
  uint64_t before = execution->uncapturableOperations(first);
  compiledStep(module, 2, out);
  execution->synchronize();
  EXPECT_EQ(read(), row(2));
  EXPECT_EQ(execution->uncapturableOperations(first), before) << first;

  // A dry capture at 5 and a kept one at 9: nothing runs.
  execution->beginCapture();
  compiledStep(module, 5, out);
  rat::CaptureResult dry = execution->endCapture(false, "unused");
  ASSERT_EQ(dry.error, "");
  EXPECT_EQ(dry.graph, nullptr);
  execution->beginCapture();
  compiledStep(module, 9, out);
  rat::CaptureResult kept = execution->endCapture(true, "the test graph");
  ASSERT_EQ(kept.error, "");
  ASSERT_NE(kept.graph, nullptr);
  EXPECT_EQ(read(), row(2));
  ASSERT_EQ(kept.log.launches.size(), 2u);
  EXPECT_EQ(kept.log.launches[0].name, "put_position");
  ASSERT_EQ(kept.log.launches[0].params.size(), 3u);
  EXPECT_EQ(kept.log.launches[0].params[1].size(), 8u);
  ASSERT_EQ(kept.log.allocations.size(), 1u);

  std::vector<rat::PositionSlot> slots;
  std::string why;
  ASSERT_TRUE(rat::findPositionSlots(dry.log, 5, kept.log, 9, slots, why))
      << why;
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].launch, 0u);
  EXPECT_EQ(slots[0].param, 1u);

  // Replays: as captured, then with the position rewritten.
  kept.graph->launch();
  execution->synchronize();
  EXPECT_EQ(read(), row(9));
  std::vector<std::vector<uint8_t>> params = kept.log.launches[0].params;
  for (int64_t position : {6, 7}) {
    rat::setPositionSlot(params, slots[0], position);
    kept.graph->setKernelParams(0, params);
    kept.graph->launch();
  }
  execution->synchronize();
  EXPECT_EQ(read(), row(7));

  // The graph's temporary is reserved for it while it lives.
  auto *temporary = reinterpret_cast<void *>(kept.log.allocations[0].address);
  void *other = _mlir_memref_to_llvm_alloc(32);
  EXPECT_NE(other, temporary);
  _mlir_memref_to_llvm_free(other);
  kept.graph.reset();

  // A step that waits for the host cannot be captured: the capture says so
  // instead of exiting, and the stream keeps working.
  execution->beginCapture();
  compiledStep(module, 1, out);
  mgpuStreamSynchronize(nullptr);
  rat::CaptureResult bad = execution->endCapture(true, "unused");
  EXPECT_NE(bad.error.find("synchronises a stream"), std::string::npos)
      << bad.error;
  EXPECT_EQ(bad.graph, nullptr);
  compiledStep(module, 3, out);
  execution->synchronize();
  EXPECT_EQ(read(), row(3));

  // Eagerly, such operations are counted (the main then uses no graph).
  before = execution->uncapturableOperations(first);
  int64_t host[4] = {0, 0, 0, 0};
  mgpuMemcpy(host, out, sizeof(host), nullptr);
  mgpuStreamSynchronize(nullptr);
  EXPECT_EQ(host[3], 33);
  EXPECT_GT(execution->uncapturableOperations(first), before);
  EXPECT_EQ(first, "a copy between host and device memory (mgpuMemcpy)");

  backend->deallocate(out);
  mgpuModuleUnload(module);
}

} // namespace
