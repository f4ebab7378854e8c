// Filesystem operations that stay beneath a root directory whatever the tree
// under it holds: paths are walked one component at a time from an open
// directory with O_NOFOLLOW, so a symbolic link (or "..") planted by a job,
// an upload or a user can never redirect a read or a write outside the root.
// Callers: the local driver's staging (writes into a task's directory), the
// upload store (unpacking archives) and the server's spec checks (reading a
// partition profile from an upload or a declared server root).
// Thread-safety: stateless functions; the usual races of a shared filesystem
// cannot make them leave the root, only fail.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun {

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Splits a relative path into its components. Refuses (InvalidArgument,
// naming `what`) an empty or absolute path, a ".." component, NUL bytes and
// components longer than NAME_MAX; "." and empty components are dropped, so
// "./a//b/" is {"a", "b"} and "." is {}.
Result<std::vector<std::string>> SplitBeneath(const std::string& rel, const std::string& what);

// Opens `root` itself as a directory (the root is chosen by the server, so it
// may be reached through links; nothing under it is).
Result<UniqueFd> OpenRootDir(const std::string& root);

// Opens the directory `rel` beneath `dir_fd` without following links; with
// `create`, missing components are made (mode 0755). A component that exists
// as anything but a directory (a link included) is refused, naming `what`.
Result<UniqueFd> OpenDirBeneath(int dir_fd, const std::string& rel, bool create, const std::string& what);

// Reads the regular file `rel` beneath `root` (no link followed, at most
// `max_bytes`). Error messages name `what` and never quote the file.
Result<std::string> ReadFileBeneath(const std::string& root, const std::string& rel, int64_t max_bytes,
                                    const std::string& what);

// What `rel` beneath `root` is, without following links.
enum class EntryKind { kMissing, kFile, kDirectory, kSymlink, kOther };
Result<EntryKind> KindBeneath(const std::string& root, const std::string& rel, const std::string& what);

// Whether the link target `target`, found at `link_rel` (a relative path
// inside a tree), names a path inside that tree: relative, and never above
// the tree's top once its ".." are applied to the link's directory.
bool LinkStaysInside(const std::string& link_rel, const std::string& target);

// Copies the file or tree `src_rel` beneath `src_root` to `dst_rel` beneath
// `dst_root`, creating `dst_rel`'s parents. Links inside a copied tree are
// recreated as links when they stay inside it (LinkStaysInside) and refused
// otherwise; a link on the way to src_rel or dst_rel, device files, fifos and
// sockets are refused. Messages name `what` and the relative path.
Status CopyBeneath(const std::string& src_root, const std::string& src_rel, const std::string& dst_root,
                   const std::string& dst_rel, const std::string& what);

// Writes `content` to the new file `rel` beneath `dir_fd` (parents made, no
// link followed, an existing entry refused) with permission bits `mode`.
Status WriteFileBeneath(int dir_fd, const std::string& rel, const std::string& content, int mode,
                        const std::string& what);

// Removes `path` and everything under it; never follows links. Missing is ok.
Status RemoveTree(const std::string& path);

}  // namespace skyrun
