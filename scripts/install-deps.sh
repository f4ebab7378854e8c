#!/usr/bin/env bash
# Installs what skyrun needs from Debian 12 (run as root; apt must be reachable).
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the test suite needs (Slurm, munge, clang/libFuzzer, torch, s3rver)
# Packages already present are left alone, so a second run is quick.
set -euo pipefail
want=(build-essential cmake ninja-build ccache pkg-config git
      libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev sqlite3 libcli11-dev
      libre2-dev libspdlog-dev libfmt-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
      python3 python3-numpy curl
      bubblewrap   # the local backend runs every task inside bwrap (docs/backends-local.md)
      libarchive-dev)  # container image layers (src/image/unpack.h)
if [ "${1:-}" = "--test" ]; then
  want+=(clang clang-format libclang-rt-14-dev python3-torch python3-jsonschema python3-yaml slurm-wlm munge procps
        docker-registry  # a loopback OCI registry for the image tests (tests/image)
        zstd  # compresses the zstd layers of the image tests (tests/support/oci_registry.h)
        nodejs)  # node + npm (Debian: also the npm package) for the pinned test tools below
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Test tools from the npm registry, pinned, outside the repository:
#   s3rver: an S3-compatible server the storage tests start on loopback (tests/support/s3rver.h).
if [ "${1:-}" = "--test" ]; then
  tools=/opt/skyrun-test-tools
  s3rver_version=3.7.1
  if [ "$(node -p "require('$tools/node_modules/s3rver/package.json').version" 2>/dev/null)" != "$s3rver_version" ]; then
    echo "install-deps: installing s3rver@$s3rver_version into $tools"
    command -v npm >/dev/null || $SUDO apt-get install -y -q --no-install-recommends npm
    $SUDO mkdir -p "$tools"
    $SUDO npm install --no-audit --no-fund --prefix "$tools" "s3rver@$s3rver_version"
  fi
fi
