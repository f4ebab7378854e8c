#!/bin/bash
# slurm_cluster.sh: a real single-machine Slurm test cluster, entirely under DIR.
#
#   slurm_cluster.sh start  DIR [--nodes N] [--gpus-per-node G] [--gpu-type T]
#                               [--cpus-per-node C] [--memory-mib M] [--watch-pid PID]
#   slurm_cluster.sh stop   DIR        kill every daemon and job process it started; verify none is left
#   slurm_cluster.sh status DIR        sinfo of the cluster
#   slurm_cluster.sh env    DIR        the environment to use (SLURM_CONF=...)
#   slurm_cluster.sh start-node DIR NAME   restart one node's slurmd (after a kill -9)
#   slurm_cluster.sh crash-node DIR NAME   a machine failure: kill -9 the node's slurmd, its
#                                          slurmstepds and its job processes
#
# Who calls it: the SlurmDriver tests (a gtest environment starts it in a temp dir
# under the build tree and stops it in TearDown), the Slurm submit bench, people.
#
# What it builds: its own munged (own key, socket, pid, log under DIR), a
# slurm.conf/gres.conf/cgroup.conf generated in DIR on free loopback ports,
# slurmctld and N `slurmd -N nodeK` daemons (NodeAddr=127.0.0.1, one Port each),
# G fake GPUs per node declared as character devices (mknod c 1 3, a /dev/null
# twin) so that Slurm does real GRES accounting and sets CUDA_VISIBLE_DEVICES.
# Nothing is written outside DIR and nothing listens beyond 127.0.0.1.
#
# Every daemon started here carries SKYRUN_SLURM_CLUSTER_DIR=DIR in its
# environment, and slurmstepd inherits it; `stop` kills those, their
# descendants (the job steps) and orphaned job processes of this cluster
# (SLURM_JOB_ID set, SLURM_CONF=DIR/slurm.conf): what a killed slurmd leaves
# behind. With --watch-pid, a small watchdog stops the cluster as soon as that
# process is gone (a test binary that crashed or was killed by a timeout).
set -u -o pipefail

die() { echo "slurm_cluster.sh: $*" >&2; exit 1; }

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir_arg=$2
shift 2
mkdir -p "$dir_arg" 2>/dev/null || true
[ -d "$dir_arg" ] || die "cluster directory '$dir_arg' does not exist and cannot be created"
DIR=$(cd "$dir_arg" && pwd -P)

NODES=2
GPUS=2
GPU_TYPE=T4
CPUS=4
MEM=4096
WATCH_PID=""
NODE_NAME=""
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) NODES=$2; shift 2 ;;
    --gpus-per-node) GPUS=$2; shift 2 ;;
    --gpu-type) GPU_TYPE=$2; shift 2 ;;
    --cpus-per-node) CPUS=$2; shift 2 ;;
    --memory-mib) MEM=$2; shift 2 ;;
    --watch-pid) WATCH_PID=$2; shift 2 ;;
    -*) die "unknown option '$1' (see the usage at the top of $0)" ;;
    *) NODE_NAME=$1; shift ;;
  esac
done

CONF=$DIR/slurm.conf
SOCK=$DIR/munge/munge.sock
# This script's own environment must not carry the cluster's marks: `stop`
# finds the cluster's processes by them. Only the commands it starts get them.
unset SLURM_CONF SKYRUN_SLURM_CLUSTER_DIR
daemon_env=(env "SLURM_CONF=$CONF" "SKYRUN_SLURM_CLUSTER_DIR=$DIR")
client() { SLURM_CONF=$CONF "$@"; }

SBIN=/usr/sbin
for tool in "$SBIN/slurmctld" "$SBIN/slurmd" "$SBIN/munged" sinfo scontrol; do
  command -v "$tool" >/dev/null || die "'$tool' not found: install the Debian packages slurm-wlm and munge"
done

# Unix socket paths are limited to 107 bytes; slurmd's step sockets live in
# DIR/sp/<node>/<node>_<job>.<step>, the longest path we create.
if [ ${#DIR} -gt 60 ]; then
  die "cluster directory '$DIR' is ${#DIR} characters long; Unix sockets under it would pass the 107-byte limit. Use a path of at most 60 characters."
fi

node_names() {
  local i
  for ((i = 1; i <= NODES; i++)); do echo "node$i"; done
}

# N free TCP ports on 127.0.0.1 (the kernel picks them; released just before use).
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# A zombie has exited; only its parent (or init) can reap it.
is_zombie() { [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]; }

read_pid() { [ -f "$1" ] && tr -dc '0-9' <"$1"; }

# The processes of this cluster, other than this shell and its parents: those
# started with the cluster's marker (daemons, watchdog, slurmstepd inherit it),
# their descendants (job steps), and Slurm job processes of this cluster that
# were orphaned (SLURM_JOB_ID set and SLURM_CONF pointing here). A process that
# merely has SLURM_CONF set, like the shell of someone using the cluster, is
# not one of them.
cluster_pids() {
  local f p roots="" jobs=""
  for f in $(grep -lszxF "SKYRUN_SLURM_CLUSTER_DIR=$DIR" /proc/[0-9]*/environ); do
    p=${f#/proc/}
    p=${p%/environ}
    # Not this script (when the watchdog runs it, it carries the marker) nor
    # its parents, and so not their other children either.
    [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] || is_ancestor "$p" || roots="$roots $p"
  done
  for f in $(grep -lszxF "SLURM_CONF=$CONF" /proc/[0-9]*/environ); do
    if grep -qsz '^SLURM_JOB_ID=' "$f"; then
      p=${f#/proc/}
      jobs="$jobs ${p%/environ}"
    fi
  done
  for p in $(descendants $roots) $jobs; do
    [ "$p" = "$$" ] && continue
    [ "$p" = "$BASHPID" ] && continue
    [ -d "/proc/$p" ] || continue
    is_ancestor "$p" && continue
    echo "$p"
  done | sort -un
}

# The given pids and all their descendants (from /proc/*/stat parent links).
descendants() {
  [ $# -gt 0 ] || return 0
  cat /proc/[0-9]*/stat 2>/dev/null | sed 's/ (.*) / x /' | awk -v roots="$*" '
    { parent[$1] = $4; pids[n++] = $1; if ($3 == "Z") zombie[$1] = 1 }
    END {
      split(roots, r, " ")
      for (i in r) keep[r[i]] = 1
      for (changed = 1; changed;) {
        changed = 0
        for (j = 0; j < n; j++) {
          p = pids[j]
          if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 }
        }
      }
      for (p in keep) if (!(p in zombie)) print p
    }'
}

is_ancestor() {
  local p=$$
  while [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != 1 ]; do
    [ "$p" = "$1" ] && return 0
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
  done
  return 1
}

write_configs() {
  local ports host i n
  read -r -a ports <<<"$(free_ports $((NODES + 1)))" || true
  [ "${#ports[@]}" = $((NODES + 1)) ] || die "could not pick free ports on 127.0.0.1"
  host=$(hostname -s)
  mkdir -p "$DIR/munge" "$DIR/state" "$DIR/sp" "$DIR/log" "$DIR/run" "$DIR/dev"
  chmod 755 "$DIR/munge"
  cat >"$CONF" <<EOF
# Generated by slurm_cluster.sh for a single-machine test cluster. Do not edit.
ClusterName=skyrun
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/sp/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
# Plain process tracking, no cgroups: the test machine may have none usable.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# Every node runs on this one machine: report the configured CPUs/memory, not the host's.
SlurmdParameters=config_overrides
# A node that went DOWN for not responding comes back when its slurmd registers.
ReturnToService=2
# A killed slurmd makes its node DOWN within seconds (the NODE_FAIL test).
SlurmdTimeout=5
SlurmctldTimeout=10
MessageTimeout=5
# Finished jobs stay visible to 'scontrol show job' (there is no slurmdbd).
MinJobAge=600
# skyrun owns recovery: a NODE_FAIL job ends as NODE_FAIL instead of being requeued.
JobRequeue=0
KillWait=3
InactiveLimit=0
Waittime=0
SchedulerParameters=sched_interval=1,bf_interval=1
EOF
  n=1
  for name in $(node_names); do
    local gres_line=""
    if [ "$GPUS" -gt 0 ]; then gres_line=" Gres=gpu:$GPU_TYPE:$GPUS"; fi
    echo "NodeName=$name NodeAddr=127.0.0.1 NodeHostname=$host Port=${ports[$n]} CPUs=$CPUS RealMemory=$MEM$gres_line State=UNKNOWN" >>"$CONF"
    n=$((n + 1))
  done
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >>"$CONF"

  : >"$DIR/plugstack.conf"
  cat >"$DIR/cgroup.conf" <<EOF
# Unused (proctrack/linuxproc, task/none); present so no daemon reads /etc/slurm.
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
  {
    echo "# Fake GPUs: character devices (major 1, minor 3) that Slurm counts and binds."
    echo "AutoDetect=off"
    if [ "$GPUS" -gt 0 ]; then
      for name in $(node_names); do
        mkdir -p "$DIR/dev/$name"
        for ((i = 0; i < GPUS; i++)); do
          [ -e "$DIR/dev/$name/nvidia$i" ] || mknod "$DIR/dev/$name/nvidia$i" c 1 3 ||
            die "mknod $DIR/dev/$name/nvidia$i failed: fake GPUs need root"
        done
        echo "NodeName=$name Name=gpu Type=$GPU_TYPE File=$DIR/dev/$name/nvidia[0-$((GPUS - 1))]"
      done
    fi
  } >"$DIR/gres.conf"
  for name in $(node_names); do mkdir -p "$DIR/sp/$name"; done
}

start_munge() {
  if [ ! -f "$DIR/munge/munge.key" ]; then
    head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
    chmod 400 "$DIR/munge/munge.key"
  fi
  # --force: the daemon runs as root and DIR's parents are not munge-owned.
  "${daemon_env[@]}" /usr/sbin/munged --force --socket="$SOCK" --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" \
    --seed-file="$DIR/munge/munged.seed" --num-threads=2 ||
    die "munged did not start; see $DIR/log/munged.log"
  local i
  for ((i = 0; i < 100; i++)); do
    [ -S "$SOCK" ] && return 0
    sleep 0.1
  done
  die "munged socket $SOCK did not appear; see $DIR/log/munged.log"
}

start_slurmd() {
  local name=$1
  rm -f "$DIR/run/slurmd-$name.pid"
  "${daemon_env[@]}" /usr/sbin/slurmd -f "$CONF" -N "$name" >>"$DIR/log/slurmd-$name.start.log" 2>&1 ||
    die "slurmd -N $name did not start; see $DIR/log/slurmd-$name.log"
}

# Waits until every node is idle (or, with a name, that node). Returns 1 on timeout.
wait_idle() {
  local want=${1:-} i states
  for ((i = 0; i < 300; i++)); do
    if [ -n "$want" ]; then
      states=$(client sinfo -h -N -n "$want" -o '%T' 2>/dev/null)
      [ "$states" = idle ] && return 0
    else
      states=$(client sinfo -h -N -o '%T' 2>/dev/null | sort -u | tr '\n' ' ')
      if [ "$states" = "idle " ] && [ "$(client sinfo -h -N -o '%N' 2>/dev/null | wc -l)" = "$NODES" ]; then
        return 0
      fi
    fi
    sleep 0.2
  done
  return 1
}

start_watchdog() {
  local target=$1
  # Detached from the caller's session so that it outlives a killed test binary.
  setsid "${daemon_env[@]}" bash -c '
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    exec "$2" stop "$3" >>"$3/log/watchdog.log" 2>&1
  ' skyrun-slurm-watchdog "$target" "$(readlink -f "$0")" "$DIR" </dev/null >/dev/null 2>&1 &
  echo $! >"$DIR/run/watchdog.pid"
}

do_start() {
  if pid_alive "$(read_pid "$DIR/run/slurmctld.pid")"; then
    die "a cluster is already running in $DIR (stop it first)"
  fi
  write_configs
  start_munge
  "${daemon_env[@]}" /usr/sbin/slurmctld -f "$CONF" -i >>"$DIR/log/slurmctld.start.log" 2>&1 ||
    { do_stop >/dev/null 2>&1; die "slurmctld did not start; see $DIR/log/slurmctld.log"; }
  local name
  for name in $(node_names); do start_slurmd "$name"; done
  if [ -n "$WATCH_PID" ]; then start_watchdog "$WATCH_PID"; fi
  if ! wait_idle; then
    client sinfo -N >&2 || true
    tail -n 20 "$DIR/log/slurmctld.log" >&2 || true
    do_stop >/dev/null 2>&1
    die "the nodes did not become idle within 60 s; logs are in $DIR/log"
  fi
  do_env
}

do_env() {
  echo "export SLURM_CONF=$CONF"
}

do_status() {
  client sinfo -N -o '%N %T %c %m %G %P'
}

do_start_node() {
  [ -n "$NODE_NAME" ] || die "start-node needs a node name (node1, node2, ...)"
  grep -q "^NodeName=$NODE_NAME " "$CONF" || die "no node '$NODE_NAME' in $CONF"
  start_slurmd "$NODE_NAME"
  wait_idle "$NODE_NAME" || die "node $NODE_NAME did not become idle again; see $DIR/log/slurmd-$NODE_NAME.log"
}

# A crashed machine takes its jobs with it. Killing only slurmd (kill -9)
# leaves slurmstepd and the job running on, which a real node failure does
# not: the job would go on writing its checkpoints while skyrun places it
# again elsewhere. The node's job processes carry SLURMD_NODENAME=NAME and
# this cluster's SLURM_CONF; their slurmstepd is their parent.
do_crash_node() {
  [ -n "$NODE_NAME" ] || die "crash-node needs a node name (node1, node2, ...)"
  grep -q "^NodeName=$NODE_NAME " "$CONF" || die "no node '$NODE_NAME' in $CONF"
  local slurmd f p parent steps="" victims
  slurmd=$(read_pid "$DIR/run/slurmd-$NODE_NAME.pid")
  pid_alive "$slurmd" || die "the slurmd of $NODE_NAME is not running"
  kill -KILL "$slurmd" 2>/dev/null
  for f in $(grep -lszxF "SLURMD_NODENAME=$NODE_NAME" /proc/[0-9]*/environ); do
    grep -qszxF "SLURM_CONF=$CONF" "$f" || continue
    p=${f#/proc/}
    p=${p%/environ}
    is_ancestor "$p" && continue
    steps="$steps $p"
    parent=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
    if [ -n "$parent" ] && [ "$(cat "/proc/$parent/comm" 2>/dev/null)" = slurmstepd ]; then
      steps="$steps $parent"
    fi
  done
  # shellcheck disable=SC2086
  victims=$(descendants $steps | sort -un | tr '\n' ' ')
  # shellcheck disable=SC2086
  [ -z "$victims" ] || kill -KILL $victims 2>/dev/null
  echo "crashed $NODE_NAME: slurmd $slurmd and ${victims:-no job processes} killed"
}

kill_pidfile() {
  local pid
  pid=$(read_pid "$1")
  if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null; fi
}

do_stop() {
  local pid f i left daemons="" munged
  # The watchdog first, unless it is the one running this stop.
  pid=$(read_pid "$DIR/run/watchdog.pid")
  if pid_alive "$pid" && ! is_ancestor "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
  # slurmctld and the slurmds get a few seconds to exit cleanly.
  for f in "$DIR"/run/slurmd-*.pid "$DIR/run/slurmctld.pid"; do
    pid=$(read_pid "$f")
    if pid_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null
      daemons="$daemons $pid"
    fi
  done
  for ((i = 0; i < 50; i++)); do
    left=""
    for pid in $daemons; do pid_alive "$pid" && ! is_zombie "$pid" && left="$left $pid"; done
    [ -z "$left" ] && break
    sleep 0.1
  done
  # Then whatever is left of the cluster is killed: daemons that did not
  # exit, slurmstepd and job processes a killed slurmd left behind.
  munged=$(read_pid "$DIR/run/munged.pid")
  for ((i = 0; i < 10; i++)); do
    left=$(cluster_pids | grep -vxF "${munged:-none}" || true)
    [ -z "$left" ] && break
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
    sleep 0.2
  done
  # munged last: the daemons needed it to shut down.
  if pid_alive "$munged"; then
    kill -TERM "$munged" 2>/dev/null
    for ((i = 0; i < 10; i++)); do
      pid_alive "$munged" || break
      sleep 0.1
    done
    pid_alive "$munged" && kill -KILL "$munged" 2>/dev/null
    sleep 0.1
  fi
  # The final check looks a few times: a process caught while it exits (one
  # the daemons forked as they shut down) is gone a moment later, and one
  # started meanwhile is killed too. Only what survives all of that fails.
  for ((i = 0; i < 10; i++)); do
    left=$(cluster_pids)
    for f in "$DIR"/run/*.pid; do
      [ -f "$f" ] || continue
      pid=$(read_pid "$f")
      if pid_alive "$pid" && ! is_zombie "$pid" && ! is_ancestor "$pid"; then left="$left $pid"; fi
    done
    left=$(echo $left)
    [ -z "$left" ] && break
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
    sleep 0.2
  done
  if [ -n "$left" ]; then
    echo "slurm_cluster.sh: processes of the cluster in $DIR still running: $left" >&2
    ps -o pid,args -p "${left// /,}" >&2 || true
    return 1
  fi
  rm -f "$SOCK"
  echo "stopped the Slurm test cluster in $DIR; no process of it is left"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  env) do_env ;;
  start-node) do_start_node ;;
  crash-node) do_crash_node ;;
  *) usage ;;
esac
