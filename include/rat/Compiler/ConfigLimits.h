//===- ConfigLimits.h - limits on model configs and flags -------*- C++ -*-===//
//
// What the compiler accepts before it builds any IR (docs/Limits.md): JSON
// read strictly (duplicate keys, deep nesting and invalid UTF-8 are errors),
// an upper limit on every size key of a model config and on --max-seq-len,
// and the element counts and byte sizes of every tensor the model will have,
// computed with overflow checks. Errors name the key or flag and the value.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_CONFIGLIMITS_H
#define RAT_COMPILER_CONFIGLIMITS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>

namespace mlir {
class Operation;
namespace rat {

struct ModelConfig;
struct ImportOptions;

/// The stated limits (docs/Limits.md). They sit far above any real model and
/// far below the point where a size computed from them could overflow int64
/// or the runtime manifest (dimensions of at most 18 digits).
namespace limits {
/// Largest d_model.
constexpr int64_t maxDModel = 65536;
/// Largest num_head (and ngroups).
constexpr int64_t maxNumHead = 1024;
/// Largest d_head.
constexpr int64_t maxDHead = 1024;
/// Largest vocab_size.
constexpr int64_t maxVocabSize = int64_t(1) << 24;
/// Largest num_layers: every layer is built as its own IR, and compile time
/// grows faster than linearly with the layer count.
constexpr int64_t maxNumLayers = 256;
/// Largest --max-seq-len, chunk_size and window_size: 2^24, the largest
/// range of token positions an f32 holds exactly (rotary angles are computed
/// from f32 positions).
constexpr int64_t maxSequenceLength = int64_t(1) << 24;
/// Deepest bracket nesting (`( [ { <`) of graph-level MLIR: MLIR's
/// recursive-descent parser overflows the stack some thousands of levels
/// deep; real IR nests a few dozen.
constexpr int64_t maxMlirNesting = 256;
/// Largest model config file: real ones take a few hundred bytes, and the
/// parsed form of a JSON file takes tens of times its size.
constexpr int64_t maxConfigBytes = int64_t(1) << 20;
/// Largest byte size of one tensor (batch 1, sequence at --max-seq-len), of
/// all the weights together and of one sequence's decode state: 4 TiB.
constexpr int64_t maxTensorBytes = int64_t(1) << 42;
} // namespace limits

/// Parses `text` with the runtime's strict JSON reader (rat::tryParseJson:
/// RFC 8259, no duplicate keys, nesting at most 128 deep, valid UTF-8) and
/// returns it as an llvm::json::Value. The error says where and what is wrong
/// (`line 4, column 17 (byte 53): duplicate key "d_model"`).
llvm::Expected<llvm::json::Value> parseStrictJson(llvm::StringRef text);

/// Checks that graph-level MLIR text nests brackets at most
/// limits::maxMlirNesting deep, before MLIR's parser (which recurses once per
/// level) sees it: `line 1, column 300: nesting deeper than 256 levels`.
/// Strings and `//` comments are skipped; `->` and `>=` close nothing.
bool checkMlirNesting(llvm::StringRef text, std::string &error);

/// Checks the byte size of a model config before it is parsed.
bool checkConfigSize(size_t bytes, std::string &error);

/// Checks every ranked tensor and memref type of `module` (operands,
/// results, block arguments) whose shape is static: its byte size must not
/// overflow and must be at most limits::maxTensorBytes. Emits an error at
/// the first offending value's location (graph-level MLIR given to
/// rat-compile; the types of imported configs are checked before import).
LogicalResult checkStaticTensorSizes(Operation *module);

/// Checks every size key present in a model config object against its upper
/// limit (`key 'num_layers' (100000) is above the limit of 256`); a size
/// given as a number that is not an int64 is an error too. Lower bounds and
/// types of well-formed values are parseModelConfig's. Runs before any
/// product of two keys is formed, so that those cannot overflow.
bool checkConfigKeyLimits(const llvm::json::Object &config, std::string &error);

/// Checks the value of --max-seq-len (1 to limits::maxSequenceLength); the
/// error names the option as `option` spells it.
bool checkMaxSeqLen(int64_t maxSeqLen, std::string &error,
                    llvm::StringRef option = "--max-seq-len");

/// Checks the sizes a validated config implies once built with `options`:
/// every weight, every decode-state tensor of one sequence and the largest
/// activation of one sequence of --max-seq-len tokens, each at most
/// limits::maxTensorBytes, and the weights together and one sequence's state
/// together too. Element counts and bytes are computed with overflow checks.
/// The error names the tensor, its shape and the keys or flag it comes from.
/// Call it before importModel.
bool checkModelSizes(const ModelConfig &config, const ImportOptions &options,
                     std::string &error);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_CONFIGLIMITS_H
