#!/bin/bash
# record_outputs.sh: records real squeue/scontrol/sinfo/sacct outputs from a
# test cluster into tests/slurm/recorded/, for the parser tests.
#
#   record_outputs.sh [OUTDIR]     (default: the recorded/ folder beside this script)
#
# Starts its own cluster (slurm_cluster.sh) in a temp dir, drives jobs into
# every state the driver maps (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED,
# TIMEOUT, NODE_FAIL), records the commands' outputs and stops the cluster.
# Takes about two minutes (a TIMEOUT needs Slurm's one-minute minimum limit).
# Run it by hand when Slurm's output format may have changed; the parser tests
# then show what moved.
set -eu -o pipefail
source "$(dirname "$0")/record_lib.sh"
sq() { squeue -h -j "$1" -o '%i|%T|%N|%S|%r'; }
sj() { scontrol show job -o "$1"; }

scontrol show node -o >"$out/scontrol_show_node_idle.txt"
sinfo -N -h -o '%N|%T|%c|%m|%G|%P|%E' >"$out/sinfo_idle.txt"

# RUNNING (2 nodes x 2 GPUs, holds the whole cluster's GPUs) and PENDING behind it.
run=$(sub -N2 -n2 --ntasks-per-node=1 --gres=gpu:T4:2 --mem=512 -J skyrun-7-gang-a1 \
  --wrap 'srun bash -c "echo started; sleep 300"')
wait_state "$run" RUNNING
pend=$(sub -N1 -n1 --gres=gpu:T4:1 --mem=512 -J 'skyrun-8-pending job-a1' --wrap 'true')
sleep 2
sq "$run" >"$out/squeue_running.txt"
sq "$pend" >"$out/squeue_pending.txt"
sj "$run" >"$out/scontrol_show_job_running.txt"
sj "$pend" >"$out/scontrol_show_job_pending.txt"
scontrol show node -o >"$out/scontrol_show_node_mixed.txt"

# CANCELLED.
scancel "$run"
wait_state "$run" CANCELLED
sj "$run" >"$out/scontrol_show_job_cancelled.txt"
wait_state "$pend" COMPLETED
sj "$pend" >"$out/scontrol_show_job_completed.txt"
sq "$pend" >"$out/squeue_completed.txt" || true

# FAILED (exit code 3).
failed=$(sub -N1 -n1 --mem=256 --wrap 'exit 3')
wait_state "$failed" FAILED
sj "$failed" >"$out/scontrol_show_job_failed.txt"

# Purged / unknown job id, and sacct without a slurmdbd.
{ squeue -h -j 999999 -o '%i|%T|%N|%S|%r' 2>&1 || echo "exit=$?"; } >"$out/squeue_unknown.txt"
{ scontrol show job -o 999999 2>&1 || echo "exit=$?"; } >"$out/scontrol_show_job_unknown.txt"
{ sacct -n -P -X -o JobIDRaw,State,ExitCode,Start,End,NodeList -j "$failed" 2>&1 || echo "exit=$?"; } \
  >"$out/sacct_disabled.txt"

# TIMEOUT (one-minute limit, Slurm checks limits every 30 s) and, meanwhile,
# NODE_FAIL (slurmd of node2 killed while a 2-node job runs on it).
timeout_job=$(sub -N1 -n1 --mem=256 -t 1 -w node1 --wrap 'sleep 600')
nf=$(sub -N2 -n2 --ntasks-per-node=1 --mem=256 --wrap 'srun bash -c "echo started; sleep 600"')
wait_state "$nf" RUNNING
for ((i = 0; i < 100; i++)); do
  [ "$(grep -c started "$dir/job-$nf.out" 2>/dev/null)" = 2 ] && break
  sleep 0.2
done
kill -9 "$(cat "$dir/run/slurmd-node2.pid")"
wait_state "$nf" NODE_FAIL
sj "$nf" >"$out/scontrol_show_job_node_fail.txt"
scontrol show node -o >"$out/scontrol_show_node_down.txt"
sinfo -N -h -o '%N|%T|%c|%m|%G|%P|%E' >"$out/sinfo_down.txt"
scontrol update NodeName=node1 State=DRAIN Reason="skyrun test drain"
scontrol show node -o node1 >"$out/scontrol_show_node_drain.txt"
scontrol update NodeName=node1 State=RESUME
wait_state "$timeout_job" TIMEOUT
sj "$timeout_job" >"$out/scontrol_show_job_timeout.txt"
echo "recorded into $out:"
ls "$out"
