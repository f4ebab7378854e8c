#include "image/image_user.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/strings.h"

namespace skyrun::image {
namespace {

constexpr int64_t kMaxId = 4294967294;  // (uid_t)-1 is "no id"
constexpr size_t kMaxFileBytes = 1 << 20;

// "Name" for messages: at most 64 characters, control characters as '?'.
std::string Shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  return out;
}

std::optional<int64_t> ParseId(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > kMaxId) return std::nullopt;
  return v;
}

// <rootfs>/etc/<name>, opened beneath the rootfs with no link followed.
// nullopt when the image has no such file.
Result<std::optional<std::string>> ReadEtcFile(const std::string& rootfs, const std::string& name) {
  int root = ::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return Internal("cannot open the image's tree " + rootfs + ": " + std::strerror(errno));
  int etc = ::openat(root, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int err = errno;
  ::close(root);
  if (etc < 0) {
    if (err == ENOENT) return std::optional<std::string>();
    return InvalidArgument("the image's /etc is not a directory (" + std::string(std::strerror(err)) + ")");
  }
  int fd = ::openat(etc, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  err = errno;
  ::close(etc);
  if (fd < 0) {
    if (err == ENOENT) return std::optional<std::string>();
    return InvalidArgument("the image's /etc/" + name + " cannot be read as a file (" + std::strerror(err) +
                           ")");
  }
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileBytes) {
      ::close(fd);
      return InvalidArgument("the image's /etc/" + name + " is larger than 1 MiB");
    }
  }
  err = errno;
  ::close(fd);
  if (n < 0) return InvalidArgument("the image's /etc/" + name + " cannot be read: " + std::strerror(err));
  return std::optional<std::string>(out);
}

// The entry `name` of a passwd/group file: its fields, or nullopt.
std::optional<std::vector<std::string>> FindEntry(const std::optional<std::string>& file,
                                                  const std::string& name) {
  if (!file) return std::nullopt;
  for (const std::string& line : Split(*file, '\n')) {
    std::vector<std::string> f = Split(line, ':');
    if (f.size() >= 3 && f[0] == name) return f;
  }
  return std::nullopt;
}

}  // namespace

Result<std::optional<ImageUser>> ResolveImageUser(const std::string& rootfs, const std::string& user) {
  if (user.empty()) return std::optional<ImageUser>();
  const std::string what = "the image's User '" + Shown(user) + "'";
  if (user.size() > 256 || user.find_first_of(std::string("\n\0", 2)) != std::string::npos)
    return InvalidArgument(what + " is not a user name or id");
  const size_t colon = user.find(':');
  const std::string u = user.substr(0, colon);
  const std::string g = colon == std::string::npos ? "" : user.substr(colon + 1);
  if (u.empty() || (colon != std::string::npos && g.empty()))
    return InvalidArgument(what + " must be USER, UID, USER:GROUP or UID:GID");
  SKYRUN_ASSIGN_OR_RETURN(std::optional<std::string> passwd, ReadEtcFile(rootfs, "passwd"));
  ImageUser out;
  std::optional<int64_t> primary_gid;
  if (std::optional<int64_t> id = ParseId(u)) {
    out.uid = *id;
    // A bare uid's primary group, where passwd lists it.
    if (passwd) {
      for (const std::string& line : Split(*passwd, '\n')) {
        std::vector<std::string> f = Split(line, ':');
        if (f.size() >= 4 && ParseId(f[2]) == id) {
          primary_gid = ParseId(f[3]);
          break;
        }
      }
    }
  } else {
    std::optional<std::vector<std::string>> entry = FindEntry(passwd, u);
    if (!entry) return InvalidArgument(what + ": the image's /etc/passwd has no user '" + Shown(u) + "'");
    std::optional<int64_t> uid = ParseId((*entry)[2]);
    if (entry->size() >= 4) primary_gid = ParseId((*entry)[3]);
    if (!uid || !primary_gid)
      return InvalidArgument(what + ": the image's /etc/passwd gives '" + Shown(u) +
                             "' no valid uid and gid");
    out.uid = *uid;
  }
  if (g.empty()) {
    out.gid = primary_gid.value_or(0);
  } else if (std::optional<int64_t> id = ParseId(g)) {
    out.gid = *id;
  } else {
    SKYRUN_ASSIGN_OR_RETURN(std::optional<std::string> group, ReadEtcFile(rootfs, "group"));
    std::optional<std::vector<std::string>> entry = FindEntry(group, g);
    if (!entry) return InvalidArgument(what + ": the image's /etc/group has no group '" + Shown(g) + "'");
    std::optional<int64_t> gid = ParseId((*entry)[2]);
    if (!gid) return InvalidArgument(what + ": the image's /etc/group gives '" + Shown(g) + "' no valid gid");
    out.gid = *gid;
  }
  return std::optional<ImageUser>(out);
}

}  // namespace skyrun::image
