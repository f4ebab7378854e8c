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
#include "model/job_spec.h"

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

// Where a file_mounts target lands under `cwd`; InvalidArgument if it escapes.
Result<std::string> MountTargetUnder(const std::string& cwd, const std::string& target);

}  // namespace skyrun
