#include "drivers/local/staging.h"

#include <filesystem>
#include <system_error>

#include "common/safe_fs.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

bool LooksLikeUri(const std::string& s) {
  return s.find("://") != std::string::npos;
}

// Where a spec path is read from: relative ones from the job's unpacked
// upload (spec.base_dir, a directory the server owns), absolute ones from "/"
// (the server accepted them at submission only under its declared roots).
// Either way the walk below the root follows no link.
Status SourceOf(const JobSpec& spec, const std::string& path, const std::string& what, std::string* root,
                std::string* rel) {
  if (!path.empty() && path.front() == '/') {
    *root = "/";
    *rel = path.find_first_not_of('/') == std::string::npos ? "." : path.substr(path.find_first_not_of('/'));
    return Status::Ok();
  }
  if (spec.base_dir.empty()) {
    return InvalidArgument(what + " '" + path +
                           "' is relative, but the job has no upload to resolve it in; "
                           "submit with `skyrun launch`, which uploads what the spec names");
  }
  *root = spec.base_dir;
  *rel = path;
  return Status::Ok();
}

}  // namespace

Result<std::string> MountTargetUnder(const std::string& cwd, const std::string& target) {
  std::string rel = target;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  fs::path normal = fs::path(rel).lexically_normal();
  std::string first = normal.empty() ? "" : normal.begin()->string();
  if (normal.empty() || normal == "." || first == "..") {
    return InvalidArgument("file_mounts target '" + target +
                           "' does not name a path inside the task's directory; use a path such as /data "
                           "or data/");
  }
  return (fs::path(cwd) / normal).string();
}

Result<StagedFiles> StageTaskFiles(const JobSpec& spec, const std::string& cwd) {
  StagedFiles staged;
  staged.cwd = cwd;
  std::error_code ec;
  fs::create_directories(cwd, ec);
  if (ec) return Internal("cannot create the task directory " + cwd + ": " + ec.message());
  std::string root, rel;
  if (!spec.workdir.empty()) {
    if (LooksLikeUri(spec.workdir)) {
      return InvalidArgument("workdir " + spec.workdir +
                             " is not a local directory; the local pool stages local files only");
    }
    SKYRUN_RETURN_IF_ERROR(SourceOf(spec, spec.workdir, "workdir", &root, &rel));
    SKYRUN_RETURN_IF_ERROR(CopyBeneath(root, rel, cwd, ".", "workdir"));
  }
  for (const auto& [target, source_spec] : spec.file_mounts) {
    if (LooksLikeUri(source_spec)) {
      return InvalidArgument("file_mounts source " + source_spec + " (for " + target +
                             ") is not a local path; the local pool copies local files only");
    }
    SKYRUN_ASSIGN_OR_RETURN(std::string dest, MountTargetUnder(cwd, target));
    SKYRUN_RETURN_IF_ERROR(SourceOf(spec, source_spec, "file_mounts source", &root, &rel));
    // Every component of the target is walked from the cwd without following
    // links: a link the workdir brought ("link -> /outside") cannot redirect it.
    std::string dest_rel = dest.substr(cwd.size() + 1);
    SKYRUN_RETURN_IF_ERROR(CopyBeneath(root, rel, cwd, dest_rel, "file_mounts[" + target + "]"));
    staged.mounts.push_back({dest, target, !target.empty() && target.front() == '/'});
  }
  return staged;
}

Result<std::vector<SandboxBind>> VolumeBinds(const JobSpec& spec, const std::string& cwd,
                                             const std::string& tenant, const storage::VolumeStore& volumes) {
  std::vector<SandboxBind> binds;
  for (const VolumeMount& v : spec.volumes) {
    Result<std::string> source = volumes.DataDir(tenant, v.name);
    if (!source.ok()) {
      return Status(source.status().code(), "volumes: " + source.status().message());
    }
    SKYRUN_ASSIGN_OR_RETURN(std::string target, MountTargetUnder(cwd, v.path));
    std::string rel = target.substr(cwd.size() + 1);
    SKYRUN_ASSIGN_OR_RETURN(EntryKind kind, KindBeneath(cwd, rel, "volume path " + v.path));
    if (kind != EntryKind::kMissing && kind != EntryKind::kDirectory) {
      return InvalidArgument(
          "volume '" + v.name + "': its path " + v.path +
          " is a file or link in the job's workdir; mount the volume at a path the workdir "
          "does not hold");
    }
    if (kind == EntryKind::kDirectory) {
      std::error_code ec;
      if (!fs::is_empty(target, ec) || ec) {
        return InvalidArgument("volume '" + v.name + "': its path " + v.path +
                               " is a non-empty directory of the job's workdir, which the volume would hide; "
                               "mount it elsewhere");
      }
    }
    binds.push_back({*source, target, v.read_only});
  }
  return binds;
}

std::string CheckpointInVolume(const JobSpec& spec, const std::string& cwd) {
  if (spec.checkpoint_dir.empty()) return "";
  fs::path ckpt = fs::path("/" + spec.checkpoint_dir).lexically_normal();
  for (const VolumeMount& v : spec.volumes) {
    fs::path mount = fs::path("/" + v.path).lexically_normal();
    std::string m = mount.string();
    while (m.size() > 1 && m.back() == '/') m.pop_back();
    std::string c = ckpt.string();
    if (c == m || c.rfind(m + "/", 0) == 0) {
      if (v.read_only) return "";  // a read-only volume cannot hold checkpoints
      return (fs::path(cwd) / c.substr(1)).lexically_normal().string();
    }
  }
  return "";
}

}  // namespace skyrun
