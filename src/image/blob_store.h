// BlobStore: registry blobs (layers, configs) on disk, content-addressed by
// digest under ROOT/sha256/<hex>, shared by every image and tenant. Writes
// are atomic (a temp file under ROOT/tmp, verified against its digest, then
// renamed), so a reader sees a whole blob or none. A blob found to differ
// from its digest is deleted (HasValid), so the next pull fetches it again.
// The store holds at most `max_bytes`: Evict drops the least recently used
// blobs, never a pinned one (those of a pull in progress). Unpacked root file
// systems are not blobs: a running task never reads a blob, so evicting one
// cannot disturb it.
//
// Callers: the image manager (and its registry fetches). Thread-safety: every
// method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun::image {

class BlobStore {
 public:
  // `root` is created if missing; blobs already there are adopted (oldest
  // modification first in the LRU order). max_bytes 0 = no limit.
  static Result<std::unique_ptr<BlobStore>> Open(std::string root, int64_t max_bytes);

  std::string PathOf(const std::string& digest) const;
  // A fresh path under ROOT/tmp for a blob being fetched.
  std::string TempPath();
  // Checks that `tmp` hashes to `digest`, then moves it into place.
  // DataLoss-like InvalidArgument (the temp file is removed) if it does not.
  Status Commit(const std::string& tmp, const std::string& digest);
  // Whether the blob is present with the right content. A blob is rehashed
  // when it was changed on disk since it was last verified; a corrupt one is
  // deleted and reported as absent. Counts as a use (LRU).
  Result<bool> HasValid(const std::string& digest);
  Status Remove(const std::string& digest);
  // Drops least-recently-used blobs outside `pinned` until the total fits
  // max_bytes. Returns the digests removed.
  std::vector<std::string> Evict(const std::set<std::string>& pinned);
  int64_t TotalBytes() const;
  int64_t max_bytes() const { return max_bytes_; }

 private:
  struct Entry {
    int64_t size = 0;
    uint64_t last_use = 0;  // a logical clock: larger = used more recently
    int64_t verified_mtime_ns = -1;
    uint64_t verified_ino = 0;
  };
  BlobStore(std::string root, int64_t max_bytes) : root_(std::move(root)), max_bytes_(max_bytes) {}

  const std::string root_;
  const int64_t max_bytes_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by digest
  uint64_t tick_ = 0;
  uint64_t temp_seq_ = 0;
  int64_t total_ = 0;
};

}  // namespace skyrun::image
