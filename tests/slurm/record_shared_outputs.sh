#!/bin/bash
# record_shared_outputs.sh: records what a Slurm cluster shared with other
# users looks like, for the squeue --json parser (PollMany) and the inventory
# that takes off what other users hold (slurm_usage.h):
#
#   record_shared_outputs.sh [OUTDIR]     (default: the recorded/ folder beside this script)
#
# Starts its own cluster (slurm_cluster.sh: 2 nodes x 2 T4) in a temp dir, then
#   job 1  "otheruser" on node1: 2 CPUs, 700 MiB, 1 GPU        RUNNING
#   job 2  skyrun gang on node1+node2: 1 CPU, 512 MiB, 1 GPU each  RUNNING
#   job 3  skyrun job that exits 3                              FAILED
#   job 4  skyrun job asking for 2 GPUs (none left)             PENDING
#   job 5  skyrun job cancelled while running                   CANCELLED
#   job 6  a job whose batch script kills itself (SIGKILL)      FAILED
# and records `squeue --json`, `scontrol show node -d -o` and
# `scontrol show job -d -o`. Takes about ten seconds.
set -eu -o pipefail
poll=0.2
source "$(dirname "$0")/record_lib.sh"

other=$(sub -N1 -n1 -c 2 -w node1 --gres=gpu:T4:1 --mem=700 -J otheruser --wrap 'sleep 300')
gang=$(sub -N2 -n2 --ntasks-per-node=1 --gres=gpu:T4:1 --mem=512 -J skyrun-7-gang-a1 --wrap 'srun sleep 300')
wait_state "$other" RUNNING
wait_state "$gang" RUNNING
failed=$(sub -N1 -n1 --mem=100 -J skyrun-9-x-a1 --wrap 'exit 3')
wait_state "$failed" FAILED
pending=$(sub -N1 -n1 --gres=gpu:T4:2 --mem=100 -J 'skyrun-10-pending job-a1' --wrap 'true')
cancelled=$(sub -N1 -n1 --mem=100 -w node2 -J skyrun-11-c-a1 --wrap 'sleep 100')
wait_state "$cancelled" RUNNING
scancel "$cancelled"
wait_state "$cancelled" CANCELLED
signalled=$(sub -N1 -n1 --mem=100 -J sig --wrap 'kill -9 $$')
wait_state "$signalled" FAILED
[ "$(job_state "$pending")" = PENDING ]

squeue --json >"$out/squeue_json_mixed.txt"
scontrol show node -d -o >"$out/scontrol_show_node_detail_shared.txt"
scontrol show job -d -o >"$out/scontrol_show_job_detail_shared.txt"
scancel "$other" "$gang" "$pending"
echo "recorded into $out: squeue_json_mixed.txt scontrol_show_node_detail_shared.txt" \
  "scontrol_show_job_detail_shared.txt"
