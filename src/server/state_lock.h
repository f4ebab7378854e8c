// StateLock: one server per state directory. The server holds an exclusive
// flock on STATE/server.lock for its lifetime, with its pid and address
// written in the file, so that a second server on the same state exits with
// a message naming the first instead of running the same jobs twice.
// The kernel drops the lock when the process dies (even by SIGKILL), so a
// crash leaves no stale lock behind.
// Called by the server's startup (server_cli.cc). Thread-safety: none needed.
#pragma once

#include <string>

#include "common/status.h"

namespace skyrun {

class StateLock {
 public:
  // Takes the lock or fails (FailedPrecondition) naming the holder's pid and
  // address as written in the file.
  static Result<StateLock> Acquire(const std::string& state_dir);

  StateLock(StateLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  ~StateLock();

  // Records who holds the lock (once the address is known).
  Status WriteOwner(const std::string& address);

 private:
  StateLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace skyrun
