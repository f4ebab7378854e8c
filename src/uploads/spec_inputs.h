// Which paths of a job spec travel in its upload, and how the server resolves
// them. The rule, the same on both sides: a relative workdir, file_mounts
// source or partition.profile names a file on the client's side, relative to
// the spec file's directory, and travels in the upload; an absolute one names
// a path on the server and is accepted only under a root the admin declares
// (server config `uploads.server_paths`); URIs (s3://...) are left to the
// spec checks. Callers: the CLI's packer (SpecInputs) and the API server at
// submission (CheckSpecInputs). Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"

namespace skyrun::uploads {

// One path of the spec: which field ("workdir", "file_mounts[/data]",
// "partition.profile"), the value as written, and whether it must be a
// directory (workdir), a file (profile) or either (a mount source).
enum class InputKind { kDirectory, kFile, kAny };
struct SpecInput {
  std::string field;
  std::string value;
  InputKind kind = InputKind::kAny;
  std::vector<std::string> yaml_path;  // keys to the value in the spec: {"file_mounts", "/data"}
};

// A refused path: the message names the field; yaml_path locates it.
struct PathProblem {
  std::vector<std::string> yaml_path;
  std::string message;
};

// Every local path the spec names (URIs left out).
std::vector<SpecInput> SpecInputs(const JobSpec& spec);

bool IsUri(const std::string& path);

// Checks every path of `spec` on the server: relative ones must stay inside
// and exist in `upload_dir` (the job's unpacked upload; "" = the job has none)
// with the right kind, and no link on the way; absolute ones must lie under
// one of `server_paths`. One problem per bad path, naming the field (and line
// where the spec says it); none quotes a file's content.
std::vector<PathProblem> CheckSpecInputs(const JobSpec& spec, const std::string& upload_dir,
                                         const std::vector<std::string>& server_paths);

// Splits an absolute `path` into (the declared root it lies under, the rest);
// NotFound when it lies under none ('..' never counts as under).
Status SplitServerPath(const std::string& path, const std::vector<std::string>& server_paths,
                       std::string* root, std::string* rest);

}  // namespace skyrun::uploads
