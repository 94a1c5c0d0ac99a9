//===- RuntimeInterface.cpp - The manifest and entry table ----------------===//
//
// The manifest, the checkpoint check at compile time (the runtime's own, on
// the weights the manifest would declare) and the entry table.
//
//===----------------------------------------------------------------------===//

#include "RuntimeInterface.h"

#include "rat/Compiler/Compiler.h"
#include "rat/Runtime/Checkpoint.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::rat;

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

static std::string elementTypeName(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isBF16())
    return "bf16";
  if (t.isF16())
    return "f16";
  if (t.isInteger(32))
    return "i32";
  if (t.isInteger(64))
    return "i64";
  return "";
}

static std::string stringAttr(DictionaryAttr attrs, StringRef name) {
  if (!attrs)
    return "";
  if (auto s = attrs.getAs<StringAttr>(name))
    return s.str();
  return "";
}

/// One `arg`/`result` line: ROLE NAME TYPE DIMS.
static std::string slotLine(StringRef kind, Type type, DictionaryAttr attrs,
                            StringRef defaultRole, StringRef defaultName) {
  std::string role = stringAttr(attrs, "rat.role");
  std::string name = stringAttr(attrs, "rat.name");
  if (name.empty())
    name = stringAttr(attrs, "rat.weight");
  if (role.empty())
    role = stringAttr(attrs, "rat.weight").empty() ? defaultRole.str()
                                                   : std::string("weight");
  if (name.empty())
    name = defaultName.str();
  if (type.isIndex() || type.isInteger(64) || isa<IntegerType>(type))
    return (kind + " index " + name).str();
  auto shaped = cast<ShapedType>(type);
  std::string dims = stringAttr(attrs, "rat.dims");
  if (dims.empty()) {
    for (auto [i, d] : llvm::enumerate(shaped.getShape()))
      dims += (i ? "," : "") +
              (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
    if (shaped.getRank() == 0)
      dims = "-";
  }
  return (kind + " " + role + " " + name + " " +
          elementTypeName(shaped.getElementType()) + " " + dims)
      .str();
}

std::string mlir::rat::buildManifest(ModuleOp module,
                                     const CompileOptions &options) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "rat-manifest 1\n";
  std::string kind = "function";
  if (auto k = module->getAttrOfType<StringAttr>("rat.model"))
    kind = k.str();
  os << "model " << kind << "\n";
  os << "target " << (options.target == Target::CUDA ? "cuda" : "cpu") << "\n";
  os << "dtype " << options.dtype << "\n";
  if (auto params = module->getAttrOfType<DictionaryAttr>("rat.params"))
    for (NamedAttribute p : params) {
      os << "param " << p.getName().getValue() << " ";
      if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
        os << i.getInt();
      else if (auto f = dyn_cast<FloatAttr>(p.getValue()))
        os << f.getValueAsDouble();
      else if (auto s = dyn_cast<StringAttr>(p.getValue()))
        os << s.getValue();
      os << "\n";
    }
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    os << "entry " << func.getName() << "\n";
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
      os << slotLine("arg", t, func.getArgAttrDict(i), "input",
                     "arg" + std::to_string(i))
         << "\n";
    for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
      os << slotLine("result", t, func.getResultAttrDict(i), "output",
                     "result" + std::to_string(i))
         << "\n";
    os << "end\n";
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Checkpoint check
//===----------------------------------------------------------------------===//

bool mlir::rat::checkCheckpoint(ModuleOp module, StringRef path,
                                std::string &error) {
  // The weights the graph takes, by name (shared by all entries), as the
  // runtime's manifest would declare them.
  std::vector<::rat::ValueSpec> weights;
  llvm::StringSet<> seen;
  for (auto func : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      DictionaryAttr attrs = func.getArgAttrDict(i);
      if (stringAttr(attrs, "rat.role") != "weight")
        continue;
      ::rat::ValueSpec weight;
      weight.role = ::rat::Role::Weight;
      weight.name = stringAttr(attrs, "rat.name");
      if (!seen.insert(weight.name).second)
        continue;
      auto type = cast<ShapedType>(func.getArgumentTypes()[i]);
      std::optional<::rat::DType> dtype =
          ::rat::parseDTypeName(elementTypeName(type.getElementType()));
      if (!dtype) {
        error = "weight '" + weight.name + "' has an element type the " +
                "runtime does not load";
        return false;
      }
      weight.type = *dtype;
      for (int64_t size : type.getShape())
        weight.dims.push_back({size, ""});
      weights.push_back(std::move(weight));
    }
  return ::rat::checkCheckpointFile(path.str(), weights, error);
}

//===----------------------------------------------------------------------===//
// LLVM IR: entry table and manifest
//===----------------------------------------------------------------------===//

LogicalResult mlir::rat::addRuntimeInterface(llvm::Module &m,
                                             ArrayRef<std::string> entries,
                                             StringRef manifest,
                                             llvm::raw_ostream &errs) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  SmallVector<llvm::Constant *> rows;
  llvm::StructType *rowType = llvm::StructType::get(ctx, {ptr, ptr});
  for (const std::string &name : entries) {
    llvm::Function *callee = m.getFunction("_mlir_ciface_" + name);
    if (!callee) {
      errs << "error: entry '" << name << "' has no C interface\n";
      return failure();
    }
    auto *fnType =
        llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
    auto *packed = llvm::Function::Create(
        fnType, llvm::GlobalValue::InternalLinkage, "_rat_packed_" + name, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", packed));
    SmallVector<llvm::Value *> args;
    for (auto [i, param] : llvm::enumerate(callee->args())) {
      llvm::Value *slot = b.CreateGEP(ptr, packed->getArg(0), b.getInt64(i));
      llvm::Value *pointer = b.CreateLoad(ptr, slot);
      if (param.getType()->isPointerTy())
        args.push_back(pointer);
      else
        args.push_back(b.CreateLoad(param.getType(), pointer));
    }
    b.CreateCall(callee, args);
    b.CreateRetVoid();
    llvm::Constant *nameStr = b.CreateGlobalString(name, "__rat_entry_name");
    rows.push_back(llvm::ConstantStruct::get(rowType, {nameStr, packed}));
  }
  auto *tableType = llvm::ArrayType::get(rowType, rows.size());
  new llvm::GlobalVariable(
      m, tableType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantArray::get(tableType, rows), "__rat_entries");
  new llvm::GlobalVariable(m, i64, true, llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i64, rows.size()),
                           "__rat_num_entries");
  llvm::Constant *text = llvm::ConstantDataArray::getString(ctx, manifest);
  new llvm::GlobalVariable(m, text->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "__rat_manifest");
  return success();
}

void mlir::rat::stripRatAttributes(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>()) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      for (StringRef name : {"rat.role", "rat.name", "rat.dims", "rat.weight"})
        func.removeArgAttr(i, name);
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      for (StringRef name : {"rat.role", "rat.name", "rat.dims"})
        func.removeResultAttr(i, StringAttr::get(module.getContext(), name));
  }
}
