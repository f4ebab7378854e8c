#include "server/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace skyrun {

Result<StateLock> StateLock::Acquire(const std::string& state_dir) {
  std::string path = state_dir + "/server.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Internal("cannot open the state lock " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder(512, '\0');
    ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return Internal("cannot lock " + path + ": " + std::strerror(err));
    std::string who = Trim(holder);
    if (who.empty()) who = "a server that is still starting";
    return FailedPrecondition("another skyrun server is already running on the state directory " + state_dir +
                              " (" + who + "); stop it first, or use another --state-dir");
  }
  return StateLock(fd, path);
}

StateLock::~StateLock() {
  if (fd_ < 0) return;
  // Empty the file before unlocking so a later reader never names a server
  // that has gone; the lock itself goes with the descriptor.
  if (::ftruncate(fd_, 0) != 0) {
    // Nothing to do: a stale owner line is only informational.
  }
  ::close(fd_);
}

Status StateLock::WriteOwner(const std::string& address) {
  std::string line = "pid " + std::to_string(::getpid()) + ", listening on " + address + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    return Internal("cannot write " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace skyrun
