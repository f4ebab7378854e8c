// The spec's `volumes:` on a Slurm cluster: each named volume of the job's
// tenant is a directory of the server's volume store (storage/volume_store.h)
// that the cluster's nodes see under the cluster's `volumes_root` (a shared
// filesystem). The sbatch renderer (sbatch_render.h) binds it into a rank:
//   - in the rank's image: `SRC:DST[:ro]` in pyxis' --container-mounts or
//     apptainer's --bind; DST is the volume's path ("/data"), and the rank's
//     SKYRUN_MOUNT_ROOT is "" so "$SKYRUN_MOUNT_ROOT/data" names it;
//   - without an image (cluster key volumes_bwrap: true): under bubblewrap on
//     the node, with the host's root as it is, volumes_root hidden under an
//     empty tmpfs (no rank sees another volume, of its tenant or another's),
//     and each volume bound at "$SKYRUN_MOUNT_ROOT/<path>", where
//     SKYRUN_MOUNT_ROOT is a directory of the rank's own (rank-<r>/mnt): no
//     mount point is created on the node's real root.
// Sources are built from the tenant (as authenticated by the server, escaped
// as the store does) and a validated volume name, never from a path the
// spec gives; targets are re-checked here ('..', ',' and ':', NUL).
//
// Callers: RenderSbatch, SlurmDriver::CanRun and Launch (quotas). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"

namespace skyrun {

struct SlurmVolumeBind {
  std::string name;    // the volume's name
  std::string source;  // <volumes_root>/<tenant dir>/data/<name>, as the nodes see it
  std::string target;  // "/data": absolute, normalised
  bool read_only = false;
};

// The binds of the spec's volumes for `tenant`. InvalidArgument when the
// cluster has no volumes_root, for a bad name or path, or a path a bind list
// or a script cannot carry.
Result<std::vector<SlurmVolumeBind>> SlurmVolumeBinds(const JobSpec& spec, const std::string& tenant,
                                                      const std::string& volumes_root);

// The spec's checkpoint.dir as a rank sees it when it lies in a volume
// mounted writable: the bind's target and the rest ("/data/ckpt"; the
// renderer puts "$SKYRUN_MOUNT_ROOT" before it), so a retry on another node
// finds what the last attempt saved. "" when it lies in no volume, or in a
// read-only one (the job's own checkpoint directory is used then).
std::string CheckpointInVolumes(const JobSpec& spec, const std::vector<SlurmVolumeBind>& binds);

// "SRC:DST" or "SRC:DST:ro": one entry of a container bind list.
std::string ContainerVolumeBind(const SlurmVolumeBind& bind);

// Shell lines (for the batch step) that end the job with a clear message when
// a volume's directory is not there on the node.
std::string VolumeCheckLines(const std::vector<SlurmVolumeBind>& binds);

// The bwrap words that run a command with the volumes bound under
// "$SKYRUN_MOUNT_ROOT" and volumes_root hidden, ending in "--" (the command follows).
std::string BwrapVolumePrefix(const std::vector<SlurmVolumeBind>& binds, const std::string& volumes_root);

// Before a launch: OK, or ResourceExhausted with the figures when a volume
// the spec mounts writable already holds more than its size, or `tenant`'s
// volumes together more than `per_tenant_bytes` (0 = no limit), as measured
// in the server's volume store at `store_dir` (what the nodes see at
// volumes_root). Read-only volumes are not checked: nothing more is written.
// NotFound when the tenant has no such volume.
Status CheckSlurmVolumeQuotas(const JobSpec& spec, const std::string& tenant, const std::string& store_dir,
                              int64_t per_tenant_bytes);

// A volumes_root a cluster config may name: absolute, normalised, not "/",
// no ',' ':' blanks, quotes or control characters. OK or why not.
Status CheckVolumesRoot(const std::string& root);

}  // namespace skyrun
