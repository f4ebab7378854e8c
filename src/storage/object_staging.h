// Moves object-storage data in and out of a task's directory: inputs (an
// s3:// object, or every object under an s3:// prefix) are staged before the
// task starts, through a per-node cache keyed by (object URI, ETag) so that a
// retry or another job on the same node downloads nothing again; outputs (a
// file or directory of the task) are uploaded after the task succeeded.
//
// What lands where: an object's key below the input's prefix becomes a path
// below the target, checked component by component (common/safe_fs.h): a key
// such as "p/../../etc/passwd" or "/abs" is refused, never written, and no
// write follows a link. Downloads are checked against the object's size and,
// for single-part uploads (an ETag of 32 hex digits), its MD5.
//
// Callers: the local driver (inputs at launch, outputs after success) and its
// tests. Thread-safety: stateless functions; two stagings may share a cache
// directory (entries are written to a temporary name and renamed).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/s3_client.h"

namespace skyrun::storage {

// What one transfer moved.
struct TransferStats {
  int64_t bytes = 0;           // over the network (0 for what the cache held)
  int64_t objects = 0;         // objects staged or uploaded
  int64_t cached_objects = 0;  // of those, served from the node's cache
  int64_t cached_bytes = 0;    // their bytes (copied from the cache, not moved)
  Micros micros = 0;           // time spent
  // Network bytes by the endpoint's location ("aws/us-east-1"), for the
  // endpoints that declare a provider; what egress billing prices.
  std::map<std::string, int64_t> by_location;
  void Add(const TransferStats& o) {
    bytes += o.bytes;
    objects += o.objects;
    cached_objects += o.cached_objects;
    cached_bytes += o.cached_bytes;
    micros += o.micros;
    for (const auto& [where, n] : o.by_location) by_location[where] += n;
  }
};

struct ObjectStagingContext {
  std::vector<S3Endpoint> endpoints;
  std::string cache_dir;  // per node; "" = no cache
  const Clock* clock = nullptr;
  int64_t max_object_bytes = int64_t{5} << 30;  // a single PUT's limit on S3
};

// Stages `uri` below `root` at `rel` (a relative path): an object becomes the
// file `rel`; a prefix (a key ending in '/', an empty key, or a key naming no
// object) becomes the directory `rel` with each object at its key's rest.
// NotFound when nothing is there; the server's answer otherwise.
Status StageInput(const ObjectStagingContext& ctx, const std::string& uri, const std::string& root,
                  const std::string& rel, TransferStats* stats);

// Where an object listed under an input's prefix lands, relative to the
// input's path: the key's rest after `prefix`, if it is a relative path
// without "..", NUL or overlong components. "" for the prefix itself and
// "folder" markers (keys ending in '/'), which are skipped. InvalidArgument
// ("... refused") for a key that would land outside.
Result<std::string> KeyBelowPrefix(const std::string& bucket, const std::string& prefix,
                                   const std::string& key);

// Uploads `rel` below `root` to `uri`: a file to the key (to key + its name
// when the key ends in '/'), a directory's regular files to key/<path>.
// Links are not followed (and not uploaded).
Status UploadOutput(const ObjectStagingContext& ctx, const std::string& root, const std::string& rel,
                    const std::string& uri, TransferStats* stats);

}  // namespace skyrun::storage
