//===- SessionTest.cpp - The session API without the command line --------===//
//
// A hand-written model (a manifest and an entry on the packed convention)
// driven through Session, DecodeStepper and the checkpoint check on the host
// backend, the way a library client would: weights from a checkpoint, state
// carried between calls by name, errors naming the value.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Session.h"
#include "rat/Runtime/Checkpoint.h"
#include "rat/Runtime/DecodeStepper.h"
#include "rat/Runtime/Device.h"

#include "TestUtil.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace rat;
using namespace rat::test;

namespace {

const char *const kManifest = "rat-manifest 1\n"
                              "model function\n"
                              "target cpu\n"
                              "dtype f32\n"
                              "entry step\n"
                              "arg input x f32 B,2\n"
                              "arg weight w f32 2\n"
                              "arg state acc f32 B,2\n"
                              "arg index position\n"
                              "result output y f32 B,2\n"
                              "result state acc f32 B,2\n"
                              "end\n";

/// Memref descriptor of rank 2: {allocated, aligned, offset, sizes, strides}.
struct MemRef2 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// acc' = acc + w * x + position; y = acc' (a separate buffer). Results are
/// malloc'ed, as compiled CPU code returns them.
void step(void **args) {
  auto *x = static_cast<MemRef2 *>(args[1]);
  auto *w = static_cast<MemRef2 *>(args[2]); // rank 1: sizes[1] is a stride
  auto *acc = static_cast<MemRef2 *>(args[3]);
  int64_t position = *static_cast<int64_t *>(args[4]);
  int64_t rows = x->sizes[0];
  auto *newAcc = static_cast<float *>(std::malloc(rows * 2 * sizeof(float)));
  auto *y = static_cast<float *>(std::malloc(rows * 2 * sizeof(float)));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < 2; ++c) {
      float value = acc->aligned[r * 2 + c] +
                    w->aligned[c] * x->aligned[r * 2 + c] +
                    static_cast<float>(position);
      newAcc[r * 2 + c] = value;
      y[r * 2 + c] = value;
    }
  auto *results = static_cast<int64_t *>(args[0]);
  for (float *buffer : {y, newAcc}) {
    int64_t words[7] = {reinterpret_cast<int64_t>(buffer),
                        reinterpret_cast<int64_t>(buffer),
                        0,
                        rows,
                        2,
                        2,
                        1};
    std::memcpy(results, words, sizeof(words));
    results += 7;
  }
}

const RatEntry kEntries[] = {{"step", step}};

/// Writes a checkpoint with `w` = [2, 3] (and `extra` when asked).
std::string writeCheckpoint(const std::string &name, bool extra) {
  std::string header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  std::string data = rawBytes(std::vector<float>{2, 3});
  if (extra) {
    header += R"(,"bogus":{"dtype":"F32","shape":[1],"data_offsets":[8,12]})";
    data += rawBytes(std::vector<float>{0});
  }
  header += "}";
  std::vector<uint8_t> bytes = makeSafetensors(header, data);
  std::string path = tempPath(name, ".safetensors");
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

class SessionTest : public ::testing::Test {
protected:
  Manifest manifest = parseManifest(kManifest);
  Device device = openDevice(Target::Cpu);
  Session session{manifest, kEntries, 1, device};
  const EntrySpec &entry = *manifest.findEntry("step");

  CallInputs input(std::vector<float> values, int64_t position) {
    HostTensor x(DType::F32, {2, 2});
    std::memcpy(x.data(), values.data(), values.size() * sizeof(float));
    CallInputs inputs;
    inputs.tensors["x"] = session.upload(std::move(x));
    inputs.indices["position"] = position;
    return inputs;
  }

  std::vector<float> values(const Tensor &tensor) {
    HostTensor host = session.download(tensor);
    const float *data = host.dataAs<float>();
    return std::vector<float>(data, data + host.numElements());
  }
};

TEST_F(SessionTest, CarriesStateBetweenCalls) {
  std::string path = writeCheckpoint("session", /*extra=*/false);
  session.loadWeights(path, {&entry});
  std::remove(path.c_str());
  StatePool states;
  // The first call starts from zero state.
  std::vector<Tensor> first =
      session.call(entry, input({1, 1, 1, 1}, 0), states);
  EXPECT_EQ(values(first[0]), (std::vector<float>{2, 3, 2, 3}));
  std::vector<Tensor> second =
      session.call(entry, input({1, 2, 3, 4}, 10), states);
  EXPECT_EQ(values(second[0]), (std::vector<float>{14, 19, 18, 25}));
  EXPECT_EQ(values(states.at("acc")), values(second[0]));
}

TEST_F(SessionTest, StepperRunsEagerStepsOnTheHost) {
  std::string path = writeCheckpoint("stepper", /*extra=*/false);
  session.loadWeights(path, {&entry});
  std::remove(path.c_str());
  DecodeStepper stepper(session, entry, 0, 2);
  StatePool states;
  std::vector<float> y;
  for (int64_t position = 0; position < 3; ++position)
    y = values(stepper.step(input({1, 1, 1, 1}, position), states)[0]);
  stepper.finish();
  EXPECT_FALSE(stepper.replaying());
  // acc = 3 * w + (0 + 1 + 2).
  EXPECT_EQ(y, (std::vector<float>{9, 12, 9, 12}));
}

TEST_F(SessionTest, CheckpointPolicyNamesUnusedTensors) {
  std::string path = writeCheckpoint("extra", /*extra=*/true);
  CheckpointPolicy policy;
  policy.unusedTensorHint = "; how to accept it";
  EXPECT_TRUE(failsWith(
      [&] { session.loadWeights(path, {&entry}, policy); },
      {"tensor 'bogus' is not used by the model", "; how to accept it"}));
  policy.allowUnusedTensors = true;
  session.loadWeights(path, {&entry}, policy);
  std::string error;
  EXPECT_FALSE(checkCheckpointFile(path, {entry.args[1]}, error));
  EXPECT_NE(error.find("'bogus' is not used"), std::string::npos) << error;
  std::remove(path.c_str());
}

TEST_F(SessionTest, CallNamesTheValueWithTheWrongShape) {
  std::string path = writeCheckpoint("shape", /*extra=*/false);
  session.loadWeights(path, {&entry});
  std::remove(path.c_str());
  StatePool states;
  CallInputs inputs = input({1, 1, 1, 1}, 0);
  inputs.tensors["x"].shape = {4, 1};
  EXPECT_TRUE(failsWith([&] { session.call(entry, inputs, states); },
                        {"entry 'step': ", "input 'x'", "expected [B, 2]"}));
}

TEST_F(SessionTest, WeightsMustBeLoaded) {
  StatePool states;
  EXPECT_TRUE(failsWith(
      [&] {
        session.call(entry, input({1, 1, 1, 1}, 0), states);
      },
      {"weight 'w' was not loaded"}));
}

} // namespace
