//===- Manifest.h - Compiled-model manifest ---------------------*- C++ -*-===//
//
// The manifest is the text that rat-compile embeds in every compiled object
// (`__rat_manifest`, grammar in docs/Runtime.md). It tells the generic main
// which entry points exist, what each argument and result is (role, name,
// element type, symbolic shape) and which kind of model it drives.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_MANIFEST_H
#define RAT_RUNTIME_MANIFEST_H

#include "rat/Runtime/DType.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rat {

/// What the executable does with an argument or result.
enum class Role { Input, Weight, State, Index, Output };

/// Manifest spelling of a role (`input`, `weight`, ...).
const char *roleName(Role role);

/// The kind of model, which selects the command line and the driver loop.
enum class ModelKind { RatLayer, Lm, Function };

/// Manifest spelling of a model kind (`rat_layer`, `lm`, `function`).
const char *modelKindName(ModelKind kind);

/// Where tensors live: host memory or CUDA device memory.
enum class Target { Cpu, Cuda };

/// One dimension: a constant, a symbol bound at run time, or `?` (any size,
/// not related to other dimensions).
struct Dim {
  int64_t size = 0;
  /// Empty for constants; `?` for a wildcard.
  std::string symbol;

  bool isSymbolic() const { return !symbol.empty(); }
  bool isWildcard() const { return symbol == "?"; }
  bool operator==(const Dim &other) const {
    return size == other.size && symbol == other.symbol;
  }
};

/// Formats dims as `[B, T, 256]` for diagnostics.
std::string formatDims(const std::vector<Dim> &dims);

/// An argument or result of an entry.
struct ValueSpec {
  Role role = Role::Input;
  std::string name;
  /// Meaningless for Role::Index.
  DType type = DType::F32;
  /// Empty for rank 0 and for Role::Index.
  std::vector<Dim> dims;
  /// Role::State arguments only (`state_inout`): the entry updates the
  /// buffer in place and returns no result for it.
  bool inPlace = false;

  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
};

/// One entry point of the compiled object.
struct EntrySpec {
  std::string name;
  std::vector<ValueSpec> args;
  std::vector<ValueSpec> results;

  /// Index of the first arg with `role` (and `name`, if not empty), or -1.
  int64_t findArg(Role role, std::string_view name = {}) const;
  /// Index of the first result with `role` (and `name`, if not empty), or -1.
  int64_t findResult(Role role, std::string_view name = {}) const;
  /// Number of args with `role`.
  int64_t countArgs(Role role) const;
  /// The args with `role`, in order.
  std::vector<const ValueSpec *> argsWithRole(Role role) const;
};

/// A parsed and verified manifest.
struct Manifest {
  int version = 1;
  ModelKind kind = ModelKind::Function;
  Target target = Target::Cpu;
  DType dtype = DType::F32;
  /// `param` lines in order of appearance.
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<EntrySpec> entries;

  /// The entry named `name`, or nullptr.
  const EntrySpec *findEntry(std::string_view name) const;
  /// The entries' names, comma-separated (for "no entry ..." errors).
  std::string entryNames() const;
  /// The value of `param key`, or nullptr.
  const std::string *findParam(std::string_view key) const;
  /// The value of `param key` as an integer; throws RatError if it is present
  /// but not an integer.
  std::optional<int64_t> intParam(std::string_view key) const;
};

/// One tensor of an LM's generation state (docs/Runtime.md, "Generation"):
/// decode state the prompt entries start (gen.logits, gen.position) or the
/// runtime supplies (the others), and the decode entry carries.
struct GenerationStateSlot {
  const char *name;
  DType type;
  /// 1: [B]; 2: [B, V] (gen.logits) or [B, E] (gen.eos).
  int rank;
};

/// The generation state an LM's decode entry takes, in rat-compile's order.
const std::vector<GenerationStateSlot> &lmGenerationState();

/// Parses and verifies manifest text: syntax, then the structure each model
/// kind requires (entries, roles, names; decode states matching prefill's).
/// Throws RatError `manifest line N: ...` or `manifest: ...`.
Manifest parseManifest(std::string_view text);

} // namespace rat

#endif // RAT_RUNTIME_MANIFEST_H
