#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds, starts a server
# on the embedded defaults (SQLite state, this machine as the node pool),
# launches examples/quickstart, follows it to the end, and shows where it ran
# and what it cost. The server is stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
SKYRUN_TARGET=skyrun scripts/build.sh
bin=$PWD/build/apps/skyrun/skyrun
state=${SKYRUN_STATE_DIR:-$HOME/.skyrun}
listen=${SKYRUN_LISTEN:-127.0.0.1:8787}
export SKYRUN_SERVER=http://$listen
mkdir -p "$state"
"$bin" server --state-dir "$state" --listen "$listen" >"$state/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "$SKYRUN_SERVER/healthz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "the server did not start:"; cat "$state/server.log"; exit 1; }
  sleep 0.1
done
echo "== skyrun server on $listen (state in $state, log in $state/server.log)"
"$bin" nodes --state-dir "$state"
echo "== skyrun launch examples/quickstart/job.yaml"
set +e
"$bin" launch examples/quickstart/job.yaml --state-dir "$state"
rc=$?
set -e
echo "== skyrun queue --all"
"$bin" queue --all --limit 5 --state-dir "$state"
exit $rc
