# -*- Python -*-
# lit configuration of the rat regression and integration tests.

import glob
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "RAT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.rat_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "golden", "reference", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibdir", config.llvm_lib_dir))
config.substitutions.append(("%rat_src_root", config.rat_src_root))
config.substitutions.append(("%rat_obj_root", config.rat_obj_root))
config.substitutions.append(("%golden", os.path.join(config.rat_src_root, "test", "golden")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%reference", os.path.join(config.rat_src_root, "test", "Integration", "reference")))
config.substitutions.append(("%testdata", os.path.join(config.rat_src_root, "scripts", "testdata")))
# The C compiler of the build (C hosts of model libraries) and CMake.
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%cmake", config.cmake_command))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.rat_tools_dir, config.llvm_tools_dir]
tools = ["rat-opt", "mlir-runner", "mlir-translate", "mlir-opt",
         ToolSubst("rat-compile", unresolved="ignore")]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.rat_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Features from what this machine has.
cuda_root = getattr(config, "cuda_root", "") or "/usr/local/cuda"
for tool in ("ptxas", "fatbinary"):
    if shutil.which(tool) or os.path.exists(os.path.join(cuda_root, "bin", tool)):
        config.available_features.add(tool)
cuda_toolkit = os.environ.get("CUDA_ROOT") or os.environ.get("CUDA_HOME") or \
    os.environ.get("CUDA_PATH") or "/usr/local/cuda"
if os.path.exists(os.path.join(cuda_toolkit, "nvvm", "libdevice", "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
if os.path.exists(os.path.join(config.rat_tools_dir, "rat-compile")):
    config.available_features.add("rat-compile")
# The rat Python module (python-bindings/) is only built when CMake found
# Python 3 headers and pybind11: without it the tests that need it
# (test/Python, test/Install) are UNSUPPORTED rather than failing.
if glob.glob(os.path.join(config.rat_obj_root, "python_packages", "rat",
                          "_rat*.so")):
    config.available_features.add("python-bindings")
# The libFuzzer targets (fuzz/, RAT_BUILD_FUZZERS).
config.substitutions.append(("%fuzz_bin", os.path.join(config.rat_obj_root, "fuzz")))
config.substitutions.append(("%fuzz_corpus", os.path.join(config.rat_src_root, "fuzz", "corpus")))
if all(os.path.exists(os.path.join(config.rat_obj_root, "fuzz", "fuzz-" + name))
       for name in ("safetensors", "npy", "manifest", "model-config", "rat-ir")):
    config.available_features.add("fuzzers")


def _has_cuda_device():
    """A CUDA driver library and at least one visible GPU."""
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=20)
        return out.returncode == 0 and b"GPU" in out.stdout
    except (OSError, subprocess.SubprocessError):
        return False


if _has_cuda_device():
    config.available_features.add("cuda")
