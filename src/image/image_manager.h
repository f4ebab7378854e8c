// ImageManager: container images for the local backend. Pull resolves a
// reference at its registry (an index to linux/amd64), fetches the blobs the
// blob store lacks (or holds corrupted), unpacks the layers once per
// manifest digest into STATE/images/rootfs/<hex>/ and records the image for
// the tenant that pulled it. Tasks then run with that tree as their `/`
// (drivers/local/sandbox.h).
//
// Sharing and scoping: concurrent pulls of one reference share one fetch
// (the others wait for it); blobs and root file systems are shared on disk,
// but each tenant lists, counts against its quota (images.per_tenant_bytes,
// the compressed size of its images) and removes only the images it
// pulled. The blob store is bounded by images.max_cache_bytes (LRU).
// The index of who pulled what is STATE/images/index.json (written
// atomically), so it survives a restart; the store's schema is untouched.
//
// Callers: LocalDriver::Launch (on its backend worker's thread, never under
// the controller's lock) and the API's /v1/images routes.
// Thread-safety: every method may be called from any thread; a pull runs
// outside the manager's lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "image/blob_store.h"
#include "image/image_ref.h"
#include "image/manifest.h"
#include "image/registry_client.h"

namespace skyrun::image {

struct RegistrySettings {
  bool insecure = false;      // plain http (loopback registries always are)
  std::string username;       // "" = anonymous
  std::string password_file;  // read at each pull; never logged
};

// Server config `images:`.
struct ImageSettings {
  int64_t max_cache_bytes = 20LL << 30;   // the blob store; 0 = unbounded
  int64_t per_tenant_bytes = 10LL << 30;  // a tenant's images (compressed); 0 = unbounded
  int64_t max_unpacked_bytes = 32LL << 30;
  std::map<std::string, RegistrySettings> registries;  // by host[:port]
};

struct ImageRecord {
  std::string tenant;
  std::string ref;     // canonical (ImageRef::ToString)
  std::string digest;  // the manifest's
  std::string rootfs;  // absolute
  ImageConfig config;
  int64_t size_bytes = 0;          // config + layers, as stored
  std::vector<std::string> blobs;  // config, then layers
};

struct PullResult {
  ImageRecord image;
  int blobs_fetched = 0;  // fetched from the registry by this pull
  int64_t bytes_fetched = 0;
  int corrupt_blobs_refetched = 0;  // found in the cache with the wrong content
  bool unpacked = false;            // the root file system was made by this pull
  bool joined = false;              // waited on another caller's pull of the same reference
};

struct PullProgress {
  std::string ref;
  int layers_done = 0;
  int layers_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
};

class ImageManager {
 public:
  // `dir` is STATE/images. `rootfs_in_use`, if set, tells whether a running
  // task uses a root file system (then Remove/Prune keep its tree).
  static Result<std::unique_ptr<ImageManager>> Open(std::string dir, ImageSettings settings);
  void SetInUseCheck(std::function<bool(const std::string& rootfs)> rootfs_in_use);

  Result<PullResult> Pull(const std::string& ref, const std::string& tenant);
  std::vector<ImageRecord> List(const std::string& tenant) const;
  std::vector<PullProgress> Pulling(const std::string& tenant) const;
  // Forgets the tenant's image; its tree and blobs go when no one else has it.
  Status Remove(const std::string& ref, const std::string& tenant);
  // Removes every image of the tenant; returns their references.
  Result<std::vector<std::string>> Prune(const std::string& tenant);
  // Bytes on disk: blobs and unpacked trees.
  int64_t BlobBytes() const { return blobs_->TotalBytes(); }
  const ImageSettings& settings() const { return settings_; }

 private:
  struct InFlight {
    bool done = false;
    Result<PullResult> result = Internal("pull not finished");
    std::set<std::string> tenants;
    PullProgress progress;
  };
  ImageManager(std::string dir, ImageSettings settings, std::unique_ptr<BlobStore> blobs)
      : dir_(std::move(dir)), settings_(std::move(settings)), blobs_(std::move(blobs)) {}

  Result<PullResult> Fetch(const ImageRef& ref, const std::string& tenant, InFlight& flight);
  Status EnsureBlob(RegistryClient& client, const Descriptor& d, PullResult& out, InFlight& flight);
  Status CheckQuota(const std::string& tenant, const std::string& ref, int64_t size) const;  // mu_ held
  Status SaveIndex() const;                                                                  // mu_ held
  Status LoadIndex();
  // Drops trees and blobs no record refers to (mu_ held).
  void CollectGarbage(const std::vector<ImageRecord>& dropped);
  std::string RootfsOf(const std::string& digest) const;

  const std::string dir_;
  const ImageSettings settings_;
  const std::unique_ptr<BlobStore> blobs_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ImageRecord> records_;                          // one per (tenant, ref)
  std::map<std::string, std::shared_ptr<InFlight>> pulling_;  // by canonical ref
  std::map<std::string, int> pinned_;                         // blob digest -> pulls using it
  std::function<bool(const std::string&)> rootfs_in_use_;
  uint64_t seq_ = 0;
};

}  // namespace skyrun::image
