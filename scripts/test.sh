#!/usr/bin/env bash
# The test command: installs what is missing (Slurm and munge included), builds
# with warnings as errors, and runs the whole suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh -DSKYRUN_WERROR=ON -DSKYRUN_BUILD_FUZZERS=ON -DSKYRUN_CHECK_FORMAT=ON
cd build
ctest --output-on-failure -j2 --timeout 600 "$@"
