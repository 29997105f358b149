#!/bin/sh
# install-check.sh BUILD_DIR CMAKE CC CONSUMER_C: install weft from BUILD_DIR into a
# temporary prefix, then build and run CONSUMER_C against it with
# find_package(weft) (shared and static targets) and with pkg-config.
# Exit 77 (skipped) only for the pkg-config part when pkg-config is missing.
set -eu
build=$1 cmake=$2 cc=$3 src=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cmake" --install "$build" --prefix "$tmp/prefix" >/dev/null

mkdir -p "$tmp/proj"
cp "$src" "$tmp/proj/consumer.c"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(weft REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE weft::weft)
add_executable(consumer_static consumer.c)
target_link_libraries(consumer_static PRIVATE weft::weft_static)
CM
"$cmake" -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
"$cmake" --build "$tmp/proj/build" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64" "$tmp/proj/build/consumer"
"$tmp/proj/build/consumer_static"

if ! command -v pkg-config >/dev/null 2>&1; then
  echo "pkg-config not installed: pkg-config check skipped"
  exit 77
fi
pcdir=$(dirname "$(find "$tmp/prefix" -name weft.pc | head -n 1)")
PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_PATH
# weft.pc names the configure-time prefix; point it at the temporary one
pc="pkg-config --define-variable=prefix=$tmp/prefix"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -pedantic "$src" -o "$tmp/consumer_pc" \
  $($pc --cflags --libs weft) -pthread
LD_LIBRARY_PATH=$($pc --variable=libdir weft) "$tmp/consumer_pc"
echo "install check ok"
