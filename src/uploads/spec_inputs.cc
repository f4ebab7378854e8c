#include "uploads/spec_inputs.h"

#include <filesystem>

#include "common/safe_fs.h"
#include "common/strings.h"

namespace skyrun::uploads {
namespace {

namespace fs = std::filesystem;

std::string RootsText(const std::vector<std::string>& roots) {
  return roots.empty() ? "none are declared (server config uploads.server_paths)"
                       : "allowed roots: " + Join(roots, ", ");
}

const char* KindName(InputKind k) {
  return k == InputKind::kDirectory ? "a directory"
         : k == InputKind::kFile    ? "a file"
                                    : "a file or a directory";
}

}  // namespace

bool IsUri(const std::string& path) {
  return path.find("://") != std::string::npos;
}

std::vector<SpecInput> SpecInputs(const JobSpec& spec) {
  std::vector<SpecInput> out;
  if (!spec.workdir.empty() && !IsUri(spec.workdir))
    out.push_back({"workdir", spec.workdir, InputKind::kDirectory, {"workdir"}});
  for (const auto& [target, source] : spec.file_mounts) {
    if (!source.empty() && !IsUri(source))
      out.push_back({"file_mounts[" + target + "]", source, InputKind::kAny, {"file_mounts", target}});
  }
  if (!spec.partition.profile.empty() && !IsUri(spec.partition.profile)) {
    out.push_back({"partition.profile", spec.partition.profile, InputKind::kFile, {"partition", "profile"}});
  }
  return out;
}

Status SplitServerPath(const std::string& path, const std::vector<std::string>& server_paths,
                       std::string* root, std::string* rest) {
  fs::path p(path);
  for (const auto& part : p) {
    if (part == "..") return InvalidArgument("'" + path + "': '..' is not allowed in a server path");
  }
  for (const auto& r : server_paths) {
    fs::path base = fs::path(r).lexically_normal();
    fs::path rel = p.lexically_normal().lexically_relative(base);
    if (rel.empty()) continue;
    std::string first = rel.begin()->string();
    if (first == "..") continue;
    *root = base.string();
    *rest = rel.string();
    return Status::Ok();
  }
  return NotFound("'" + path + "' is not under a server path this server allows; " + RootsText(server_paths));
}

namespace {

// The problem with one path, or "" when it is fine.
std::string CheckOne(const SpecInput& in, const std::string& upload_dir,
                     const std::vector<std::string>& server_paths) {
  const std::string where = in.field + ": '" + in.value + "'";
  std::string root, rest;
  if (fs::path(in.value).is_absolute()) {
    Status s = SplitServerPath(in.value, server_paths, &root, &rest);
    if (!s.ok()) {
      return in.field + ": " + s.message();
    }
  } else {
    auto split = SplitBeneath(in.value, in.field);
    if (!split.ok()) {
      return where +
             ": a relative path must stay inside the job's upload (the spec file's "
             "directory on the client)";
    }
    if (upload_dir.empty()) {
      return where +
             ": the submission carries no upload with this path; `skyrun launch` uploads "
             "what the spec names (API: PUT /v1/uploads/<sha256>, then \"upload\" in the body)";
    }
    root = upload_dir;
    rest = in.value;
  }
  auto kind = KindBeneath(root, rest, in.field);
  if (!kind.ok()) {
    return in.field + ": " + kind.status().message();
  }
  bool fits = (*kind == EntryKind::kDirectory && in.kind != InputKind::kFile) ||
              (*kind == EntryKind::kFile && in.kind != InputKind::kDirectory);
  if (*kind == EntryKind::kMissing) {
    return where + ": " + (root == upload_dir ? "is not in the job's upload" : "does not exist");
  } else if (*kind == EntryKind::kSymlink) {
    return where + ": is a symbolic link; give the path it points to";
  } else if (!fits) {
    return where + ": is not " + KindName(in.kind);
  }
  return "";
}

}  // namespace

std::vector<PathProblem> CheckSpecInputs(const JobSpec& spec, const std::string& upload_dir,
                                         const std::vector<std::string>& server_paths) {
  std::vector<PathProblem> out;
  for (const SpecInput& in : SpecInputs(spec)) {
    std::string problem = CheckOne(in, upload_dir, server_paths);
    if (!problem.empty()) out.push_back({in.yaml_path, std::move(problem)});
  }
  return out;
}

}  // namespace skyrun::uploads
