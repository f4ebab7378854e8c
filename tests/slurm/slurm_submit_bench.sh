#!/bin/bash
# slurm_submit_bench.sh: how fast a Slurm cluster takes work, as the anchor for
# skyrun's own submission figures (docs/BENCHMARKS.md).
#
#   slurm_submit_bench.sh DIR [-n SUBMISSIONS] [-l LATENCY_SAMPLES]
#       measures the test cluster already running in DIR (slurm_cluster.sh start DIR)
#   slurm_submit_bench.sh --start [-n SUBMISSIONS] [-l LATENCY_SAMPLES]
#       starts a 2-node test cluster in a temp dir, measures it, stops it
#
# Prints, in words and as key=value lines for the lead's bench:
#   sbatch_submissions_per_s  N sequential `sbatch --parsable --wrap true`
#   submit_to_running_p50_ms  submit `sleep 5`, poll squeue until the job is
#                             RUNNING (and p90, max); each job is cancelled after.
# Wall-clock timing is this script's business (it is a benchmark, not a test).
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=200
L=20
DIR=""
START=0
while [ $# -gt 0 ]; do
  case $1 in
    --start) START=1; shift ;;
    -n) N=$2; shift 2 ;;
    -l) L=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) DIR=$1; shift ;;
  esac
done
if [ "$START" = 1 ]; then
  DIR=$(mktemp -d /tmp/skyrun-bench.XXXXXX)
  trap '"$here/slurm_cluster.sh" stop "$DIR" >/dev/null; rm -rf "$DIR"' EXIT
  "$here/slurm_cluster.sh" start "$DIR" >/dev/null
fi
[ -n "$DIR" ] && [ -f "$DIR/slurm.conf" ] || {
  echo "usage: $0 DIR | --start  (DIR: a running slurm_cluster.sh cluster)" >&2
  exit 2
}
export SLURM_CONF=$DIR/slurm.conf
sinfo -h >/dev/null || { echo "no Slurm cluster answers in $DIR" >&2; exit 1; }

now_ns() { date +%s%N; }

# 1. Sequential submissions.
ids=()
t0=$(now_ns)
for ((i = 0; i < N; i++)); do
  ids+=("$(sbatch --parsable --wrap true -o /dev/null --mem=16 -J skyrun-bench)")
done
t1=$(now_ns)
scancel "${ids[@]}" 2>/dev/null || true
rate=$(awk -v n="$N" -v ns="$((t1 - t0))" 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
secs=$(awk -v ns="$((t1 - t0))" 'BEGIN { printf "%.2f", ns / 1e9 }')

# Let the queue drain before timing starts.
for ((i = 0; i < 600; i++)); do
  [ -z "$(squeue -h -n skyrun-bench -o %i)" ] && break
  sleep 0.1
done

# 2. Submit -> RUNNING latency, one job at a time on an idle cluster.
lat=()
for ((i = 0; i < L; i++)); do
  t0=$(now_ns)
  id=$(sbatch --parsable --wrap 'sleep 5' -o /dev/null --mem=16 -J skyrun-bench-lat)
  while [ "$(squeue -h -j "$id" -o %T)" != RUNNING ]; do sleep 0.005; done
  t1=$(now_ns)
  lat+=($(((t1 - t0) / 1000)))
  scancel "$id"
  while [ -n "$(squeue -h -j "$id" -o %i)" ]; do sleep 0.01; done
done
read -r p50 p90 max < <(printf '%s\n' "${lat[@]}" | sort -n | awk '
  { v[NR] = $1 }
  END { i50 = int((NR + 1) / 2); i90 = int(NR * 0.9 + 0.5); if (i90 < 1) i90 = 1
        printf "%.1f %.1f %.1f\n", v[i50] / 1000, v[i90] / 1000, v[NR] / 1000 }')

echo "Slurm $(sinfo -V | awk '{print $2}') test cluster in $DIR ($(sinfo -h -N | wc -l) nodes, $(nproc) cores):"
echo "  sbatch: $N sequential submissions in $secs s = $rate submissions/s"
echo "  submit -> RUNNING: p50 $p50 ms, p90 $p90 ms, max $max ms over $L jobs (squeue polled every 5 ms)"
echo "sbatch_submissions_per_s=$rate"
echo "submit_to_running_p50_ms=$p50"
echo "submit_to_running_p90_ms=$p90"
echo "submit_to_running_max_ms=$max"
