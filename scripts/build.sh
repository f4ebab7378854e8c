#!/usr/bin/env bash
# Configures and builds skyrun into build/ (one build directory, ccache, -j2).
# Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${SKYRUN_JOBS:-2}
cmake -S . -B build -G Ninja "$@" >/dev/null
cmake --build build -j"$jobs"
