#!/bin/bash
# record_lib.sh: what the recording scripts share (sourced, not run). Starts a
# test cluster (slurm_cluster.sh: 2 nodes x 2 T4) in a fresh temp dir that is
# stopped and removed when the script exits, points Slurm's commands at it and
# defines:
#   sub ARGS...            sbatch --parsable with the job's output in the temp dir
#   job_state JOB          the job's JobState from scontrol
#   wait_state JOB STATE...  waits (up to 600 tries, $poll s apart) until JOB is in one of STATEs
# Sets `here` (tests/slurm), `out` (the output folder, $1 or recorded/) and `dir`.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/recorded}
poll=${poll:-0.5}
mkdir -p "$out"
dir=$(mktemp -d /tmp/skyrun-rec.XXXXXX)
trap '"$here/slurm_cluster.sh" stop "$dir" >/dev/null || true; rm -rf "$dir"' EXIT
"$here/slurm_cluster.sh" start "$dir" --nodes 2 --gpus-per-node 2 --gpu-type T4 >/dev/null
export SLURM_CONF=$dir/slurm.conf
sub() { sbatch --parsable --no-requeue -o "$dir/job-%j.out" "$@"; }
job_state() { scontrol show job -o "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
wait_state() {
  local job=$1 i s want
  shift
  for ((i = 0; i < 600; i++)); do
    s=$(job_state "$job")
    for want in "$@"; do [ "$s" = "$want" ] && return 0; done
    sleep "$poll"
  done
  echo "job $job never reached $*" >&2
  return 1
}
