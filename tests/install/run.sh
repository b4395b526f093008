#!/usr/bin/env bash
# Install a soma build into a temporary prefix, then build and run tests/install/main.cpp
# against it twice: through find_package(soma) and through pkg-config.
# usage: run.sh BUILD_DIR [CXX]
set -euo pipefail
build=$(cd "$1" && pwd)
cxx=${2:-c++}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix"
pcdir=$(dirname "$(find "$tmp/prefix" -name soma.pc)")
libdir=$(dirname "$pcdir")
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"  # for a shared libsoma

echo "== find_package(soma)"
cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=Release
cmake --build "$tmp/cmake"
"$tmp/cmake/consumer"

echo "== pkg-config soma"
export PKG_CONFIG_PATH="$pcdir"
# shellcheck disable=SC2046  # pkg-config output is meant to be word-split
"$cxx" -std=c++20 -O1 "$here/main.cpp" -o "$tmp/consumer-pc" $(pkg-config --cflags --libs soma)
"$tmp/consumer-pc"
