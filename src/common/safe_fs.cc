#include "common/safe_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace skyrun {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::string Errno() {
  return std::strerror(errno);
}

std::string JoinRel(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("write failed: " + Errno());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Copies the open regular file `in` to a new or truncated `name` in `dst_fd`.
Status CopyFileFd(int in, int dst_fd, const std::string& name, mode_t mode, const std::string& where) {
  UniqueFd out(
      ::openat(dst_fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode & 0777));
  if (!out.valid()) return InvalidArgument(where + ": cannot create the copy: " + Errno());
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal(where + ": read failed: " + Errno());
    }
    if (n == 0) break;
    SKYRUN_RETURN_IF_ERROR(WriteAll(out.get(), buf, static_cast<size_t>(n)).WithContext(where));
  }
  ::fchmod(out.get(), mode & 0777);
  return Status::Ok();
}

Status MakeLink(const std::string& target, int dst_fd, const std::string& name, const std::string& where) {
  if (::symlinkat(target.c_str(), dst_fd, name.c_str()) == 0) return Status::Ok();
  if (errno == EEXIST) {
    struct stat st;
    if (::fstatat(dst_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
        ::unlinkat(dst_fd, name.c_str(), 0) == 0 && ::symlinkat(target.c_str(), dst_fd, name.c_str()) == 0) {
      return Status::Ok();
    }
  }
  return InvalidArgument(where + ": cannot create the link: " + Errno());
}

// Copies the directory `src_fd` into `dst_fd`; `rel` is src's path inside the
// copied tree (for link checks and messages).
Status CopyDirFd(int src_fd, int dst_fd, const std::string& rel, const std::string& what, int depth) {
  if (depth > 256) return InvalidArgument(what + " " + rel + ": directories nested more than 256 deep");
  int dup_fd = ::dup(src_fd);
  if (dup_fd < 0) return Internal("dup failed: " + Errno());
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return Internal(what + " " + rel + ": cannot list: " + Errno());
  }
  Status result = Status::Ok();
  while (result.ok()) {
    errno = 0;
    struct dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string child = rel == "." ? name : rel + "/" + name;
    std::string where = what + " " + child;
    struct stat st;
    if (::fstatat(src_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result = Internal(where + ": " + Errno());
    } else if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
        result = InvalidArgument(where + ": cannot create the directory: " + Errno());
        break;
      }
      UniqueFd sub_src(::openat(src_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd sub_dst(::openat(dst_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_src.valid() || !sub_dst.valid()) {
        result =
            InvalidArgument(where + ": is not a directory on both sides (a symbolic link is never followed)");
      } else {
        result = CopyDirFd(sub_src.get(), sub_dst.get(), child, what, depth + 1);
      }
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(::openat(src_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      result = in.valid() ? CopyFileFd(in.get(), dst_fd, name, st.st_mode, where)
                          : Internal(where + ": cannot open: " + Errno());
    } else if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(src_fd, name.c_str(), buf, sizeof buf - 1);
      if (n < 0) {
        result = Internal(where + ": cannot read the link: " + Errno());
      } else {
        std::string target(buf, static_cast<size_t>(n));
        if (!LinkStaysInside(child, target)) {
          result = InvalidArgument(where +
                                   ": a symbolic link that points outside the copied tree; links are "
                                   "kept only when they stay inside it");
        } else {
          result = MakeLink(target, dst_fd, name, where);
        }
      }
    } else {
      result = InvalidArgument(where +
                               ": is a device, fifo or socket; only files, directories and links are copied");
    }
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Result<std::vector<std::string>> SplitBeneath(const std::string& rel, const std::string& what) {
  if (rel.empty()) return InvalidArgument(what + ": empty path");
  if (rel.find('\0') != std::string::npos) return InvalidArgument(what + ": the path contains a NUL byte");
  if (rel.front() == '/')
    return InvalidArgument(what + " '" + rel + "': an absolute path is not allowed here");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string part = rel.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..")
      return InvalidArgument(what + " '" + rel + "': '..' would leave the directory it is relative to");
    if (part.size() > NAME_MAX) return InvalidArgument(what + " '" + rel + "': a path component is too long");
    parts.push_back(std::move(part));
  }
  return parts;
}

Result<UniqueFd> OpenRootDir(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return NotFound("cannot open the directory " + root + ": " + Errno());
  return fd;
}

Result<UniqueFd> OpenDirBeneath(int dir_fd, const std::string& rel, bool create, const std::string& what) {
  std::vector<std::string> parts;
  if (rel != "." && !rel.empty()) {
    SKYRUN_ASSIGN_OR_RETURN(parts, SplitBeneath(rel, what));
  }
  UniqueFd cur(::dup(dir_fd));
  if (!cur.valid()) return Internal("dup failed: " + Errno());
  for (size_t i = 0; i < parts.size(); ++i) {
    const char* name = parts[i].c_str();
    if (create && ::mkdirat(cur.get(), name, 0755) != 0 && errno != EEXIST) {
      return InvalidArgument(what + ": cannot create " + JoinRel(parts, i + 1) + ": " + Errno());
    }
    UniqueFd next(::openat(cur.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      int err = errno;
      struct stat st;
      bool exists = ::fstatat(cur.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
      std::string at = JoinRel(parts, i + 1);
      if (exists && S_ISLNK(st.st_mode)) {
        return InvalidArgument(what + ": " + at + " is a symbolic link; staging never follows links");
      }
      if (!exists) return NotFound(what + ": " + at + " does not exist");
      errno = err;
      return InvalidArgument(what + ": " + at + " is not a directory");
    }
    cur = std::move(next);
  }
  return cur;
}

Result<EntryKind> KindBeneath(const std::string& root, const std::string& rel, const std::string& what) {
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitBeneath(rel, what));
  if (parts.empty()) return EntryKind::kDirectory;
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenRootDir(root));
  auto parent = OpenDirBeneath(root_fd.get(), JoinRel(parts, parts.size() - 1), false, what);
  if (!parent.ok()) {
    if (parent.status().code() == StatusCode::kNotFound) return EntryKind::kMissing;
    return parent.status();
  }
  struct stat st;
  if (::fstatat(parent->get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return EntryKind::kMissing;
  if (S_ISREG(st.st_mode)) return EntryKind::kFile;
  if (S_ISDIR(st.st_mode)) return EntryKind::kDirectory;
  if (S_ISLNK(st.st_mode)) return EntryKind::kSymlink;
  return EntryKind::kOther;
}

Result<std::string> ReadFileBeneath(const std::string& root, const std::string& rel, int64_t max_bytes,
                                    const std::string& what) {
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitBeneath(rel, what));
  if (parts.empty()) return InvalidArgument(what + ": names a directory, not a file");
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenRootDir(root));
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd parent,
                          OpenDirBeneath(root_fd.get(), JoinRel(parts, parts.size() - 1), false, what));
  UniqueFd fd(::openat(parent.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ELOOP) return InvalidArgument(what + ": is a symbolic link; links are never followed");
    if (errno == ENOENT) return NotFound(what + ": does not exist");
    return InvalidArgument(what + ": cannot be opened: " + Errno());
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return InvalidArgument(what + ": is not a regular file");
  if (st.st_size > max_bytes) {
    return InvalidArgument(what + ": is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal(what + ": read failed: " + Errno());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (static_cast<int64_t>(out.size()) > max_bytes) {
      return InvalidArgument(what + ": is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

bool LinkStaysInside(const std::string& link_rel, const std::string& target) {
  if (target.empty() || target.front() == '/' || target.find('\0') != std::string::npos) return false;
  // Depth of the link's directory inside the tree, then walk the target.
  auto walk = [](const std::string& path, int64_t depth, bool* ok) {
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      std::string part = path.substr(start, end - start);
      start = end + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (--depth < 0) *ok = false;
      } else {
        ++depth;
      }
    }
    return depth;
  };
  bool ok = true;
  std::string dir = link_rel;
  size_t slash = dir.rfind('/');
  dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  int64_t depth = walk(dir, 0, &ok);
  if (!ok) return false;
  walk(target, depth, &ok);
  return ok;
}

Status CopyBeneath(const std::string& src_root, const std::string& src_rel, const std::string& dst_root,
                   const std::string& dst_rel, const std::string& what) {
  std::vector<std::string> src_parts, dst_parts;
  if (src_rel != ".") {
    SKYRUN_ASSIGN_OR_RETURN(src_parts, SplitBeneath(src_rel, what));
  }
  if (dst_rel != ".") {
    SKYRUN_ASSIGN_OR_RETURN(dst_parts, SplitBeneath(dst_rel, what + " target"));
  }
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd src_root_fd, OpenRootDir(src_root));
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd dst_root_fd, OpenRootDir(dst_root));
  std::string src_where = what + " " + src_rel;
  if (src_parts.empty()) {
    SKYRUN_ASSIGN_OR_RETURN(UniqueFd dst, OpenDirBeneath(dst_root_fd.get(), dst_rel, true, what + " target"));
    return CopyDirFd(src_root_fd.get(), dst.get(), ".", what, 0);
  }
  SKYRUN_ASSIGN_OR_RETURN(
      UniqueFd src_parent,
      OpenDirBeneath(src_root_fd.get(), JoinRel(src_parts, src_parts.size() - 1), false, src_where));
  struct stat st;
  const std::string& src_name = src_parts.back();
  if (::fstatat(src_parent.get(), src_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return InvalidArgument(src_where + " does not exist");
  }
  if (S_ISLNK(st.st_mode))
    return InvalidArgument(src_where + " is a symbolic link; links are never followed");
  if (S_ISDIR(st.st_mode)) {
    UniqueFd src(
        ::openat(src_parent.get(), src_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src.valid()) return InvalidArgument(src_where + ": cannot open: " + Errno());
    SKYRUN_ASSIGN_OR_RETURN(UniqueFd dst, OpenDirBeneath(dst_root_fd.get(), dst_rel, true, what + " target"));
    return CopyDirFd(src.get(), dst.get(), ".", what, 0);
  }
  if (!S_ISREG(st.st_mode)) return InvalidArgument(src_where + " is not a file or a directory");
  if (dst_parts.empty()) return InvalidArgument(what + ": a file cannot be copied onto the directory itself");
  UniqueFd in(::openat(src_parent.get(), src_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid()) return InvalidArgument(src_where + ": cannot open: " + Errno());
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd dst_parent,
                          OpenDirBeneath(dst_root_fd.get(), JoinRel(dst_parts, dst_parts.size() - 1), true,
                                         what + " target " + dst_rel));
  return CopyFileFd(in.get(), dst_parent.get(), dst_parts.back(), st.st_mode, what + " target " + dst_rel);
}

Status WriteFileBeneath(int dir_fd, const std::string& rel, const std::string& content, int mode,
                        const std::string& what) {
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitBeneath(rel, what));
  if (parts.empty()) return InvalidArgument(what + ": names the directory itself");
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd parent,
                          OpenDirBeneath(dir_fd, JoinRel(parts, parts.size() - 1), true, what));
  UniqueFd out(::openat(parent.get(), parts.back().c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        static_cast<mode_t>(mode & 0777)));
  if (!out.valid()) return InvalidArgument(what + ": cannot create " + rel + ": " + Errno());
  SKYRUN_RETURN_IF_ERROR(WriteAll(out.get(), content.data(), content.size()).WithContext(what));
  ::fchmod(out.get(), static_cast<mode_t>(mode & 0777));
  return Status::Ok();
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // remove_all does not follow links
  if (ec) return Internal("cannot remove " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace skyrun
