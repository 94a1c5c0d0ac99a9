/*===- fake_libcuda.c - A CUDA driver simulated on the host -------*- C -*-===*\
|*                                                                            *|
|* Built as libcuda.so.1 in its own folder; tests put that folder first in    *|
|* LD_LIBRARY_PATH so that the runtime's dlopen("libcuda.so.1") finds it on   *|
|* machines without a GPU. It implements the driver entry points the runtime  *|
|* resolves, with the semantics the runtime relies on:                        *|
|*                                                                            *|
|* - device memory is host memory (cuMemAlloc = 256-byte aligned malloc,     *|
|*   filled with 0xcd);                                                       *|
|* - work on a stream is queued and runs only when something waits for it    *|
|*   (stream, event or context synchronisation, a device-to-host copy on     *|
|*   that stream, stream destruction); synchronous calls on the legacy       *|
|*   stream wait for blocking streams only, as the real driver does, so a    *|
|*   runtime that reads results of a non-blocking stream without waiting     *|
|*   for it sees stale data;                                                  *|
|* - kernels are host functions of the executable: cuModuleGetFunction(name) *|
|*   looks up `fake_kernel_<name>` (void (*)(const unsigned grid[3], const   *|
|*   unsigned block[3], void **params)) and `fake_kernel_<name>_params` (the *|
|*   parameter sizes, 0-terminated) with dlsym, so the executable must export *|
|*   them (-rdynamic);                                                        *|
|* - stream capture (global and thread-local modes) records queued work into *|
|*   a graph; the calls the real driver forbids during such a capture        *|
|*   (cuMemAlloc, cuMemFree, synchronous copies, synchronisations, copies    *|
|*   with pageable host memory, work on the legacy stream) fail with         *|
|*   CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and invalidate the capture, unless *|
|*   the thread exchanged its mode to relaxed; graphs can be instantiated,   *|
|*   launched and have kernel parameters rewritten.                           *|
|*                                                                            *|
|* Environment: FAKE_CUDA_REPORT=FILE appends counters at exit (one `key      *|
|* value` per line); FAKE_CUDA_FAULT_KERNEL=name makes that kernel fault      *|
|* (CUDA_ERROR_ILLEGAL_ADDRESS at the next synchronisation), after           *|
|* FAKE_CUDA_FAULT_AFTER=N good runs of it; FAKE_CUDA_NO_PARAM_INFO=1 makes   *|
|* cuFuncGetParamInfo fail (as a driver without it); FAKE_CUDA_NOOP_KERNELS=1 *|
|* turns kernels without a host version into no-ops whose parameter sizes    *|
|* come from the image (the `.entry` of PTX, the EIATTR_KPARAM_INFO records  *|
|* of a cubin's .nv.info.<kernel> section): the host code of a real compiled *|
|* model runs, its kernels compute nothing. FAKE_CUDA_CC=M.N sets the       *|
|* device's compute capability (default 9.0); a cubin, or a fatbin, that   *|
|* has no code for it fails to load with CUDA_ERROR_NO_BINARY_FOR_GPU, as   *|
|* on a real GPU (a fatbin's PTX counts as code for equal and higher        *|
|* capabilities: the "JIT-compiled" module then uses the parameter sizes of *|
|* one of the fatbin's cubins, since PTX entries may be compressed).        *|
|* FAKE_CUDA_MEMORY_LIMIT=N makes cuMemAlloc of more than N bytes fail with  *|
|* CUDA_ERROR_OUT_OF_MEMORY.                                                  *|
|*                                                                            *|
|* Single-threaded, like the runtime's use of the driver.                     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum {
  OK = 0,
  ERR_INVALID_VALUE = 1,
  ERR_OUT_OF_MEMORY = 2,
  ERR_NO_BINARY_FOR_GPU = 209,
  ERR_INVALID_HANDLE = 400,
  ERR_NOT_FOUND = 500,
  ERR_ILLEGAL_ADDRESS = 700,
  ERR_CAPTURE_UNSUPPORTED = 900,
  ERR_CAPTURE_INVALIDATED = 901,
};

#define EXPORT __attribute__((visibility("default")))

/*===------------------------------------------------------------------===*
 * State
 *===------------------------------------------------------------------===*/

typedef void (*KernelFn)(const unsigned grid[3], const unsigned block[3],
                         void **params);

typedef struct Function {
  char *name;
  KernelFn fn;
  const unsigned *sizes; /* 0-terminated */
  size_t count;
} Function;

enum { OP_KERNEL, OP_COPY, OP_SET, OP_EVENT };

struct Event;

typedef struct Op {
  int kind;
  /* kernel */
  Function *function;
  unsigned grid[3], block[3];
  unsigned char *params; /* values back to back, function->sizes */
  /* copy / set */
  void *dst;
  const void *src;
  size_t bytes;
  unsigned char *staged; /* owned copy of pageable host data */
  unsigned value;
  size_t width, count;
  /* event */
  struct Event *event;
} Op;

typedef struct Node {
  size_t index;
} Node;

typedef struct Graph {
  Op *ops;
  Node **nodes;
  size_t count, capacity;
} Graph;

typedef struct Exec {
  Op *ops;
  size_t count;
} Exec;

typedef struct Stream {
  Op *ops;
  size_t count, capacity;
  int blocking;
  /* capture */
  int capturing;
  int invalidated;
  int mode;
  Graph *graph;
  Node *last;
} Stream;

typedef struct Event {
  double ms;
  Stream *stream;
} Event;

typedef struct Allocation {
  void *pointer;
  size_t bytes;
} Allocation;

static struct {
  int initialized;
  int threadMode; /* 0 global, 1 thread-local, 2 relaxed */
  Stream *streams[256];
  int numStreams;
  Allocation *allocations;
  size_t numAllocations, capacityAllocations;
  CUresult sticky;
  const char *faultKernel;
  long faultAfter;
  /* FAKE_CUDA_MEMORY_LIMIT, or 0: no limit. */
  unsigned long long memoryLimit;
  /* counters for FAKE_CUDA_REPORT */
  long memAlloc, memFree, kernels, graphLaunches, graphNodesRun, syncs,
      captures, invalidated, paramUpdates, peakLive, ptxJit;
  long liveBytes, peakLiveBytes;
} g;

static double nowMs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static Allocation *findAllocation(const void *pointer) {
  const char *p = (const char *)pointer;
  for (size_t i = 0; i < g.numAllocations; ++i) {
    const char *base = (const char *)g.allocations[i].pointer;
    if (p >= base &&
        p < base + (g.allocations[i].bytes ? g.allocations[i].bytes : 1))
      return &g.allocations[i];
  }
  return NULL;
}

static int isDevice(const void *pointer) {
  return findAllocation(pointer) != NULL;
}

/* The capture this thread runs, if any (single-threaded: any capture). */
static Stream *activeCapture(void) {
  for (int i = 0; i < g.numStreams; ++i)
    if (g.streams[i] && g.streams[i]->capturing)
      return g.streams[i];
  return NULL;
}

/* A potentially unsafe call: refused while a non-relaxed capture is active
   and this thread's mode is not relaxed; the capture is invalidated. */
static int unsafeRefused(void) {
  Stream *capture = activeCapture();
  if (!capture || capture->mode == 2 || g.threadMode == 2)
    return 0;
  capture->invalidated = 1;
  return 1;
}

/*===------------------------------------------------------------------===*
 * Execution
 *===------------------------------------------------------------------===*/

static size_t paramBytes(const Function *function) {
  size_t total = 0;
  for (size_t i = 0; i < function->count; ++i)
    total += function->sizes[i];
  return total;
}

static void runOp(Op *op) {
  switch (op->kind) {
  case OP_KERNEL: {
    void *pointers[64];
    size_t offset = 0;
    for (size_t i = 0; i < op->function->count && i < 64; ++i) {
      pointers[i] = op->params + offset;
      offset += op->function->sizes[i];
    }
    if (g.faultKernel && strcmp(g.faultKernel, op->function->name) == 0 &&
        g.faultAfter-- <= 0) {
      g.sticky = ERR_ILLEGAL_ADDRESS;
      break;
    }
    if (!g.sticky)
      op->function->fn(op->grid, op->block, pointers);
    break;
  }
  case OP_COPY:
    memmove(op->dst, op->staged ? op->staged : op->src, op->bytes);
    break;
  case OP_SET:
    for (size_t i = 0; i < op->count; ++i)
      memcpy((char *)op->dst + i * op->width, &op->value, op->width);
    break;
  case OP_EVENT:
    op->event->ms = nowMs();
    break;
  }
}

static Op copyOp(const Op *op) {
  Op copy = *op;
  if (op->kind == OP_KERNEL) {
    size_t bytes = paramBytes(op->function);
    copy.params = malloc(bytes + 1);
    memcpy(copy.params, op->params, bytes);
  }
  if (op->staged) {
    copy.staged = malloc(op->bytes + 1);
    memcpy(copy.staged, op->staged, op->bytes);
  }
  return copy;
}

static void freeOp(Op *op) {
  free(op->params);
  free(op->staged);
}

static void flush(Stream *stream) {
  if (!stream)
    return;
  for (size_t i = 0; i < stream->count; ++i) {
    runOp(&stream->ops[i]);
    freeOp(&stream->ops[i]);
  }
  stream->count = 0;
}

static void flushBlocking(void) {
  for (int i = 0; i < g.numStreams; ++i)
    if (g.streams[i] && g.streams[i]->blocking)
      flush(g.streams[i]);
}

static void flushAll(void) {
  for (int i = 0; i < g.numStreams; ++i)
    flush(g.streams[i]);
}

/* Enqueues `op` on `stream` (takes ownership), records it into the stream's
   capture, or runs it now on the legacy stream. */
static CUresult enqueue(Stream *stream, Op op) {
  if (!stream) {
    if (activeCapture() && unsafeRefused()) {
      freeOp(&op);
      return ERR_CAPTURE_UNSUPPORTED;
    }
    flushBlocking();
    runOp(&op);
    freeOp(&op);
    return OK;
  }
  if (stream->capturing) {
    if (stream->invalidated) {
      freeOp(&op);
      return ERR_CAPTURE_INVALIDATED;
    }
    Graph *graph = stream->graph;
    if (graph->count == graph->capacity) {
      graph->capacity = graph->capacity ? 2 * graph->capacity : 16;
      graph->ops = realloc(graph->ops, graph->capacity * sizeof(Op));
      graph->nodes = realloc(graph->nodes, graph->capacity * sizeof(Node *));
    }
    Node *node = malloc(sizeof(Node));
    node->index = graph->count;
    graph->ops[graph->count] = op;
    graph->nodes[graph->count] = node;
    graph->count++;
    stream->last = node;
    return OK;
  }
  if (stream->count == stream->capacity) {
    stream->capacity = stream->capacity ? 2 * stream->capacity : 16;
    stream->ops = realloc(stream->ops, stream->capacity * sizeof(Op));
  }
  stream->ops[stream->count++] = op;
  return OK;
}

/*===------------------------------------------------------------------===*
 * Errors, init, device, context
 *===------------------------------------------------------------------===*/

/* The fake's error codes with their driver names and texts. */
static const struct {
  CUresult code;
  const char *name, *text;
} kErrors[] = {
    {OK, "CUDA_SUCCESS", "no error"},
    {ERR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {ERR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {ERR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {ERR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE",
     "invalid resource handle"},
    {ERR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {ERR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {ERR_CAPTURE_UNSUPPORTED, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
     "operation not permitted when stream is capturing"},
    {ERR_CAPTURE_INVALIDATED, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
     "operation failed due to a previous error during capture"},
};

/* Sets *text to the name (or description) of `error`. */
static CUresult describeError(CUresult error, int name, const char **text) {
  for (size_t i = 0; i < sizeof(kErrors) / sizeof(kErrors[0]); ++i)
    if (kErrors[i].code == error) {
      *text = name ? kErrors[i].name : kErrors[i].text;
      return OK;
    }
  *text = NULL;
  return ERR_INVALID_VALUE;
}

EXPORT CUresult cuGetErrorString(CUresult error, const char **text) {
  return describeError(error, 0, text);
}

EXPORT CUresult cuGetErrorName(CUresult error, const char **text) {
  return describeError(error, 1, text);
}

static void report(void) {
  const char *path = getenv("FAKE_CUDA_REPORT");
  if (!path)
    return;
  FILE *file = fopen(path, "a");
  if (!file)
    return;
  fprintf(file,
          "memAlloc %ld\nmemFree %ld\nliveAllocations %zu\nkernels %ld\n"
          "graphLaunches %ld\ngraphNodesRun %ld\nsyncs %ld\ncaptures %ld\n"
          "invalidatedCaptures %ld\nparamUpdates %ld\npeakLiveBytes %ld\n"
          "ptxJit %ld\n",
          g.memAlloc, g.memFree, g.numAllocations, g.kernels, g.graphLaunches,
          g.graphNodesRun, g.syncs, g.captures, g.invalidated, g.paramUpdates,
          g.peakLiveBytes, g.ptxJit);
  fclose(file);
}

EXPORT CUresult cuInit(unsigned flags) {
  (void)flags;
  if (!g.initialized) {
    g.initialized = 1;
    g.faultKernel = getenv("FAKE_CUDA_FAULT_KERNEL");
    if (getenv("FAKE_CUDA_FAULT_AFTER"))
      g.faultAfter = atol(getenv("FAKE_CUDA_FAULT_AFTER"));
    if (getenv("FAKE_CUDA_MEMORY_LIMIT"))
      g.memoryLimit = strtoull(getenv("FAKE_CUDA_MEMORY_LIMIT"), NULL, 10);
    atexit(report);
  }
  return OK;
}

EXPORT CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return OK;
}

EXPORT CUresult cuDeviceGet(int *device, int ordinal) {
  if (ordinal != 0)
    return ERR_INVALID_VALUE;
  *device = 0;
  return OK;
}

EXPORT CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  snprintf(name, (size_t)length, "Fake CUDA device");
  return OK;
}

/* The device's compute capability: FAKE_CUDA_CC=M.N, else 9.0. */
static void computeCapability(int *major, int *minor) {
  const char *cc = getenv("FAKE_CUDA_CC");
  *major = 9;
  *minor = 0;
  if (cc && sscanf(cc, "%d.%d", major, minor) != 2) {
    *major = 9;
    *minor = 0;
  }
}

EXPORT CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  int major, minor;
  computeCapability(&major, &minor);
  switch (attribute) {
  case 75: /* compute capability major */
    *value = major;
    return OK;
  case 76:
    *value = minor;
    return OK;
  case 97: /* max shared memory per block opt-in */
    *value = 232448;
    return OK;
  case 115: /* memory pools supported */
    *value = 0;
    return OK;
  }
  *value = 0;
  return OK;
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, int device) {
  (void)device;
  *bytes = (size_t)80 << 30;
  return OK;
}

static int fakeContext;

EXPORT CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &fakeContext;
  return OK;
}

EXPORT CUresult cuCtxSetCurrent(void *context) {
  (void)context;
  return OK;
}

EXPORT CUresult cuCtxSynchronize(void) {
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  g.syncs++;
  flushAll();
  return g.sticky;
}

/*===------------------------------------------------------------------===*
 * Modules and functions
 *===------------------------------------------------------------------===*/

typedef struct Module {
  const char *ptx;          /* PTX text, if the image is one */
  const unsigned char *elf; /* a cubin otherwise */
} Module;

/* Whether code for architecture `arch` (80, 90; `specific` for sm_90a)
   runs on the device, as the driver decides: a cubin of the same major and
   an equal or lower minor version, PTX of an equal or lower version, and
   architecture-specific code on its own version only. */
static int runsOnDevice(unsigned arch, int ptx, int specific) {
  int major, minor;
  computeCapability(&major, &minor);
  unsigned device = (unsigned)(major * 10 + minor);
  if (specific)
    return arch == device;
  if (ptx)
    return arch <= device;
  return arch / 10 == (unsigned)major && arch % 10 <= (unsigned)minor;
}

/* A cubin's architecture: e_flags bits 8-15 from ELF ABI version 8 (CUDA
   13's ptxas), bits 0-7 before. */
static unsigned cubinArch(const unsigned char *elf) {
  uint32_t flags;
  memcpy(&flags, elf + 0x30, 4);
  return elf[8] >= 8 ? (flags >> 8) & 0xff : flags & 0xff;
}

/* A fatbin (magic 0xBA55ED50, then entries: u16 kind (1 PTX, 2 cubin), u32
   header size at 4, u64 payload size at 8, u32 architecture at 28, u64
   flags at 40 with bit 20 = architecture-specific): the cubin the device
   runs (the highest architecture), else any cubin when only the PTX fits
   (the driver would JIT-compile it), else NULL. */
static const unsigned char *fatbinCubin(const unsigned char *fatbin,
                                        int *jit) {
  uint16_t headerSize;
  uint64_t size;
  memcpy(&headerSize, fatbin + 6, 2);
  memcpy(&size, fatbin + 8, 8);
  const unsigned char *best = NULL, *anyCubin = NULL;
  unsigned bestArch = 0;
  int ptxFits = 0;
  for (uint64_t offset = headerSize; offset + 48 <= headerSize + size;) {
    uint16_t kind;
    uint32_t entryHeader, arch;
    uint64_t payload, flags;
    memcpy(&kind, fatbin + offset, 2);
    memcpy(&entryHeader, fatbin + offset + 4, 4);
    memcpy(&payload, fatbin + offset + 8, 8);
    memcpy(&arch, fatbin + offset + 28, 4);
    memcpy(&flags, fatbin + offset + 40, 8);
    int specific = (flags >> 20) & 1;
    if (entryHeader < 48)
      break;
    const unsigned char *data = fatbin + offset + entryHeader;
    if (kind == 2) {
      anyCubin = data;
      if (runsOnDevice(arch, 0, specific) && arch >= bestArch) {
        best = data;
        bestArch = arch;
      }
    } else if (kind == 1 && runsOnDevice(arch, 1, specific)) {
      ptxFits = 1;
    }
    offset += entryHeader + payload;
  }
  *jit = !best && ptxFits && anyCubin;
  return best ? best : *jit ? anyCubin : NULL;
}

EXPORT CUresult cuModuleLoadData(void **module, const void *image) {
  const unsigned char *bytes = (const unsigned char *)image;
  const unsigned char *elf = NULL;
  uint32_t magic = 0;
  if (bytes)
    memcpy(&magic, bytes, 4);
  if (magic == 0xBA55ED50u) {
    int jit = 0;
    elf = fatbinCubin(bytes, &jit);
    if (!elf)
      return ERR_NO_BINARY_FOR_GPU;
    g.ptxJit += jit;
  } else if (bytes && memcmp(bytes, "\177ELF", 4) == 0) {
    if (!runsOnDevice(cubinArch(bytes), 0, 0))
      return ERR_NO_BINARY_FOR_GPU;
    elf = bytes;
  }
  Module *result = calloc(1, sizeof(Module));
  if (elf)
    result->elf = elf;
  else
    result->ptx = (const char *)image;
  *module = result;
  return OK;
}

EXPORT CUresult cuModuleLoadDataEx(void **module, const void *image,
                                   unsigned numOptions, int *options,
                                   void **values) {
  (void)numOptions;
  (void)options;
  (void)values;
  return cuModuleLoadData(module, image);
}

EXPORT CUresult cuModuleUnload(void *module) {
  free(module);
  return OK;
}

/* The parameter sizes of kernel `name` in a cubin (ELF64): records of its
   .nv.info.<name> section; EIATTR_KPARAM_INFO (0x17) holds the ordinal and
   the size in bits 18-31 of its last word. 0-terminated, or NULL. */
static unsigned *cubinParamSizes(const unsigned char *elf, const char *name) {
  if (!elf)
    return NULL;
  uint64_t sectionOffset;
  uint16_t entrySize, count, names;
  memcpy(&sectionOffset, elf + 0x28, 8);
  memcpy(&entrySize, elf + 0x3a, 2);
  memcpy(&count, elf + 0x3c, 2);
  memcpy(&names, elf + 0x3e, 2);
  uint64_t namesOffset;
  memcpy(&namesOffset, elf + sectionOffset + (uint64_t)names * entrySize + 24,
         8);
  char wanted[512];
  snprintf(wanted, sizeof(wanted), ".nv.info.%s", name);
  for (uint16_t i = 0; i < count; ++i) {
    const unsigned char *header = elf + sectionOffset + (uint64_t)i * entrySize;
    uint32_t nameIndex;
    uint64_t offset, size;
    memcpy(&nameIndex, header, 4);
    memcpy(&offset, header + 24, 8);
    memcpy(&size, header + 32, 8);
    if (strcmp((const char *)elf + namesOffset + nameIndex, wanted) != 0)
      continue;
    unsigned sizes[256] = {0};
    unsigned params = 0;
    for (uint64_t p = offset; p + 2 <= offset + size;) {
      unsigned format = elf[p], attribute = elf[p + 1];
      if (format == 4) { /* EIFMT_SVAL: u16 length, payload */
        uint16_t length;
        memcpy(&length, elf + p + 2, 2);
        if (attribute == 0x17 && length >= 12) {
          uint16_t ordinal;
          uint32_t flags;
          memcpy(&ordinal, elf + p + 4 + 4, 2);
          memcpy(&flags, elf + p + 4 + 8, 4);
          if (ordinal < 255) {
            sizes[ordinal] = (flags >> 18) & 0x3fff;
            if (ordinal + 1u > params)
              params = ordinal + 1u;
          }
        }
        p += 4 + length;
      } else if (format == 3) { /* EIFMT_HVAL */
        p += 4;
      } else if (format == 2) { /* EIFMT_BVAL */
        p += 3;
      } else { /* EIFMT_NVAL */
        p += 2;
      }
    }
    unsigned *result = calloc(params + 1, sizeof(unsigned));
    memcpy(result, sizes, params * sizeof(unsigned));
    return result;
  }
  return NULL;
}

static void noopKernel(const unsigned grid[3], const unsigned block[3],
                       void **params) {
  (void)grid;
  (void)block;
  (void)params;
}

/* The parameter sizes of `.entry name(...)` in a PTX image, 0-terminated, or
   NULL. Handles `.param .u64 [.ptr .align N] x`, `.b32`, `.f32`, ... */
static unsigned *ptxParamSizes(const char *image, const char *name) {
  if (!image)
    return NULL;
  char pattern[512];
  snprintf(pattern, sizeof(pattern), ".entry %s(", name);
  const char *entry = strstr(image, pattern);
  if (!entry)
    return NULL;
  const char *end = strchr(entry, ')');
  unsigned *sizes = calloc(1, sizeof(unsigned));
  size_t count = 0;
  for (const char *p = strstr(entry, ".param"); p && p < end;
       p = strstr(p + 6, ".param")) {
    const char *type = p + 6;
    while (*type == ' ' || *type == '\t')
      ++type;
    unsigned bits = 0;
    if (type[0] == '.' && strchr("usbf", type[1]))
      bits = (unsigned)atoi(type + 2);
    if (bits == 0 || bits % 8) {
      free(sizes);
      return NULL; /* aggregates are not handled */
    }
    sizes = realloc(sizes, (count + 2) * sizeof(unsigned));
    sizes[count++] = bits / 8;
    sizes[count] = 0;
  }
  return sizes;
}

EXPORT CUresult cuModuleGetFunction(Function **function, void *module,
                                    const char *name) {
  char symbol[512];
  snprintf(symbol, sizeof(symbol), "fake_kernel_%s", name);
  void *fn = dlsym(RTLD_DEFAULT, symbol);
  snprintf(symbol, sizeof(symbol), "fake_kernel_%s_params", name);
  const unsigned *sizes = (const unsigned *)dlsym(RTLD_DEFAULT, symbol);
  if ((!fn || !sizes) && getenv("FAKE_CUDA_NOOP_KERNELS")) {
    sizes = ptxParamSizes(((Module *)module)->ptx, name);
    if (!sizes)
      sizes = cubinParamSizes(((Module *)module)->elf, name);
    KernelFn noop = noopKernel;
    memcpy(&fn, &noop, sizeof(fn));
  }
  if (!fn || !sizes)
    return ERR_NOT_FOUND;
  Function *result = calloc(1, sizeof(Function));
  result->name = strdup(name);
  memcpy(&result->fn, &fn, sizeof(fn));
  result->sizes = sizes;
  while (sizes[result->count])
    result->count++;
  *function = result;
  return OK;
}

EXPORT CUresult cuFuncSetAttribute(Function *function, int attribute,
                                   int value) {
  (void)function;
  (void)attribute;
  (void)value;
  return OK;
}

static CUresult funcGetParamInfo(Function *function, size_t index,
                                 size_t *offset, size_t *size) {
  if (index >= function->count)
    return ERR_INVALID_VALUE;
  size_t total = 0;
  for (size_t i = 0; i < index; ++i)
    total += function->sizes[i];
  *offset = total;
  *size = function->sizes[index];
  return OK;
}

EXPORT CUresult cuFuncGetParamInfo(Function *function, size_t index,
                                   size_t *offset, size_t *size) {
  if (getenv("FAKE_CUDA_NO_PARAM_INFO"))
    return ERR_NOT_FOUND; /* resolved, but behaves as if unsupported */
  return funcGetParamInfo(function, index, offset, size);
}

EXPORT CUresult cuLaunchKernel(Function *function, unsigned gridX,
                               unsigned gridY, unsigned gridZ, unsigned blockX,
                               unsigned blockY, unsigned blockZ,
                               unsigned sharedMemBytes, Stream *stream,
                               void **params, void **extra) {
  (void)sharedMemBytes;
  if (!function)
    return ERR_INVALID_HANDLE;
  if (extra || (function->count && !params) ||
      (unsigned long long)blockX * blockY * blockZ > 1024)
    return ERR_INVALID_VALUE;
  Op op;
  memset(&op, 0, sizeof(op));
  op.kind = OP_KERNEL;
  op.function = function;
  op.grid[0] = gridX;
  op.grid[1] = gridY;
  op.grid[2] = gridZ;
  op.block[0] = blockX;
  op.block[1] = blockY;
  op.block[2] = blockZ;
  op.params = malloc(paramBytes(function) + 1);
  size_t offset = 0;
  for (size_t i = 0; i < function->count; ++i) {
    memcpy(op.params + offset, params[i], function->sizes[i]);
    offset += function->sizes[i];
  }
  g.kernels++;
  return enqueue(stream, op);
}

/*===------------------------------------------------------------------===*
 * Streams and events
 *===------------------------------------------------------------------===*/

EXPORT CUresult cuStreamCreate(Stream **stream, unsigned flags) {
  if (g.numStreams == 256)
    return ERR_OUT_OF_MEMORY;
  Stream *result = calloc(1, sizeof(Stream));
  result->blocking = !(flags & 1);
  g.streams[g.numStreams++] = result;
  *stream = result;
  return OK;
}

EXPORT CUresult cuStreamDestroy_v2(Stream *stream) {
  for (int i = 0; i < g.numStreams; ++i)
    if (g.streams[i] == stream) {
      flush(stream);
      free(stream->ops);
      free(stream);
      g.streams[i] = g.streams[--g.numStreams];
      return OK;
    }
  return ERR_INVALID_HANDLE;
}

EXPORT CUresult cuStreamSynchronize(Stream *stream) {
  if (stream && stream->capturing) {
    stream->invalidated = 1;
    return ERR_CAPTURE_UNSUPPORTED;
  }
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  g.syncs++;
  if (stream)
    flush(stream);
  else
    flushBlocking();
  return g.sticky;
}

EXPORT CUresult cuStreamWaitEvent(Stream *stream, Event *event,
                                  unsigned flags) {
  (void)flags;
  (void)stream;
  if (event && event->stream && !event->stream->capturing)
    flush(event->stream);
  return OK;
}

EXPORT CUresult cuEventCreate(Event **event, unsigned flags) {
  (void)flags;
  *event = calloc(1, sizeof(Event));
  return OK;
}

EXPORT CUresult cuEventDestroy_v2(Event *event) {
  free(event);
  return OK;
}

EXPORT CUresult cuEventRecord(Event *event, Stream *stream) {
  Op op;
  memset(&op, 0, sizeof(op));
  op.kind = OP_EVENT;
  op.event = event;
  event->stream = stream;
  return enqueue(stream, op);
}

EXPORT CUresult cuEventSynchronize(Event *event) {
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  g.syncs++;
  if (event->stream)
    flush(event->stream);
  return g.sticky;
}

EXPORT CUresult cuEventElapsedTime(float *ms, Event *start, Event *end) {
  *ms = (float)(end->ms - start->ms);
  return OK;
}

/*===------------------------------------------------------------------===*
 * Memory
 *===------------------------------------------------------------------===*/

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  if (bytes == 0)
    return ERR_INVALID_VALUE;
  if (g.memoryLimit && bytes > g.memoryLimit)
    return ERR_OUT_OF_MEMORY;
  /* The real driver aligns allocations to at least 256 bytes. */
  void *block = NULL;
  if (posix_memalign(&block, 256, bytes) != 0)
    return ERR_OUT_OF_MEMORY;
  memset(block, 0xcd, bytes);
  if (g.numAllocations == g.capacityAllocations) {
    g.capacityAllocations =
        g.capacityAllocations ? 2 * g.capacityAllocations : 64;
    g.allocations =
        realloc(g.allocations, g.capacityAllocations * sizeof(Allocation));
  }
  g.allocations[g.numAllocations].pointer = block;
  g.allocations[g.numAllocations].bytes = bytes;
  g.numAllocations++;
  g.memAlloc++;
  g.liveBytes += (long)bytes;
  if (g.liveBytes > g.peakLiveBytes)
    g.peakLiveBytes = g.liveBytes;
  *pointer = (CUdeviceptr)(uintptr_t)block;
  return OK;
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes,
                                  unsigned flags) {
  (void)flags;
  return cuMemAlloc_v2(pointer, bytes);
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr pointer) {
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  void *block = (void *)(uintptr_t)pointer;
  /* cuMemFree synchronises the device. */
  flushAll();
  for (size_t i = 0; i < g.numAllocations; ++i)
    if (g.allocations[i].pointer == block) {
      g.liveBytes -= (long)g.allocations[i].bytes;
      free(block);
      g.allocations[i] = g.allocations[--g.numAllocations];
      g.memFree++;
      return OK;
    }
  return ERR_INVALID_VALUE;
}

EXPORT CUresult cuPointerGetAttribute(void *data, int attribute,
                                      CUdeviceptr pointer) {
  if (attribute != 2) /* CU_POINTER_ATTRIBUTE_MEMORY_TYPE */
    return ERR_INVALID_VALUE;
  if (!isDevice((void *)(uintptr_t)pointer))
    return ERR_INVALID_VALUE; /* unregistered host memory */
  *(unsigned *)data = 2;      /* CU_MEMORYTYPE_DEVICE */
  return OK;
}

static CUresult copyAsync(void *dst, const void *src, size_t bytes,
                          Stream *stream) {
  Stream *capture = activeCapture();
  int pageable = !isDevice(dst) || !isDevice(src);
  if (capture && (pageable || !stream) && unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  Op op;
  memset(&op, 0, sizeof(op));
  op.kind = OP_COPY;
  op.dst = dst;
  op.src = src;
  op.bytes = bytes;
  if (!isDevice(dst) && stream && !stream->capturing) {
    /* Into pageable host memory: returns once the copy is done. */
    flush(stream);
    memmove(dst, src, bytes);
    return OK;
  }
  if (!isDevice(src)) {
    /* From pageable host memory: staged before the call returns. */
    op.staged = malloc(bytes + 1);
    memcpy(op.staged, src, bytes);
  }
  return enqueue(stream, op);
}

EXPORT CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                              Stream *stream) {
  return copyAsync((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes,
                   stream);
}

EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src,
                                     size_t bytes, Stream *stream) {
  return copyAsync((void *)(uintptr_t)dst, src, bytes, stream);
}

EXPORT CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                                     Stream *stream) {
  return copyAsync(dst, (const void *)(uintptr_t)src, bytes, stream);
}

/* Synchronous copies run on the legacy stream. */
EXPORT CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  return copyAsync((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes,
                   NULL);
}

EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                size_t bytes) {
  return cuMemcpy(dst, (CUdeviceptr)(uintptr_t)src, bytes);
}

EXPORT CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  return cuMemcpy((CUdeviceptr)(uintptr_t)dst, src, bytes);
}

static CUresult memsetAsync(CUdeviceptr dst, unsigned value, size_t width,
                            size_t count, Stream *stream) {
  Op op;
  memset(&op, 0, sizeof(op));
  op.kind = OP_SET;
  op.dst = (void *)(uintptr_t)dst;
  op.value = value;
  op.width = width;
  op.count = count;
  return enqueue(stream, op);
}

EXPORT CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value,
                              size_t count) {
  if (unsafeRefused())
    return ERR_CAPTURE_UNSUPPORTED;
  return memsetAsync(dst, value, 1, count, NULL);
}

EXPORT CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value,
                                size_t count, Stream *stream) {
  return memsetAsync(dst, value, 1, count, stream);
}

EXPORT CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value,
                                 size_t count, Stream *stream) {
  return memsetAsync(dst, value, 2, count, stream);
}

EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                                 Stream *stream) {
  return memsetAsync(dst, value, 4, count, stream);
}

/*===------------------------------------------------------------------===*
 * Capture and graphs
 *===------------------------------------------------------------------===*/

EXPORT CUresult cuStreamBeginCapture_v2(Stream *stream, int mode) {
  if (!stream || stream->capturing || activeCapture())
    return ERR_INVALID_VALUE;
  stream->capturing = 1;
  stream->invalidated = 0;
  stream->mode = mode;
  stream->graph = calloc(1, sizeof(Graph));
  stream->last = NULL;
  g.captures++;
  return OK;
}

static void destroyGraph(Graph *graph) {
  for (size_t i = 0; i < graph->count; ++i) {
    freeOp(&graph->ops[i]);
    free(graph->nodes[i]);
  }
  free(graph->ops);
  free(graph->nodes);
  free(graph);
}

EXPORT CUresult cuStreamEndCapture(Stream *stream, Graph **graph) {
  if (!stream || !stream->capturing)
    return ERR_INVALID_VALUE;
  stream->capturing = 0;
  *graph = NULL;
  if (stream->invalidated) {
    g.invalidated++;
    destroyGraph(stream->graph);
    stream->graph = NULL;
    return ERR_CAPTURE_INVALIDATED;
  }
  *graph = stream->graph;
  stream->graph = NULL;
  return OK;
}

EXPORT CUresult cuStreamGetCaptureInfo_v2(Stream *stream, int *status,
                                          unsigned long long *id, Graph **graph,
                                          Node ***dependencies, size_t *count) {
  *status = stream && stream->capturing ? (stream->invalidated ? 2 : 1) : 0;
  if (id)
    *id = 1;
  if (graph)
    *graph = stream && stream->capturing ? stream->graph : NULL;
  if (dependencies) {
    *dependencies = stream && stream->last ? &stream->last : NULL;
    *count = stream && stream->last ? 1 : 0;
  }
  return OK;
}

EXPORT CUresult cuThreadExchangeStreamCaptureMode(int *mode) {
  int previous = g.threadMode;
  g.threadMode = *mode;
  *mode = previous;
  return OK;
}

EXPORT CUresult cuGraphInstantiateWithFlags(Exec **exec, Graph *graph,
                                            unsigned long long flags) {
  (void)flags;
  Exec *result = calloc(1, sizeof(Exec));
  result->count = graph->count;
  result->ops = calloc(graph->count + 1, sizeof(Op));
  for (size_t i = 0; i < graph->count; ++i)
    result->ops[i] = copyOp(&graph->ops[i]);
  *exec = result;
  return OK;
}

EXPORT CUresult cuGraphLaunch(Exec *exec, Stream *stream) {
  if (!exec)
    return ERR_INVALID_HANDLE;
  g.graphLaunches++;
  for (size_t i = 0; i < exec->count; ++i) {
    CUresult result = enqueue(stream, copyOp(&exec->ops[i]));
    if (result != OK)
      return result;
    g.graphNodesRun++;
  }
  return OK;
}

EXPORT CUresult cuGraphExecDestroy(Exec *exec) {
  for (size_t i = 0; i < exec->count; ++i)
    freeOp(&exec->ops[i]);
  free(exec->ops);
  free(exec);
  return OK;
}

EXPORT CUresult cuGraphDestroy(Graph *graph) {
  destroyGraph(graph);
  return OK;
}

typedef struct {
  Function *func;
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  void **kernelParams;
  void **extra;
  void *kern;
  void *ctx;
} KernelNodeParams;

EXPORT CUresult cuGraphExecKernelNodeSetParams_v2(
    Exec *exec, Node *node, const KernelNodeParams *params) {
  if (!exec || !node || node->index >= exec->count)
    return ERR_INVALID_VALUE;
  Op *op = &exec->ops[node->index];
  if (op->kind != OP_KERNEL || params->func != op->function)
    return ERR_INVALID_VALUE;
  op->grid[0] = params->gridDimX;
  op->grid[1] = params->gridDimY;
  op->grid[2] = params->gridDimZ;
  op->block[0] = params->blockDimX;
  op->block[1] = params->blockDimY;
  op->block[2] = params->blockDimZ;
  size_t offset = 0;
  for (size_t i = 0; i < op->function->count; ++i) {
    memcpy(op->params + offset, params->kernelParams[i],
           op->function->sizes[i]);
    offset += op->function->sizes[i];
  }
  g.paramUpdates++;
  return OK;
}
