#include "uploads/pack.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/safe_fs.h"
#include "uploads/archive.h"
#include "uploads/spec_inputs.h"

namespace skyrun::uploads {
namespace {

namespace fs = std::filesystem;

class Packer {
 public:
  explicit Packer(std::string spec_dir) : spec_dir_(std::move(spec_dir)) {}

  Status AddNamed(const SpecInput& in) {
    const std::string where = in.field + " '" + in.value + "'";
    std::vector<std::string> parts;
    if (fs::path(in.value).lexically_normal() != ".") {
      auto split = SplitBeneath(in.value, where);
      if (!split.ok()) {
        return InvalidArgument(
            where + ": a relative path must stay inside the spec file's directory (" + spec_dir_ +
            "), which is what travels with the job; move the files there, or use an absolute "
            "path the server declares in uploads.server_paths");
      }
      parts = *split;
    }
    std::string rel;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      rel += (i ? "/" : "") + parts[i];
      if (w_.Has(rel) && !w_.IsDirectory(rel)) {
        return InvalidArgument(where + ": passes through '" + rel +
                               "', which the upload holds as a link or file");
      }
      if (!w_.Has(rel)) SKYRUN_RETURN_IF_ERROR(w_.Add({EntryType::kDirectory, rel, 0755, "", ""}));
    }
    std::string top = parts.empty() ? "" : rel + (rel.empty() ? "" : "/") + parts.back();
    std::string local = top.empty() ? spec_dir_ : spec_dir_ + "/" + top;
    struct stat st;
    if (::stat(local.c_str(), &st) != 0) {
      return InvalidArgument(where + ": " + local +
                             " does not exist (relative paths start at the spec file's "
                             "directory)");
    }
    if (S_ISDIR(st.st_mode)) {
      if (in.kind == InputKind::kFile)
        return InvalidArgument(where + ": " + local + " is a directory, not a file");
      if (!top.empty() && !w_.Has(top))
        SKYRUN_RETURN_IF_ERROR(w_.Add({EntryType::kDirectory, top, 0755, "", ""}));
      if (!top.empty() && !w_.IsDirectory(top))
        return InvalidArgument(where + ": is already in the upload as a file");
      return Walk(local, top, "", where, 0);
    }
    if (!S_ISREG(st.st_mode)) return InvalidArgument(where + ": " + local + " is not a file or a directory");
    if (in.kind == InputKind::kDirectory)
      return InvalidArgument(where + ": " + local + " is not a directory");
    if (w_.Has(top)) return Status::Ok();
    return AddFile(local, top, st, where);
  }

  PackedUpload Finish() {
    PackedUpload out;
    if (files_ == 0 && !any_) return out;
    out.archive = w_.Finish();
    out.sha256 = Sha256Hex(out.archive);
    out.files = files_;
    out.file_bytes = bytes_;
    return out;
  }

 private:
  Status AddFile(const std::string& local, const std::string& rel, const struct stat& st,
                 const std::string& where) {
    std::ifstream f(local, std::ios::binary);
    if (!f) return InvalidArgument(where + ": cannot read " + local);
    std::ostringstream ss;
    ss << f.rdbuf();
    ++files_;
    bytes_ += static_cast<int64_t>(ss.str().size());
    return w_.Add({EntryType::kFile, rel, static_cast<int>(st.st_mode & 0777), ss.str(), ""});
  }

  // Adds the tree at `local` (archive path `rel`, "" = top; `inner` = path
  // inside the named directory, for the link rule).
  Status Walk(const std::string& local, const std::string& rel, const std::string& inner,
              const std::string& where, int depth) {
    any_ = true;
    if (depth > 256) return InvalidArgument(where + ": directories nested more than 256 deep");
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(local, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) return InvalidArgument(where + ": cannot list " + local + ": " + ec.message());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      std::string child_local = local + "/" + name;
      std::string child_rel = rel.empty() ? name : rel + "/" + name;
      std::string child_inner = inner.empty() ? name : inner + "/" + name;
      struct stat st;
      if (::lstat(child_local.c_str(), &st) != 0)
        return InvalidArgument(where + ": cannot read " + child_local);
      if (S_ISDIR(st.st_mode)) {
        if (!w_.Has(child_rel))
          SKYRUN_RETURN_IF_ERROR(w_.Add({EntryType::kDirectory, child_rel, 0755, "", ""}));
        if (!w_.IsDirectory(child_rel))
          return InvalidArgument(where + ": " + child_rel + " is both a file and a directory");
        SKYRUN_RETURN_IF_ERROR(Walk(child_local, child_rel, child_inner, where, depth + 1));
      } else if (S_ISREG(st.st_mode)) {
        if (!w_.Has(child_rel)) SKYRUN_RETURN_IF_ERROR(AddFile(child_local, child_rel, st, where));
      } else if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = ::readlink(child_local.c_str(), buf, sizeof buf - 1);
        if (n < 0) return InvalidArgument(where + ": cannot read the link " + child_local);
        std::string target(buf, static_cast<size_t>(n));
        if (!LinkStaysInside(child_inner, target)) {
          return InvalidArgument(where + ": the symbolic link " + child_local + " -> " + target +
                                 " points outside the directory; skyrun uploads only links that stay inside "
                                 "(use a relative link, or copy the files in)");
        }
        if (!w_.Has(child_rel))
          SKYRUN_RETURN_IF_ERROR(w_.Add({EntryType::kSymlink, child_rel, 0777, "", target}));
      } else {
        return InvalidArgument(where + ": " + child_local +
                               " is a device, fifo or socket; only files, "
                               "directories and links are uploaded");
      }
    }
    return Status::Ok();
  }

  std::string spec_dir_;
  ArchiveWriter w_;
  int64_t files_ = 0;
  int64_t bytes_ = 0;
  bool any_ = false;
};

}  // namespace

Result<PackedUpload> PackSpecInputs(const JobSpec& spec, const std::string& spec_dir) {
  Packer packer(spec_dir);
  for (const SpecInput& in : SpecInputs(spec)) {
    if (fs::path(in.value).is_absolute()) continue;  // a server path, checked there
    SKYRUN_RETURN_IF_ERROR(packer.AddNamed(in));
  }
  return packer.Finish();
}

}  // namespace skyrun::uploads
