//===- Session.cpp - One compiled model, its weights and calls ------------===//
//
// Session::call fills the packed argument array of an entry (memref
// descriptors {allocated, aligned, offset, sizes, strides}, index values),
// calls it and adopts its results; see docs/Runtime.md for the convention.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Session.h"

#include "DimBinder.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/OutOfMemory.h"

#include <algorithm>
#include <cstdio>
#include <new>

using namespace rat;

//===----------------------------------------------------------------------===//
// BufferTable
//===----------------------------------------------------------------------===//

std::shared_ptr<void> BufferTable::adopt(void *pointer) {
  if (!pointer)
    return nullptr;
  auto it = live.find(pointer);
  if (it != live.end())
    if (std::shared_ptr<void> existing = it->second.lock())
      return existing;
  std::shared_ptr<void> owner(pointer, [this](void *p) { release(p); });
  live[pointer] = owner;
  return owner;
}

void BufferTable::release(void *pointer) {
  live.erase(pointer);
  try {
    backend.deallocate(pointer);
  } catch (const std::exception &error) {
    // Runs from shared_ptr destructors, which must not throw.
    std::fprintf(stderr, "warning: %s\n", error.what());
  }
}

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

/// `backend.allocate(bytes)` for a `dtype` tensor of `shape`; running out of
/// memory is an error naming the tensor and the byte count.
static void *allocateTensor(DeviceBackend &backend, size_t bytes, DType dtype,
                            const Shape &shape) {
  try {
    return backend.allocate(bytes);
  } catch (const std::bad_alloc &failure) {
    const auto *known = dynamic_cast<const AllocationFailure *>(&failure);
    throw OutOfMemoryError(outOfMemoryMessage(
        backend.isHostMemory() ? MemorySpace::Host : MemorySpace::Device,
        bytes,
        std::string("a ") + dtypeName(dtype) + " tensor " +
            formatShape(shape),
        known ? known->detail : ""));
  }
}

Session::Session(const Manifest &manifest, const RatEntry *entries,
                 int64_t numEntries, const Device &device,
                 const SessionOptions &options)
    : manifest(manifest), backend(*device.backend), execution(device.execution),
      sessionOptions(options), log(options.verbose), buffers(backend) {
  if (numEntries < 0 || (numEntries > 0 && !entries))
    throw RatError("corrupt executable: bad __rat_entries table");
  for (int64_t i = 0; i < numEntries; ++i) {
    if (!entries[i].name || !entries[i].fn)
      throw RatError("corrupt executable: entry " + std::to_string(i) +
                     " of __rat_entries has no name or function");
    functions[entries[i].name] = entries[i].fn;
  }
  for (const EntrySpec &entry : manifest.entries)
    if (!functions.count(entry.name))
      throw RatError("corrupt executable: manifest entry '" + entry.name +
                     "' has no compiled function in __rat_entries");
  // Every weight the model declares, with its spec (verified consistent
  // across entries by the manifest parser).
  for (const EntrySpec &entry : manifest.entries)
    for (const ValueSpec &arg : entry.args)
      if (arg.role == Role::Weight)
        declared.emplace(arg.name, &arg);
}

std::set<std::string>
Session::weightsTakenBy(const std::vector<const EntrySpec *> &entries) {
  std::set<std::string> names;
  for (const EntrySpec *entry : entries)
    for (const ValueSpec &arg : entry->args)
      if (arg.role == Role::Weight)
        names.insert(arg.name);
  return names;
}

void Session::loadWeights(const std::string &path,
                          const std::vector<const EntrySpec *> &entries,
                          const CheckpointPolicy &policy) {
  loadWeights(SafetensorsFile::open(path), entries, policy);
}

void Session::loadWeights(const SafetensorsFile &file,
                          const std::vector<const EntrySpec *> &entries,
                          const CheckpointPolicy &policy) {
  Clock::time_point begin = Clock::now();
  checkCheckpoint(file, declared, policy);
  std::set<std::string> needed = weightsTakenBy(entries);
  size_t bytes = 0;
  for (const std::string &name : needed) {
    const ValueSpec &spec = *declared.at(name);
    const SafetensorsTensorInfo &info = *file.find(name);
    HostTensor host = file.load(info, spec.type);
    if (std::string warning = nonFiniteWarning(host, info, file.path());
        !warning.empty())
      std::fprintf(stderr, "warning: %s\n", warning.c_str());
    bytes += host.sizeInBytes();
    weights[name] = upload(std::move(host));
  }
  log.phase("load weights", begin,
            std::to_string(needed.size()) + " tensors, " + formatMiB(bytes) +
                " from " + file.path());
}

Tensor Session::upload(HostTensor host) {
  Tensor tensor;
  tensor.dtype = host.dtype();
  tensor.shape = host.shape();
  size_t bytes = host.sizeInBytes();
  if (backend.isHostMemory()) {
    // No copy on the CPU target: adopt the host storage.
    tensor.data = host.releaseStorage();
    tensor.owner = buffers.adopt(tensor.data);
    return tensor;
  }
  tensor.owner = buffers.adopt(
      allocateTensor(backend, bytes, tensor.dtype, tensor.shape));
  tensor.data = tensor.owner.get();
  backend.copyToDevice(tensor.data, host.data(), bytes);
  return tensor;
}

HostTensor Session::download(const Tensor &tensor) {
  HostTensor host(tensor.dtype, tensor.shape);
  backend.copyToHost(host.data(), tensor.data, host.sizeInBytes());
  return host;
}

Tensor Session::allocate(DType dtype, Shape shape, bool zero) {
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  uint64_t count = 0;
  if (!checkedNumElements(tensor.shape, dtypeSize(dtype), count))
    throw RatError("tensor of shape " + formatShape(tensor.shape) +
                   " is too large");
  tensor.owner = buffers.adopt(
      allocateTensor(backend, tensor.sizeInBytes(), dtype, tensor.shape));
  tensor.data = tensor.owner.get();
  if (zero)
    backend.fillZero(tensor.data, tensor.sizeInBytes());
  return tensor;
}

Tensor Session::view(const Tensor &base, size_t offset, Shape shape) {
  Tensor tensor;
  tensor.dtype = base.dtype;
  tensor.shape = std::move(shape);
  tensor.owner = base.owner;
  tensor.data = static_cast<uint8_t *>(base.data) + offset;
  return tensor;
}

std::vector<Tensor> Session::call(const EntrySpec &entry,
                                  const CallInputs &inputs, StatePool &states,
                                  CallMode mode) {
  // Running out of memory here or in the compiled code names the entry.
  RunningEntry running(entry.name);
  DimBinder binder;
  size_t numArgs = entry.args.size();
  std::vector<Tensor> argTensors(numArgs);
  std::vector<int64_t> indexValues(numArgs, 0);
  std::string where = "entry '" + entry.name + "': ";

  for (size_t i = 0; i < numArgs; ++i) {
    const ValueSpec &spec = entry.args[i];
    std::string what =
        std::string(roleName(spec.role)) + " '" + spec.name + "'";
    switch (spec.role) {
    case Role::Input: {
      auto it = inputs.tensors.find(spec.name);
      if (it == inputs.tensors.end())
        throw RatError(where + "no value for " + what);
      auto source = inputs.sources.find(spec.name);
      if (source != inputs.sources.end())
        what += " (" + source->second + ")";
      argTensors[i] = it->second;
      break;
    }
    case Role::Weight: {
      auto it = weights.find(spec.name);
      if (it == weights.end())
        throw RatError(where + "weight '" + spec.name + "' was not loaded");
      argTensors[i] = it->second;
      break;
    }
    case Role::State: {
      auto it = states.find(spec.name);
      if (it == states.end() && mode == CallMode::Capture)
        throw RatError(where + "internal: " + what + " has no buffer");
      if (it == states.end()) {
        // State nobody produced yet starts at zero (decode from position 0).
        it =
            states
                .emplace(spec.name,
                         allocate(spec.type, binder.resolve(spec, where + what),
                                  /*zero=*/true))
                .first;
      }
      argTensors[i] = it->second;
      break;
    }
    case Role::Index: {
      auto it = inputs.indices.find(spec.name);
      if (it == inputs.indices.end())
        throw RatError(where + "no value for index '" + spec.name + "'");
      indexValues[i] = it->second;
      continue;
    }
    case Role::Output:
      throw RatError(where + "output role on an argument");
    }
    if (argTensors[i].dtype != spec.type)
      throw RatError(where + what + " is " + dtypeName(argTensors[i].dtype) +
                     ", expected " + dtypeName(spec.type));
    binder.bind(spec, argTensors[i].shape, what, where);
  }
  if (mode == CallMode::Prepare)
    return {};

  // Descriptors: {allocated, aligned, offset, sizes[N], strides[N]}.
  std::vector<std::vector<int64_t>> descriptors(numArgs);
  std::vector<void *> packed;
  size_t resultWords = 0;
  for (const ValueSpec &result : entry.results)
    resultWords += 3 + 2 * result.dims.size();
  std::vector<int64_t> resultDescriptors(std::max<size_t>(resultWords, 1), 0);
  if (!entry.results.empty())
    packed.push_back(resultDescriptors.data());
  for (size_t i = 0; i < numArgs; ++i) {
    if (entry.args[i].role == Role::Index) {
      packed.push_back(&indexValues[i]);
      continue;
    }
    const Tensor &tensor = argTensors[i];
    std::vector<int64_t> &descriptor = descriptors[i];
    // `allocated` is the base of the allocation (views point inside it), so
    // a result that returns an argument's buffer is recognised as shared.
    void *base = tensor.owner ? tensor.owner.get() : tensor.data;
    descriptor = {static_cast<int64_t>(reinterpret_cast<intptr_t>(base)),
                  static_cast<int64_t>(reinterpret_cast<intptr_t>(tensor.data)),
                  0};
    descriptor.insert(descriptor.end(), tensor.shape.begin(),
                      tensor.shape.end());
    std::vector<int64_t> strides(tensor.shape.size(), 1);
    for (size_t d = tensor.shape.size(); d-- > 1;)
      strides[d - 1] = strides[d] * tensor.shape[d];
    descriptor.insert(descriptor.end(), strides.begin(), strides.end());
    packed.push_back(descriptor.data());
  }

  functions.at(entry.name)(packed.data());

  // Take ownership of every result before checking any, so that a bad
  // result never leaks the others.
  std::vector<Tensor> results(entry.results.size());
  std::vector<const int64_t *> resultWordsAt;
  for (size_t i = 0, word = 0; i < entry.results.size(); ++i) {
    const int64_t *descriptor = resultDescriptors.data() + word;
    word += 3 + 2 * entry.results[i].dims.size();
    resultWordsAt.push_back(descriptor);
    results[i].owner = buffers.adopt(
        reinterpret_cast<void *>(static_cast<intptr_t>(descriptor[0])));
  }
  // CUDA: the entry's kernels were only enqueued on the process stream; wait
  // for them once (a fault names the kernel launched last).
  if (execution && mode == CallMode::Eager)
    execution->synchronize();
  for (size_t i = 0; i < entry.results.size(); ++i) {
    const ValueSpec &spec = entry.results[i];
    const int64_t *descriptor = resultWordsAt[i];
    size_t rank = spec.dims.size();
    Tensor &tensor = results[i];
    tensor.dtype = spec.type;
    tensor.shape.assign(descriptor + 3, descriptor + 3 + rank);
    std::string what =
        "result " + std::string(roleName(spec.role)) + " '" + spec.name + "'";
    binder.bind(spec, tensor.shape, what, where);
    what = where + what;
    // The runtime reads results as dense row-major arrays.
    Shape strides(descriptor + 3 + rank, descriptor + 3 + 2 * rank);
    int64_t expectedStride = 1;
    for (size_t d = rank; d-- > 0;) {
      if (tensor.shape[d] != 1 && strides[d] != expectedStride)
        throw RatError(what + " is not a dense row-major array (strides " +
                       formatShape(strides) + ")");
      expectedStride *= tensor.shape[d];
    }
    if (descriptor[2] < 0)
      throw RatError(what + " has a negative offset");
    auto *aligned =
        reinterpret_cast<uint8_t *>(static_cast<intptr_t>(descriptor[1]));
    tensor.data =
        aligned + static_cast<size_t>(descriptor[2]) * dtypeSize(spec.type);
    if (!aligned && tensor.numElements() != 0)
      throw RatError(what + " has a null buffer");
  }
  if (mode == CallMode::Eager)
    for (size_t i = 0; i < entry.results.size(); ++i)
      if (entry.results[i].role == Role::State)
        states[entry.results[i].name] = results[i];
  return results;
}
