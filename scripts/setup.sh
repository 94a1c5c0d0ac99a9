#!/usr/bin/env bash
# Installs the Debian packages rat-mlir needs (only those missing), then
# configures and builds the project with CMake + Ninja.
#
#   scripts/setup.sh            # build into ./build
#   RAT_BUILD_DIR=dir scripts/setup.sh
#
# Idempotent: on a machine that has everything it only runs ninja.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RAT_BUILD_DIR:-$root/build}

packages=(cmake ninja-build clang-22 lld libclang-rt-22-dev llvm-22-dev llvm-22-tools
          libmlir-22-dev mlir-22-tools libgtest-dev pybind11-dev python3-dev
          python3-numpy python3-pytest)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$build/build.ninja" ]; then
  echo "[setup] configuring $build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_ENABLE_LLD=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
start=$(date +%s)
ninja -C "$build" -j"$(nproc)"
echo "[setup] build done in $(( $(date +%s) - start )) s: $build/bin"
