//===- ArgmaxTest.cpp - The greedy argmax routine, run on the host --------===//
//
// buildArgmax (rat/Compiler/Argmax.h) on its own: a function of one argmax
// is lowered with rat-to-cpu, JIT-compiled and run on rows with ties inside
// and across lanes, -inf and NaN, for the one-stage (V <= 128, V not a
// multiple of 128, dynamic V) and the two-stage (V a multiple of 128) forms,
// against the first maximum computed here.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/Argmax.h"
#include "rat/Compiler/Compiler.h"
#include "rat/InitAll.h"
#include "rat/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <mutex>
#include <random>
#include <vector>

using namespace mlir;
using namespace mlir::rat;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// The first index of the maximum of each row, NaN never a maximum, 0 for a
/// row without one.
std::vector<int32_t> referenceArgmax(const std::vector<float> &data,
                                     int64_t rows, int64_t cols) {
  std::vector<int32_t> result(rows, 0);
  for (int64_t r = 0; r < rows; ++r) {
    float best = -kInf;
    for (int64_t c = 0; c < cols; ++c)
      if (data[r * cols + c] > best) {
        best = data[r * cols + c];
        result[r] = static_cast<int32_t>(c);
      }
  }
  return result;
}

/// `func @argmax(tensor<rows x cols x f32>) -> tensor<rows x i32>` around
/// buildArgmax; `dynamic` makes both sizes dynamic.
OwningOpRef<ModuleOp> buildModule(MLIRContext &context, int64_t rows,
                                  int64_t cols, bool dynamic) {
  OpBuilder b(&context);
  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  int64_t dyn = ShapedType::kDynamic;
  auto inType = RankedTensorType::get(
      {dynamic ? dyn : rows, dynamic ? dyn : cols}, b.getF32Type());
  auto outType = RankedTensorType::get({dynamic ? dyn : rows}, b.getI32Type());
  auto func = func::FuncOp::create(b, loc, "argmax",
                                   b.getFunctionType({inType}, {outType}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value indices = buildArgmax(b, loc, entry->getArgument(0));
  func::ReturnOp::create(b, loc, indices);
  return module;
}

/// The linalg reductions of the argmax of `cols` columns.
int countReductions(int64_t cols) {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = buildModule(context, 2, cols, false);
  int reductions = 0;
  module->walk([&](linalg::GenericOp op) {
    reductions += op.getNumReductionLoops() > 0;
  });
  return reductions;
}

/// Lowers the argmax with rat-to-cpu, JIT-compiles it and runs it on `data`.
std::vector<int32_t> runArgmax(const std::vector<float> &data, int64_t rows,
                               int64_t cols, bool dynamic = false) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    rat::registerAllPasses();
  });
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = buildModule(context, rows, cols, dynamic);
  EXPECT_TRUE(succeeded(verify(*module)));
  PassManager pm(&context);
  buildRatToCPUPipeline(pm, RatPipelineOptions());
  if (failed(pm.run(*module))) {
    ADD_FAILURE() << "rat-to-cpu failed";
    return {};
  }
  std::function<llvm::Error(llvm::Module *)> optimize =
      makeOptimizingTransformer(2, 0, nullptr);
  ExecutionEngineOptions options;
  options.transformer = optimize;
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine) {
    ADD_FAILURE() << llvm::toString(engine.takeError());
    return {};
  }
  auto symbol = (*engine)->lookup("_mlir_ciface_argmax");
  if (!symbol) {
    ADD_FAILURE() << llvm::toString(symbol.takeError());
    return {};
  }
  using Fn =
      void (*)(StridedMemRefType<int32_t, 1> *, StridedMemRefType<float, 2> *);
  auto fn = reinterpret_cast<Fn>(*symbol);
  std::vector<float> input = data;
  StridedMemRefType<float, 2> in{
      input.data(), input.data(), 0, {rows, cols}, {cols, 1}};
  StridedMemRefType<int32_t, 1> out{};
  fn(&out, &in);
  std::vector<int32_t> result(out.data + out.offset,
                              out.data + out.offset + rows);
  // The result is a fresh buffer the caller owns (malloc on the CPU).
  std::free(out.basePtr);
  return result;
}

/// Random rows, then the special cases written into rows 0..3.
std::vector<float> rowsWithTies(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
  std::vector<float> data(rows * cols);
  for (float &value : data)
    value = uniform(generator);
  auto row = [&](int64_t r) { return data.begin() + r * cols; };
  // Row 0: one maximum at the last column.
  row(0)[cols - 1] = 10.0f;
  // Row 1: the same maximum at a column and at another one lane
  // (kArgmaxLanes) further: the first wins.
  int64_t a = 5 % cols, b = std::min<int64_t>(a + kArgmaxLanes, cols - 1);
  row(1)[a] = 9.0f;
  row(1)[b] = 9.0f;
  // Row 2: ties in different lanes, the later column in the earlier lane.
  int64_t early = std::min<int64_t>(3, cols - 1);
  int64_t late = std::min<int64_t>(kArgmaxLanes + 1, cols - 1);
  row(2)[late] = 8.0f;
  row(2)[early] = 8.0f;
  // Row 3: NaN before the maximum, and -inf elsewhere.
  std::fill(row(3), row(3) + cols, -kInf);
  row(3)[0] = std::nanf("");
  row(3)[cols / 2] = 1.0f;
  return data;
}

class ArgmaxTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(ArgmaxTest, FirstMaximumOfEveryRow) {
  int64_t cols = GetParam(), rows = 6;
  std::vector<float> data = rowsWithTies(rows, cols, /*seed=*/cols);
  EXPECT_EQ(runArgmax(data, rows, cols), referenceArgmax(data, rows, cols));
}

TEST_P(ArgmaxTest, DynamicShape) {
  int64_t cols = GetParam(), rows = 5;
  std::vector<float> data = rowsWithTies(rows, cols, /*seed=*/cols + 1);
  EXPECT_EQ(runArgmax(data, rows, cols, /*dynamic=*/true),
            referenceArgmax(data, rows, cols));
}

// One stage (7, 100, 128) and two stages (256, 384, 32000 as a vocabulary).
INSTANTIATE_TEST_SUITE_P(Widths, ArgmaxTest,
                         ::testing::Values(7, 100, 128, 256, 384, 32000));

TEST(ArgmaxStructure, TwoStagesOnlyForWholeLanes) {
  EXPECT_EQ(countReductions(100), 1);
  EXPECT_EQ(countReductions(kArgmaxLanes), 1);
  EXPECT_EQ(countReductions(3 * kArgmaxLanes), 2);
}

TEST(ArgmaxEdgeCases, RowsWithoutAMaximumGiveZero) {
  std::vector<float> data = {-kInf,         -kInf,         -kInf,
                             std::nanf(""), std::nanf(""), std::nanf("")};
  EXPECT_EQ(runArgmax(data, 2, 3), (std::vector<int32_t>{0, 0}));
}

} // namespace
