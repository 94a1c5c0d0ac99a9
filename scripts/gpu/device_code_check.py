"""Loads the device code of `rat-compile --emit cubin|fatbin` with the CUDA
driver API alone (ctypes on libcuda.so.1, no rat runtime), as a user's own
host code would, and checks it against its kernel table.

    device_code_check.py .device/layer.fatbin
        loads the file (cuModuleLoadData), finds every kernel of
        layer.kernels.json (cuModuleGetFunction) and checks that each
        kernel's block fits its maximum threads per block
        (cuFuncGetAttribute); prints `N kernels loaded (GPU sm_XY)`.
    device_code_check.py .device/layer.sm80.cubin --expect-no-binary
        expects the load to fail with CUDA_ERROR_NO_BINARY_FOR_GPU (an sm_80
        cubin on a Hopper GPU: cubins run on their own major version only).
Exits 1 on any mismatch.
"""
import ctypes
import json
import os
import sys

NO_BINARY_FOR_GPU = 209
MAX_THREADS_PER_BLOCK = 0  # CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK


def main():
    path = sys.argv[1]
    expect_no_binary = "--expect-no-binary" in sys.argv
    cuda = ctypes.CDLL("libcuda.so.1")

    def check(result, what):
        if result != 0:
            name = ctypes.c_char_p()
            cuda.cuGetErrorName(result, ctypes.byref(name))
            sys.exit("%s failed: %s" % (what, name.value.decode()))

    check(cuda.cuInit(0), "cuInit")
    device = ctypes.c_int()
    check(cuda.cuDeviceGet(ctypes.byref(device), 0), "cuDeviceGet")
    major, minor = ctypes.c_int(), ctypes.c_int()
    check(cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, device), "cc")
    check(cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, device), "cc")
    gpu = "sm_%d%d" % (major.value, minor.value)
    context = ctypes.c_void_p()
    check(cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device),
          "cuDevicePrimaryCtxRetain")
    check(cuda.cuCtxSetCurrent(context), "cuCtxSetCurrent")

    image = open(path, "rb").read()
    module = ctypes.c_void_p()
    result = cuda.cuModuleLoadData(ctypes.byref(module), image)
    if expect_no_binary:
        if result != NO_BINARY_FOR_GPU:
            sys.exit("expected CUDA_ERROR_NO_BINARY_FOR_GPU loading %s on %s, "
                     "got %d" % (path, gpu, result))
        print("CUDA_ERROR_NO_BINARY_FOR_GPU as expected (GPU %s)" % gpu)
        return
    check(result, "cuModuleLoadData(%s)" % path)

    table_path = os.path.splitext(path)[0] + ".kernels.json"
    table = json.load(open(table_path))
    for kernel in table["kernels"]:
        function = ctypes.c_void_p()
        check(cuda.cuModuleGetFunction(ctypes.byref(function), module,
                                       kernel["name"].encode()),
              "cuModuleGetFunction(%s)" % kernel["name"])
        limit = ctypes.c_int()
        check(cuda.cuFuncGetAttribute(ctypes.byref(limit),
                                      MAX_THREADS_PER_BLOCK, function),
              "cuFuncGetAttribute")
        if kernel["block"]:
            threads = kernel["block"][0] * kernel["block"][1] * kernel["block"][2]
            if threads > limit.value:
                sys.exit("%s: block of %d threads, the kernel allows %d" %
                         (kernel["name"], threads, limit.value))
    launched = {l["kernel"] for e in table["entries"] for l in e["launches"]}
    if not launched <= {k["name"] for k in table["kernels"]}:
        sys.exit("a launch names a kernel that is not in the table")
    print("%d kernels loaded (GPU %s)" % (len(table["kernels"]), gpu))


main()
