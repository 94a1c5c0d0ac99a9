//===- Manifest.cpp - Compiled-model manifest -----------------------------===//
//
// Parsing is two steps: a line-oriented syntax pass that reports the line
// number, then a structural pass per model kind that checks what the generic
// main relies on, so that a bad manifest (a compiler bug) is reported once,
// up front, instead of as a confusing failure in the middle of a run.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Manifest.h"

#include "rat/Runtime/Error.h"

#include <cctype>
#include <limits>
#include <map>
#include <set>

using namespace rat;

const char *rat::roleName(Role role) {
  switch (role) {
  case Role::Input:
    return "input";
  case Role::Weight:
    return "weight";
  case Role::State:
    return "state";
  case Role::Index:
    return "index";
  case Role::Output:
    return "output";
  }
  return "?";
}

const char *rat::modelKindName(ModelKind kind) {
  switch (kind) {
  case ModelKind::RatLayer:
    return "rat_layer";
  case ModelKind::Lm:
    return "lm";
  case ModelKind::Function:
    return "function";
  }
  return "?";
}

std::string rat::formatDims(const std::vector<Dim> &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      text += ", ";
    text +=
        dims[i].isSymbolic() ? dims[i].symbol : std::to_string(dims[i].size);
  }
  return text + "]";
}

int64_t EntrySpec::findArg(Role role, std::string_view name) const {
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].role == role && (name.empty() || args[i].name == name))
      return static_cast<int64_t>(i);
  return -1;
}

int64_t EntrySpec::findResult(Role role, std::string_view name) const {
  for (size_t i = 0; i < results.size(); ++i)
    if (results[i].role == role && (name.empty() || results[i].name == name))
      return static_cast<int64_t>(i);
  return -1;
}

int64_t EntrySpec::countArgs(Role role) const {
  int64_t count = 0;
  for (const ValueSpec &arg : args)
    count += arg.role == role;
  return count;
}

std::vector<const ValueSpec *> EntrySpec::argsWithRole(Role role) const {
  std::vector<const ValueSpec *> specs;
  for (const ValueSpec &arg : args)
    if (arg.role == role)
      specs.push_back(&arg);
  return specs;
}

std::string Manifest::entryNames() const {
  std::string names;
  for (const EntrySpec &entry : entries)
    names += (names.empty() ? "" : ", ") + entry.name;
  return names;
}

const EntrySpec *Manifest::findEntry(std::string_view name) const {
  for (const EntrySpec &entry : entries)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

const std::string *Manifest::findParam(std::string_view key) const {
  for (const auto &param : params)
    if (param.first == key)
      return &param.second;
  return nullptr;
}

/// Parses a non-negative decimal integer without sign or spaces.
static bool parseNonNegative(std::string_view text, int64_t &value) {
  if (text.empty() || text.size() > 18)
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

std::optional<int64_t> Manifest::intParam(std::string_view key) const {
  const std::string *value = findParam(key);
  if (!value)
    return std::nullopt;
  std::string_view digits = *value;
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative)
    digits.remove_prefix(1);
  int64_t parsed = 0;
  if (!parseNonNegative(digits, parsed))
    throw RatError("manifest: param " + std::string(key) + " '" + *value +
                   "' is not an integer");
  return negative ? -parsed : parsed;
}

namespace {

bool isIdentifier(std::string_view text) {
  if (text.empty() ||
      !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_'))
    return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() &&
           std::isspace(static_cast<unsigned char>(line[pos])))
      ++pos;
    size_t start = pos;
    while (pos < line.size() &&
           !std::isspace(static_cast<unsigned char>(line[pos])))
      ++pos;
    if (pos > start)
      fields.push_back(line.substr(start, pos - start));
  }
  return fields;
}

class ManifestParser {
public:
  Manifest parse(std::string_view text) {
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos)
        end = text.size();
      ++lineNumber;
      std::string_view line = text.substr(pos, end - pos);
      size_t comment = line.find('#');
      if (comment != std::string_view::npos)
        line = line.substr(0, comment);
      std::vector<std::string_view> fields = splitFields(line);
      if (!fields.empty())
        parseLine(fields);
      pos = end + 1;
    }
    if (!sawHeader)
      fail("empty manifest (expected 'rat-manifest 1')");
    if (current)
      throw RatError("manifest: entry '" + current->name +
                     "' is not closed with 'end'");
    if (!sawModel || !sawTarget || !sawDType)
      throw RatError("manifest: missing '" +
                     std::string(!sawModel    ? "model"
                                 : !sawTarget ? "target"
                                              : "dtype") +
                     "' line");
    if (manifest.entries.empty())
      throw RatError("manifest: no entry");
    return std::move(manifest);
  }

private:
  [[noreturn]] void fail(const std::string &reason) const {
    throw RatError("manifest line " + std::to_string(lineNumber) + ": " +
                   reason);
  }

  void expectFields(const std::vector<std::string_view> &fields, size_t count,
                    const char *usage) {
    if (fields.size() != count)
      fail(std::string("expected '") + usage + "'");
  }

  void parseLine(const std::vector<std::string_view> &fields) {
    std::string_view keyword = fields[0];
    if (!sawHeader) {
      if (keyword != "rat-manifest")
        fail("expected 'rat-manifest 1' first");
      expectFields(fields, 2, "rat-manifest 1");
      if (fields[1] != "1")
        fail("unsupported manifest version '" + std::string(fields[1]) +
             "' (this runtime reads version 1)");
      sawHeader = true;
      return;
    }
    if (keyword == "arg" || keyword == "result") {
      if (!current)
        fail("'" + std::string(keyword) + "' outside an entry");
      parseValue(fields, keyword == "arg");
      return;
    }
    if (keyword == "end") {
      expectFields(fields, 1, "end");
      if (!current)
        fail("'end' without 'entry'");
      current = nullptr;
      return;
    }
    if (current)
      fail("'" + std::string(keyword) + "' inside entry '" + current->name +
           "' (missing 'end'?)");
    if (keyword == "model") {
      expectFields(fields, 2, "model rat_layer|lm|function");
      if (sawModel)
        fail("duplicate 'model' line");
      sawModel = true;
      if (fields[1] == "rat_layer")
        manifest.kind = ModelKind::RatLayer;
      else if (fields[1] == "lm")
        manifest.kind = ModelKind::Lm;
      else if (fields[1] == "function")
        manifest.kind = ModelKind::Function;
      else
        fail("unknown model kind '" + std::string(fields[1]) +
             "' (expected rat_layer, lm or function)");
    } else if (keyword == "target") {
      expectFields(fields, 2, "target cpu|cuda");
      if (sawTarget)
        fail("duplicate 'target' line");
      sawTarget = true;
      if (fields[1] == "cpu")
        manifest.target = Target::Cpu;
      else if (fields[1] == "cuda")
        manifest.target = Target::Cuda;
      else
        fail("unknown target '" + std::string(fields[1]) +
             "' (expected cpu or cuda)");
    } else if (keyword == "dtype") {
      expectFields(fields, 2, "dtype f32|bf16|f16");
      if (sawDType)
        fail("duplicate 'dtype' line");
      sawDType = true;
      std::optional<DType> type = parseDTypeName(fields[1]);
      if (!type || !isFloatType(*type) || *type == DType::F64)
        fail("unknown dtype '" + std::string(fields[1]) +
             "' (expected f32, bf16 or f16)");
      manifest.dtype = *type;
    } else if (keyword == "param") {
      if (fields.size() < 3)
        fail("expected 'param KEY VALUE'");
      if (manifest.findParam(fields[1]))
        fail("duplicate param '" + std::string(fields[1]) + "'");
      // Free-form values may contain spaces; keep them, normalised.
      std::string value(fields[2]);
      for (size_t i = 3; i < fields.size(); ++i)
        value += " " + std::string(fields[i]);
      manifest.params.emplace_back(std::string(fields[1]), std::move(value));
    } else if (keyword == "entry") {
      expectFields(fields, 2, "entry NAME");
      if (manifest.findEntry(fields[1]))
        fail("duplicate entry '" + std::string(fields[1]) + "'");
      if (!isIdentifier(fields[1]))
        fail("entry name '" + std::string(fields[1]) +
             "' is not an identifier");
      manifest.entries.emplace_back();
      current = &manifest.entries.back();
      current->name = std::string(fields[1]);
    } else {
      fail("unknown keyword '" + std::string(keyword) + "'");
    }
  }

  std::vector<Dim> parseDims(std::string_view text) {
    std::vector<Dim> dims;
    if (text == "-")
      return dims;
    size_t pos = 0;
    while (true) {
      size_t comma = text.find(',', pos);
      std::string_view field = text.substr(pos, comma == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : comma - pos);
      Dim dim;
      if (isIdentifier(field) || field == "?")
        dim.symbol = std::string(field);
      else if (!parseNonNegative(field, dim.size))
        fail("bad dimension '" + std::string(field) + "' in '" +
             std::string(text) +
             "' (expected an integer, a symbol, '?', or '-' for rank 0)");
      dims.push_back(std::move(dim));
      if (comma == std::string_view::npos)
        return dims;
      pos = comma + 1;
    }
  }

  void parseValue(const std::vector<std::string_view> &fields, bool isArg) {
    const char *kind = isArg ? "arg" : "result";
    if (fields.size() < 2)
      fail(std::string("expected '") + kind + " ROLE NAME TYPE DIMS'");
    ValueSpec value;
    std::string_view role = fields[1];
    if (role == "input" && isArg)
      value.role = Role::Input;
    else if (role == "weight" && isArg)
      value.role = Role::Weight;
    else if (role == "index" && isArg)
      value.role = Role::Index;
    else if (role == "state")
      value.role = Role::State;
    else if (role == "state_inout" && isArg) {
      value.role = Role::State;
      value.inPlace = true;
    } else if (role == "output" && !isArg)
      value.role = Role::Output;
    else
      fail("invalid " + std::string(kind) + " role '" + std::string(role) +
           "' (" +
           (isArg ? "expected input, weight, state, state_inout or index"
                  : "expected output or state") +
           ")");
    if (value.role == Role::Index) {
      expectFields(fields, 3, "arg index NAME");
    } else {
      expectFields(fields, 5,
                   isArg ? "arg ROLE NAME TYPE DIMS"
                         : "result ROLE NAME TYPE DIMS");
      std::optional<DType> type = parseDTypeName(fields[3]);
      if (!type || *type == DType::F64)
        fail("unknown type '" + std::string(fields[3]) +
             "' (expected f32, bf16, f16, i32 or i64)");
      value.type = *type;
      value.dims = parseDims(fields[4]);
    }
    value.name = std::string(fields[2]);
    std::vector<ValueSpec> &list = isArg ? current->args : current->results;
    for (const ValueSpec &other : list)
      if (other.name == value.name)
        fail("duplicate " + std::string(kind) + " name '" + value.name +
             "' in entry '" + current->name + "'");
    list.push_back(std::move(value));
  }

  Manifest manifest;
  EntrySpec *current = nullptr;
  int lineNumber = 0;
  bool sawHeader = false, sawModel = false, sawTarget = false, sawDType = false;
};

//===----------------------------------------------------------------------===//
// Structural verification
//===----------------------------------------------------------------------===//

[[noreturn]] void failEntry(const EntrySpec &entry, const std::string &reason) {
  throw RatError("manifest: entry '" + entry.name + "': " + reason);
}

std::string describe(const ValueSpec &value) {
  return std::string(roleName(value.role)) + " " + value.name + " " +
         dtypeName(value.type) + " " + formatDims(value.dims);
}

/// Requires exactly `count` args of `role` in `entry`.
void requireArgCount(const EntrySpec &entry, Role role, int64_t count) {
  int64_t actual = entry.countArgs(role);
  if (actual != count)
    failEntry(entry, "expected " + std::to_string(count) + " '" +
                         roleName(role) + "' argument" +
                         (count == 1 ? "" : "s") + ", found " +
                         std::to_string(actual));
}

/// Requires an output result `name` (any name if empty) with `type` (any
/// float type if nullopt) and `rank`; returns it.
const ValueSpec &requireOutput(const EntrySpec &entry, std::string_view name,
                               std::optional<DType> type, int64_t rank) {
  int64_t index = entry.findResult(Role::Output, name);
  std::string label =
      name.empty() ? "an output" : "output '" + std::string(name) + "'";
  if (index < 0)
    failEntry(entry, "missing " + label + " result");
  const ValueSpec &result = entry.results[index];
  bool typeOk = type ? result.type == *type : isFloatType(result.type);
  if (!typeOk || result.rank() != rank)
    failEntry(entry, label + " must be " +
                         (type ? dtypeName(*type) : "a float") + " of rank " +
                         std::to_string(rank) + ", found " + describe(result));
  return result;
}

/// Requires an input `name` of `type` and `rank`.
void requireNamedInput(const EntrySpec &entry, const char *name, DType type,
                       int64_t rank) {
  int64_t index = entry.findArg(Role::Input, name);
  if (index < 0)
    failEntry(entry, std::string("missing input '") + name + "'");
  const ValueSpec &input = entry.args[index];
  if (input.type != type || input.rank() != rank)
    failEntry(entry, std::string("input '") + name + "' must be " +
                         dtypeName(type) + " of rank " +
                         std::to_string(rank) + ", found " + describe(input));
}

/// Requires a state `slot` among the args (or results) of `entry`.
void requireGenerationState(const EntrySpec &entry,
                            const GenerationStateSlot &slot, bool asResult) {
  for (const ValueSpec &value : asResult ? entry.results : entry.args) {
    if (value.role != Role::State || value.name != slot.name)
      continue;
    if (value.type != slot.type || value.rank() != slot.rank)
      failEntry(entry, std::string("state '") + slot.name + "' must be " +
                           dtypeName(slot.type) + " of rank " +
                           std::to_string(slot.rank) + ", found " +
                           describe(value));
    return;
  }
  failEntry(entry, std::string("missing state ") +
                       (asResult ? "result" : "argument") + " '" + slot.name +
                       "' (an lm with a decode entry generates on the "
                       "device; recompile models older than that)");
}

/// Requires the single input of `entry` to have `type` (or any float type)
/// and `rank`, and `name` when given.
void requireInput(const EntrySpec &entry, std::string_view name,
                  std::optional<DType> type, int64_t rank) {
  requireArgCount(entry, Role::Input, 1);
  const ValueSpec &input = entry.args[entry.findArg(Role::Input)];
  bool typeOk = type ? input.type == *type : isFloatType(input.type);
  if ((!name.empty() && input.name != name) || !typeOk || input.rank() != rank)
    failEntry(entry, "the input must be " +
                         (name.empty() ? std::string("an array")
                                       : "'" + std::string(name) + "'") +
                         " of " + (type ? dtypeName(*type) : "a float type") +
                         " and rank " + std::to_string(rank) + ", found " +
                         describe(input));
}

void verifyStates(const EntrySpec &entry) {
  std::vector<const ValueSpec *> stateArgs, stateResults;
  // In-place state arguments have no result: the buffer itself carries the
  // update to the next call.
  for (const ValueSpec &arg : entry.args)
    if (arg.role == Role::State && !arg.inPlace)
      stateArgs.push_back(&arg);
  for (const ValueSpec &result : entry.results)
    if (result.role == Role::State)
      stateResults.push_back(&result);
  // An entry that takes state must return the updated state, same names, same
  // order: the main carries states by name from one call to the next.
  if (stateArgs.empty())
    return;
  if (stateArgs.size() != stateResults.size())
    failEntry(entry, "takes " + std::to_string(stateArgs.size()) +
                         " state arguments but returns " +
                         std::to_string(stateResults.size()));
  for (size_t i = 0; i < stateArgs.size(); ++i) {
    const ValueSpec &arg = *stateArgs[i];
    const ValueSpec &result = *stateResults[i];
    if (arg.name != result.name || arg.type != result.type ||
        arg.dims != result.dims)
      failEntry(entry, "state result " + std::to_string(i) + " (" +
                           describe(result) +
                           ") does not match state argument " +
                           std::to_string(i) + " (" + describe(arg) + ")");
  }
}

void verifyManifest(const Manifest &manifest) {
  // Weights and states are shared by name across entries: one tensor each.
  std::map<std::string, const ValueSpec *> shared;
  for (const EntrySpec &entry : manifest.entries) {
    for (const std::vector<ValueSpec> *list : {&entry.args, &entry.results}) {
      for (const ValueSpec &value : *list) {
        if (value.role != Role::Weight && value.role != Role::State)
          continue;
        std::string key = std::string(roleName(value.role)) + ":" + value.name;
        auto [it, inserted] = shared.emplace(key, &value);
        if (!inserted &&
            (it->second->type != value.type || it->second->dims != value.dims))
          failEntry(entry, describe(value) + " differs from " +
                               describe(*it->second) + " in another entry");
      }
    }
    verifyStates(entry);
  }

  switch (manifest.kind) {
  case ModelKind::Function:
    return;
  case ModelKind::RatLayer: {
    const EntrySpec *prefill = manifest.findEntry("prefill");
    if (!prefill)
      throw RatError("manifest: model rat_layer needs an entry 'prefill'");
    requireInput(*prefill, {}, std::nullopt, 3);
    requireArgCount(*prefill, Role::Index, 0);
    requireArgCount(*prefill, Role::State, 0);
    requireOutput(*prefill, {}, std::nullopt, 3);
    if (const EntrySpec *decode = manifest.findEntry("decode")) {
      requireInput(*decode, {}, std::nullopt, 3);
      requireArgCount(*decode, Role::Index, 1);
      requireOutput(*decode, {}, std::nullopt, 3);
    }
    return;
  }
  case ModelKind::Lm: {
    const EntrySpec *prefill = manifest.findEntry("prefill");
    if (!prefill)
      throw RatError("manifest: model lm needs an entry 'prefill'");
    const EntrySpec *decode = manifest.findEntry("decode");
    // Optional: prefill for generation, without the [B, T, V] logits.
    const EntrySpec *prompt = manifest.findEntry("prompt");
    if (prompt && !decode)
      throw RatError("manifest: model lm has an entry 'prompt' but no "
                     "'decode'");
    // The prompt entries: tokens, and with a decode entry each sequence's
    // prompt length; they start the generation state.
    for (const EntrySpec *entry : {prefill, prompt}) {
      if (!entry)
        continue;
      requireNamedInput(*entry, "tokens", DType::I32, 2);
      requireArgCount(*entry, Role::Input, decode ? 2 : 1);
      if (decode)
        requireNamedInput(*entry, "lengths", DType::I32, 1);
      requireArgCount(*entry, Role::Index, 0);
      requireArgCount(*entry, Role::State, 0);
      if (decode)
        for (const GenerationStateSlot &slot : lmGenerationState())
          if (std::string(slot.name) == "gen.logits" ||
              std::string(slot.name) == "gen.position")
            requireGenerationState(*entry, slot, /*asResult=*/true);
    }
    requireOutput(*prefill, "logits", std::nullopt, 3);
    if (decode) {
      // Every step input lives in the generation state.
      requireArgCount(*decode, Role::Input, 0);
      requireArgCount(*decode, Role::Index, 0);
      requireOutput(*decode, "token", DType::I32, 1);
      for (const GenerationStateSlot &slot : lmGenerationState())
        requireGenerationState(*decode, slot, /*asResult=*/false);
    }
    return;
  }
  }
}

} // namespace

const std::vector<GenerationStateSlot> &rat::lmGenerationState() {
  static const std::vector<GenerationStateSlot> slots = {
      {"gen.logits", DType::F32, 2},      {"gen.position", DType::I32, 1},
      {"gen.finished", DType::I32, 1},    {"gen.temperature", DType::F32, 1},
      {"gen.top_k", DType::I32, 1},       {"gen.top_p", DType::F32, 1},
      {"gen.seed", DType::I64, 1},        {"gen.eos", DType::I32, 2}};
  return slots;
}

Manifest rat::parseManifest(std::string_view text) {
  Manifest manifest = ManifestParser().parse(text);
  verifyManifest(manifest);
  return manifest;
}
