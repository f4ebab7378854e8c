// Staging for the local pool: copies a job's workdir and file_mounts into one
// task's working directory before its supervisor starts. LocalDriver::Launch
// is the caller. Thread-safety: thread-safe (no shared state), as long as two
// callers never stage into the same directory.
//
// Simplification: without containers there is no private mount namespace, so
// an absolute mount target ("/data") cannot be placed at its real path. It is
// placed under the task's cwd with the leading '/' removed ("<cwd>/data") and
// the task gets SKYRUN_MOUNT_ROOT=<cwd>, so a script can use
// "$SKYRUN_MOUNT_ROOT/data". With a container runtime the same copies are
// also bind-mounted at their real path (see container.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "drivers/local/task_files.h"
#include "model/job_spec.h"
#include "storage/volume_store.h"

namespace skyrun {

struct StagedMount {
  std::string host_path;  // where the copy lies, under the cwd
  std::string target;     // the path the spec asked for ("/data" or "cfg/x.yaml")
  bool absolute = false;  // target was absolute
};

struct StagedFiles {
  std::string cwd;  // the task's working directory (created even with nothing to stage)
  std::vector<StagedMount> mounts;
};

// Creates `cwd`, copies spec.workdir into it (relative to spec.base_dir, the
// job's unpacked upload) and each file_mounts source (likewise) to its
// target. Refuses non-local sources (s3://...), targets that would leave the
// cwd ("../x"), and any path that passes through a symbolic link, in the
// sources as in the targets (common/safe_fs.h): staging never writes outside
// the cwd, whatever links the workdir holds.
Result<StagedFiles> StageTaskFiles(const JobSpec& spec, const std::string& cwd);

// The binds of the spec's volumes for one task of `tenant`: each volume's
// data directory in `volumes` (NotFound naming the volume when the tenant has
// none so named) bound at its path under the staged `cwd` (as file_mounts
// targets are, so "/data" is $SKYRUN_MOUNT_ROOT/data). A target that the
// staged workdir already holds as anything but an empty directory is refused:
// a link there would redirect the mount.
Result<std::vector<SandboxBind>> VolumeBinds(const JobSpec& spec, const std::string& cwd,
                                             const std::string& tenant, const storage::VolumeStore& volumes);

// Where checkpoint.dir lies when it is inside one of the spec's volumes
// ("/ckpt/run1" with a volume at /ckpt): its path under `cwd`, so that a
// retry (on any node of the pool) finds what the last attempt wrote. ""
// when the spec names no checkpoint dir inside a volume.
std::string CheckpointInVolume(const JobSpec& spec, const std::string& cwd);

// Where a file_mounts target lands under `cwd`; InvalidArgument if it escapes.
Result<std::string> MountTargetUnder(const std::string& cwd, const std::string& target);

}  // namespace skyrun
