//===- ManifestTest.cpp - Manifest parser tests ---------------------------===//

#include "rat/Runtime/Manifest.h"

#include "TestUtil.h"

using namespace rat;
using rat::test::failsWith;

namespace {

const char *ratLayerManifest = R"(rat-manifest 1
model rat_layer              # rat_layer | lm | function
target cpu
dtype f32
param chunk_size 16
param vocab_size 512
entry prefill
arg input x f32 B,T,256
arg weight input_norm.weight f32 256
result output y f32 B,T,256
end
entry decode
arg input x f32 B,1,256
arg weight input_norm.weight f32 256
arg index position
arg state scan_v f32 B,256
result output y f32 B,1,256
result state scan_v f32 B,256
end
)";

const char *lmManifest = R"(rat-manifest 1
model lm
target cuda
dtype bf16
param vocab_size 300
param max_seq_len 128
entry prefill
arg input tokens i32 B,T
arg input lengths i32 B
arg weight embedding.weight bf16 300,64
result output logits f32 B,T,300
result state gen.logits f32 B,300
result state gen.position i32 B
result state cache bf16 B,8,64
end
entry decode
arg state_inout gen.logits f32 B,300
arg state_inout gen.position i32 B
arg state_inout gen.finished i32 B
arg state_inout gen.temperature f32 B
arg state_inout gen.top_k i32 B
arg state_inout gen.top_p f32 B
arg state_inout gen.seed i64 B
arg state_inout gen.eos i32 B,E
arg state_inout cache bf16 B,8,64
arg weight embedding.weight bf16 300,64
result output token i32 B
end
)";

TEST(Manifest, ParsesRatLayer) {
  Manifest manifest = parseManifest(ratLayerManifest);
  EXPECT_EQ(manifest.kind, ModelKind::RatLayer);
  EXPECT_EQ(manifest.target, Target::Cpu);
  EXPECT_EQ(manifest.dtype, DType::F32);
  ASSERT_EQ(manifest.params.size(), 2u);
  EXPECT_EQ(*manifest.findParam("chunk_size"), "16");
  EXPECT_EQ(manifest.intParam("vocab_size"), 512);
  EXPECT_FALSE(manifest.intParam("max_seq_len"));
  ASSERT_EQ(manifest.entries.size(), 2u);
  const EntrySpec *decode = manifest.findEntry("decode");
  ASSERT_NE(decode, nullptr);
  ASSERT_EQ(decode->args.size(), 4u);
  const ValueSpec &x = decode->args[0];
  EXPECT_EQ(x.role, Role::Input);
  EXPECT_EQ(x.name, "x");
  ASSERT_EQ(x.rank(), 3);
  EXPECT_EQ(x.dims[0].symbol, "B");
  EXPECT_FALSE(x.dims[1].isSymbolic());
  EXPECT_EQ(x.dims[1].size, 1);
  EXPECT_EQ(x.dims[2].size, 256);
  EXPECT_EQ(decode->args[1].name, "input_norm.weight");
  EXPECT_EQ(decode->args[2].role, Role::Index);
  EXPECT_EQ(decode->findArg(Role::State, "scan_v"), 3);
  EXPECT_EQ(decode->findResult(Role::State), 1);
  EXPECT_EQ(formatDims(x.dims), "[B, 1, 256]");
}

TEST(Manifest, ParsesLm) {
  Manifest manifest = parseManifest(lmManifest);
  EXPECT_EQ(manifest.kind, ModelKind::Lm);
  EXPECT_EQ(manifest.target, Target::Cuda);
  EXPECT_EQ(manifest.dtype, DType::BF16);
  EXPECT_EQ(manifest.intParam("max_seq_len"), 128);
  const EntrySpec *prefill = manifest.findEntry("prefill");
  ASSERT_NE(prefill, nullptr);
  EXPECT_EQ(prefill->findArg(Role::Input, "lengths"), 1);
  EXPECT_EQ(prefill->findResult(Role::State, "gen.logits"), 1);
  EXPECT_EQ(prefill->results[3].type, DType::BF16);
  const EntrySpec *decode = manifest.findEntry("decode");
  ASSERT_NE(decode, nullptr);
  EXPECT_EQ(decode->findResult(Role::Output, "token"), 0);
  EXPECT_EQ(decode->countArgs(Role::State), 9);
  EXPECT_EQ(decode->countArgs(Role::Index), 0);
}

TEST(Manifest, ParsesFunctionWithScalarsAndRankZero) {
  Manifest manifest = parseManifest("rat-manifest 1\r\n"
                                    "model function\n"
                                    "target cpu\n"
                                    "dtype f32\n"
                                    "param ffn gelu(erf)  4*d, no bias\n"
                                    "  entry f   # comment\n"
                                    "arg input a i64 -\n"
                                    "arg index n\n"
                                    "result output r f16 N,2\n"
                                    "result output s f32 ?,?\n"
                                    "end\n"
                                    "entry g\n"
                                    "end");
  ASSERT_EQ(manifest.entries.size(), 2u);
  EXPECT_EQ(manifest.entries[0].args[0].rank(), 0);
  EXPECT_EQ(manifest.entries[0].args[0].type, DType::I64);
  EXPECT_TRUE(manifest.entries[1].args.empty());
  EXPECT_EQ(*manifest.findParam("ffn"), "gelu(erf) 4*d, no bias");
  const ValueSpec &wild = manifest.entries[0].results[1];
  ASSERT_EQ(wild.rank(), 2);
  EXPECT_TRUE(wild.dims[0].isWildcard());
  EXPECT_EQ(formatDims(wild.dims), "[?, ?]");
}

/// Replaces the first occurrence of `from` in `text` with `to`.
std::string edit(const char *text, const std::string &from,
                 const std::string &to) {
  std::string result = text;
  size_t pos = result.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos)
    result.replace(pos, from.size(), to);
  return result;
}

TEST(Manifest, ReportsSyntaxErrorsWithLineNumbers) {
  struct Case {
    std::string text;
    std::vector<std::string> message;
  } cases[] = {
      {"", {"empty manifest"}},
      {"# only a comment\n", {"empty manifest"}},
      {"rat-manifest 2\n", {"line 1", "unsupported manifest version '2'"}},
      {"model lm\n", {"line 1", "expected 'rat-manifest 1' first"}},
      {edit(ratLayerManifest, "model rat_layer", "model transformer"),
       {"line 2", "unknown model kind 'transformer'"}},
      {edit(ratLayerManifest, "target cpu", "target rocm"),
       {"line 3", "unknown target 'rocm'"}},
      {edit(ratLayerManifest, "dtype f32", "dtype i32"),
       {"line 4", "unknown dtype 'i32'"}},
      {edit(ratLayerManifest, "dtype f32", "dtype f32\ndtype bf16"),
       {"line 5", "duplicate 'dtype'"}},
      {edit(ratLayerManifest, "param chunk_size 16", "param chunk_size"),
       {"line 5", "param KEY VALUE"}},
      {edit(ratLayerManifest, "param vocab_size 512", "param chunk_size 8"),
       {"line 6", "duplicate param 'chunk_size'"}},
      {edit(ratLayerManifest, "arg input x f32 B,T,256",
            "arg input x f99 B,T,256"),
       {"line 8", "unknown type 'f99'"}},
      {edit(ratLayerManifest, "arg input x f32 B,T,256",
            "arg input x f32 B,,256"),
       {"line 8", "bad dimension ''"}},
      {edit(ratLayerManifest, "arg input x f32 B,T,256",
            "arg input x f32 B,-3,256"),
       {"line 8", "bad dimension '-3'"}},
      {edit(ratLayerManifest, "arg input x f32 B,T,256", "arg input x f32"),
       {"line 8", "arg ROLE NAME TYPE DIMS"}},
      {edit(ratLayerManifest, "arg input x f32 B,T,256",
            "arg output x f32 B,T,256"),
       {"line 8", "invalid arg role 'output'"}},
      {edit(ratLayerManifest, "result output y f32 B,T,256",
            "result weight y f32 B,T,256"),
       {"line 10", "invalid result role 'weight'"}},
      {edit(ratLayerManifest, "arg index position", "arg index position f32 -"),
       {"arg index NAME"}},
      {edit(ratLayerManifest, "arg weight input_norm.weight f32 256",
            "arg weight x f32 256"),
       {"line 9", "duplicate arg name 'x'"}},
      {edit(ratLayerManifest, "entry decode", "entry prefill"),
       {"line 12", "duplicate entry 'prefill'"}},
      {edit(ratLayerManifest, "end\nentry decode", "entry decode"),
       {"line 11", "'entry' inside entry 'prefill'"}},
      {edit(ratLayerManifest, "model rat_layer", "model rat_layer\nend"),
       {"line 3", "'end' without 'entry'"}},
      {edit(ratLayerManifest, "param chunk_size 16", "arg input z f32 1"),
       {"line 5", "'arg' outside an entry"}},
      {edit(ratLayerManifest, "param chunk_size 16", "chunk 16"),
       {"line 5", "unknown keyword 'chunk'"}},
      {std::string(ratLayerManifest,
                   std::string(ratLayerManifest).rfind("end")),
       {"entry 'decode' is not closed"}},
      {edit(ratLayerManifest, "target cpu\n", ""), {"missing 'target'"}},
      {"rat-manifest 1\nmodel function\ntarget cpu\ndtype f32\n", {"no entry"}},
  };
  for (const Case &c : cases) {
    std::vector<std::string> expected = c.message;
    expected.insert(expected.begin(), "manifest");
    bool ok = false;
    try {
      parseManifest(c.text);
    } catch (const RatError &error) {
      std::string message = error.what();
      ok = true;
      for (const std::string &part : expected)
        ok = ok && message.find(part) != std::string::npos;
      EXPECT_TRUE(ok) << "got '" << message << "' for:\n" << c.text;
      continue;
    }
    ADD_FAILURE() << "no error for:\n" << c.text;
  }
}

TEST(Manifest, ReportsStructuralErrors) {
  struct Case {
    std::string text;
    std::vector<std::string> message;
  } cases[] = {
      {edit(ratLayerManifest, "entry prefill", "entry forward"),
       {"rat_layer needs an entry 'prefill'"}},
      {edit(ratLayerManifest, "arg input x f32 B,T,256", "arg input x f32 B,T"),
       {"entry 'prefill'", "the input must be", "rank 3"}},
      {edit(ratLayerManifest, "result output y f32 B,T,256",
            "result state y f32 B,T,256"),
       {"entry 'prefill'", "missing an output result"}},
      {edit(ratLayerManifest, "arg index position\n", ""),
       {"entry 'decode'", "expected 1 'index' argument, found 0"}},
      {edit(ratLayerManifest, "result state scan_v f32 B,256\n", ""),
       {"entry 'decode'", "takes 1 state arguments but returns 0"}},
      {edit(ratLayerManifest, "result state scan_v f32 B,256",
            "result state scan_k f32 B,256"),
       {"entry 'decode'", "does not match state argument"}},
      {edit(ratLayerManifest, "arg weight input_norm.weight f32 256\narg index",
            "arg weight input_norm.weight f32 128\narg index"),
       {"weight input_norm.weight f32 [128] differs from"}},
      {edit(lmManifest, "arg input tokens i32 B,T", "arg input tokens i64 B,T"),
       {"entry 'prefill'", "input 'tokens' must be i32 of rank 2"}},
      {edit(lmManifest, "arg input tokens i32 B,T", "arg input ids i32 B,T"),
       {"missing input 'tokens'"}},
      {edit(lmManifest, "arg input lengths i32 B\n", ""),
       {"entry 'prefill'", "expected 2 'input'"}},
      {edit(lmManifest, "result state gen.position i32 B\n", ""),
       {"entry 'prefill'", "missing state result 'gen.position'"}},
      {edit(lmManifest, "arg state_inout gen.top_k i32 B",
            "arg state_inout gen.top_k f32 B"),
       {"entry 'decode'", "state 'gen.top_k' must be i32 of rank 1"}},
      {edit(lmManifest, "arg state_inout gen.seed i64 B\n", ""),
       {"entry 'decode'", "missing state argument 'gen.seed'"}},
      {edit(lmManifest, "arg state_inout gen.logits f32 B,300",
            "arg input token i32 B\narg state_inout gen.logits f32 B,300"),
       {"entry 'decode'", "expected 0 'input'"}},
      {edit(lmManifest, "result output logits f32 B,T,300",
            "result output logits i32 B,T,300"),
       {"output 'logits' must be a float of rank 3"}},
      {edit(lmManifest, "result state cache bf16 B,8,64\nend\nentry decode",
            "result state cache f32 B,8,64\nend\nentry decode"),
       {"state cache", "differs from"}},
      {edit(lmManifest, "param max_seq_len 128", "param max_seq_len lots"), {}},
  };
  for (const Case &c : cases) {
    if (c.message.empty()) {
      // Parses; the bad value is reported when it is used.
      Manifest manifest = parseManifest(c.text);
      EXPECT_TRUE(failsWith([&] { manifest.intParam("max_seq_len"); },
                            {"param max_seq_len 'lots' is not an integer"}));
      continue;
    }
    std::vector<std::string> expected = c.message;
    expected.insert(expected.begin(), "manifest: ");
    bool threw = false;
    try {
      parseManifest(c.text);
    } catch (const RatError &error) {
      threw = true;
      std::string message = error.what();
      for (const std::string &part : expected)
        EXPECT_NE(message.find(part), std::string::npos)
            << "got '" << message << "', want '" << part << "'";
    }
    EXPECT_TRUE(threw) << "no error for:\n" << c.text;
  }
}

} // namespace
