#include "drivers/local/staging.h"

#include <filesystem>
#include <system_error>

namespace skyrun {
namespace {

namespace fs = std::filesystem;

std::string Resolve(const JobSpec& spec, const std::string& path) {
  fs::path p(path);
  if (p.is_absolute() || spec.base_dir.empty()) return p.lexically_normal().string();
  return (fs::path(spec.base_dir) / p).lexically_normal().string();
}

bool LooksLikeUri(const std::string& s) {
  return s.find("://") != std::string::npos;
}

// Copies a file or a directory tree (symlinks kept as links) to `dest`.
Status CopyTree(const std::string& source, const std::string& dest, const std::string& what) {
  std::error_code ec;
  fs::file_status st = fs::status(source, ec);
  if (ec || !fs::exists(st)) {
    return InvalidArgument(what + " " + source +
                           " does not exist; fix the path in the job spec (relative "
                           "paths are resolved against the spec file's directory)");
  }
  fs::create_directories(fs::path(dest).parent_path(), ec);
  if (ec) return Internal("cannot create " + fs::path(dest).parent_path().string() + ": " + ec.message());
  if (fs::is_directory(st)) {
    fs::create_directories(dest, ec);
    if (!ec) {
      fs::copy(source, dest,
               fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                   fs::copy_options::overwrite_existing,
               ec);
    }
  } else {
    fs::copy_file(source, dest, fs::copy_options::overwrite_existing, ec);
  }
  if (ec) return Internal("cannot copy " + what + " " + source + " to " + dest + ": " + ec.message());
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
  if (!spec.workdir.empty()) {
    if (LooksLikeUri(spec.workdir)) {
      return InvalidArgument("workdir " + spec.workdir +
                             " is not a local directory; the local pool stages local files only");
    }
    std::string source = Resolve(spec, spec.workdir);
    if (!fs::is_directory(source, ec)) {
      return InvalidArgument("workdir " + source + " is not a directory; fix `workdir` in the job spec");
    }
    SKYRUN_RETURN_IF_ERROR(CopyTree(source, cwd, "workdir"));
  }
  for (const auto& [target, source_spec] : spec.file_mounts) {
    if (LooksLikeUri(source_spec)) {
      return InvalidArgument("file_mounts source " + source_spec + " (for " + target +
                             ") is not a local path; the local pool copies local files only");
    }
    SKYRUN_ASSIGN_OR_RETURN(std::string dest, MountTargetUnder(cwd, target));
    SKYRUN_RETURN_IF_ERROR(CopyTree(Resolve(spec, source_spec), dest, "file_mounts source"));
    staged.mounts.push_back({dest, target, !target.empty() && target.front() == '/'});
  }
  return staged;
}

}  // namespace skyrun
