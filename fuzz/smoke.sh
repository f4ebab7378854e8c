#!/usr/bin/env bash
# Short libFuzzer run of one target over its seed corpus, for the test suite.
# Usage: smoke.sh FUZZER_BINARY SEED_CORPUS_DIR [SECONDS]
set -euo pipefail
bin=$1 seeds=$2 secs=${3:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$bin" ] || { echo "fuzzer $bin was not built"; exit 1; }
"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work" "$seeds"
