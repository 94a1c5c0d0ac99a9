#!/usr/bin/env bash
# install_check.sh BUILD PREFIX WORK (install.test): installs BUILD with
# `cmake --install` into PREFIX.installed, moves that to PREFIX, then works
# from PREFIX alone: the
# installed rat-compile compiles and runs the bundled example with the
# runtime of PREFIX/lib, the C example builds out of tree with
# find_package(RatMLIR) and runs, and the installed Python package compiles
# and loads a model in-process. Prints one line per check.
# Environment: CMAKE, CC, PYTHON (the build's cmake, C compiler, python3).
set -euo pipefail
build=$(cd "$1" && pwd)
prefix=$2
work=$3
cmake=${CMAKE:-cmake}
py=${PYTHON:-python3}
mkdir -p "$work"

# Installed into one place and moved to PREFIX: the tree is relocatable.
"$cmake" --install "$build" --prefix "$prefix.installed" > "$work/install.log"
mv "$prefix.installed" "$prefix"
for f in bin/rat-compile bin/rat-opt include/rat/Runtime/rat_model.h \
         lib/libRatRuntimeMain.a lib/libRatRuntimeSession.a \
         lib/libRatRuntimeSupport.a lib/libRatCudaRuntime.a lib/libRatModelApi.a \
         lib/cmake/RatMLIR/RatMLIRConfig.cmake lib/cmake/RatMLIR/RatMLIRTargets.cmake \
         share/rat-mlir/examples/tiny_rat_lm/weights.safetensors \
         share/rat-mlir/examples/c/CMakeLists.txt; do
  [ -e "$prefix/$f" ] || { echo "missing in the install tree: $f"; exit 1; }
done
echo "installed: tools, runtime archives, headers, CMake package, examples"
pydir=$(echo "$prefix"/lib/python*/site-packages)
[ -f "$pydir/rat/__init__.py" ] && ls "$pydir"/rat/_rat*.so > /dev/null
echo "installed: the Python package in ${pydir#$prefix/}"
# Nothing installed may name the build tree or the place it was installed
# to (the CMake package included).
if grep -rlF -e "$build/lib" -e "$build/bin" -e "$build/python_packages" \
     -e "$prefix.installed" "$prefix/lib/cmake" "$pydir/rat"/*.py; then
  echo "the install tree refers to the build tree $build or its first place"; exit 1
fi

ex=$prefix/share/rat-mlir/examples
echo "rat-opt: $("$prefix/bin/rat-opt" "$ex/rat_layer.mlir" --rat-to-cpu | grep -c llvm.func) llvm.func after rat-to-cpu"
"$prefix/bin/rat-compile" --model "$ex/tiny_rat_lm/model.json" --max-seq-len 64 \
  -v -o "$work/tiny_rat_lm" 2> "$work/compile.log"
link=$(grep "link:" "$work/compile.log")
case "$link" in
  *"$prefix/lib/libRatRuntimeMain.a"*) ;;
  *) echo "rat-compile did not link with $prefix/lib: $link"; exit 1 ;;
esac
case "$link" in *"$build/lib/"*) echo "rat-compile linked from the build tree: $link"; exit 1 ;; esac
echo "rat-compile links with the runtime of the install tree"
"$work/tiny_rat_lm" --weights "$ex/tiny_rat_lm/weights.safetensors" \
  --tokens "$ex/tiny_rat_lm/prompt.npy" --prompt-len 16 --generate 16 \
  --output "$work/generated.npy"
"$py" -c "import sys, numpy as np; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); \
print('example executable: generated', a[0, 16:].tolist(), 'match' if np.array_equal(a, b) else 'MISMATCH')" \
  "$work/generated.npy" "$ex/tiny_rat_lm/expected_greedy.npy"

"$cmake" -S "$ex/c" -B "$work/c" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="${CC:-cc}" -DCMAKE_PREFIX_PATH="$prefix" > "$work/c-configure.log"
"$cmake" --build "$work/c" > "$work/c-build.log"
echo "C example: $("$work/c/tiny_rat_lm_generate" "$ex/tiny_rat_lm/weights.safetensors" | grep -E '^(match|MISMATCH)')"

PYTHONPATH=$pydir PYTHONDONTWRITEBYTECODE=1 "$py" - "$ex/tiny_rat_lm" "$prefix" \
  2> "$work/python.log" <<'PY'
import os, sys
import numpy as np
import rat
example, prefix = sys.argv[1], sys.argv[2]
assert rat.__file__.startswith(prefix), rat.__file__
compiled = rat.compile(os.path.join(example, "model.json"), max_seq_len=64,
                       verbose=True)
with compiled.load(os.path.join(example, "weights.safetensors")) as model:
    out = model.generate(np.load(os.path.join(example, "prompt.npy")), 16, 16)
same = np.array_equal(out, np.load(os.path.join(example, "expected_greedy.npy")))
print("Python package:", "match" if same else "MISMATCH")
PY
link=$(grep "link:" "$work/python.log")
case "$link" in
  *"$prefix/lib/libRatModelApi.a"*) echo "rat.compile links with the runtime of the install tree" ;;
  *) echo "rat.compile did not link with $prefix/lib: $link"; exit 1 ;;
esac
