#!/usr/bin/env bash
# Configures and builds skyrun into build/ (one build directory, ccache, -j2).
# Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${SKYRUN_JOBS:-2}
# Let ccache share results between checkouts in different directories (CI clones).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
cmake -S . -B build -G Ninja "$@" >/dev/null
# SKYRUN_TARGET=skyrun builds only the binary (the quickstart needs nothing else).
cmake --build build -j"$jobs" ${SKYRUN_TARGET:+--target "$SKYRUN_TARGET"}
