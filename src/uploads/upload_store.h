// The server's store of uploads: archives a client PUTs, kept per tenant as
// STATE/uploads/<tenant_id>/<sha256> with their unpacked tree beside them
// (<sha256>.d, the base directory of every job that names the digest).
// Archives are content-addressed (the server checks the digest), bounded in
// size (limits.max_bytes) and counted against the tenant's quota
// (limits.tenant_quota_bytes: the sum of its archives' sizes). An upload is
// removed by Sweep once no live job references it: right away when a job has
// claimed it, after limits.unclaimed_grace_s when none ever did.
// Callers: the API server (PUT/HEAD/GET /v1/uploads, submission) and its
// sweeper thread; the controller only computes paths (UploadDir).
// Thread-safety: thread-safe; `mu()` serialises a submission's check-claim-
// store against a sweep's read-live-remove, so a digest a new job is about to
// use is never swept between the two.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"

namespace skyrun::uploads {

struct UploadLimits {
  int64_t max_bytes = 64LL << 20;          // one archive
  int64_t tenant_quota_bytes = 1LL << 30;  // all of a tenant's archives
  int64_t unclaimed_grace_s = 3600;        // an upload no job ever used
};

// The unpacked tree of `digest` for `tenant`: where the job's relative paths resolve.
std::string UploadDir(const std::string& state_dir, TenantId tenant, const std::string& digest);

// (tenant id, digest) pairs some live job references.
using LiveUploads = std::set<std::pair<int64_t, std::string>>;

enum class PutOutcome { kStored, kAlreadyThere };

class UploadStore {
 public:
  UploadStore(std::string state_dir, UploadLimits limits, Clock* clock);

  const UploadLimits& limits() const { return limits_; }

  // Verifies the digest and the archive, checks size and quota, stores and
  // unpacks. Errors: InvalidArgument (digest mismatch, bad archive), and
  // ResourceExhausted with `too_large` set (size) or not (quota); both name
  // the limit.
  Result<PutOutcome> Put(TenantId tenant, const std::string& digest, std::string_view bytes, bool* too_large);
  bool Has(TenantId tenant, const std::string& digest) const;
  Result<std::string> Read(TenantId tenant, const std::string& digest) const;
  Result<int64_t> UsedBytes(TenantId tenant) const;
  std::string Dir(TenantId tenant, const std::string& digest) const {
    return UploadDir(state_dir_, tenant, digest);
  }

  // Marks `digest` as used by a job (call with mu() held, before the job is stored).
  Status Claim(TenantId tenant, const std::string& digest);
  // Removes uploads no live job references (see the header comment). `live`
  // must be read with mu() held, which Sweep takes itself: pass a reader.
  template <typename LiveReader>
  Status Sweep(LiveReader read_live) {
    std::lock_guard<std::mutex> lock(mu_);
    Result<LiveUploads> live = read_live();
    if (!live.ok()) return live.status();
    return SweepLocked(*live);
  }

  std::mutex& mu() { return mu_; }

 private:
  Status SweepLocked(const LiveUploads& live);
  std::string TenantDir(TenantId tenant) const;

  const std::string state_dir_;
  const UploadLimits limits_;
  Clock* clock_;
  std::mutex mu_;
};

}  // namespace skyrun::uploads
