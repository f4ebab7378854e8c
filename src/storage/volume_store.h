// Named volumes per tenant on the local backend: a directory store under the
// server's state directory, with a size quota per volume and per tenant.
//
//   <root>/<tenant>/meta/<name>.json   {"name", "size_bytes", "created_at"}
//   <root>/<tenant>/meta/<name>.claims/<cluster>.json
//                                      a claim made for the volume on a
//                                      Kubernetes cluster (VolumeClaim)
//   <root>/<tenant>/data/<name>/       what tasks see at the volume's path
//
// The metadata lies beside the data, never in it, so that a task (which
// writes the data directory) cannot change its own quota. Usage is measured
// by walking the data directory without following links (lstat sizes of
// regular files, in st_blocks * 512, like du), so a link to a large host file
// costs nothing and reveals nothing.
//
// Callers: the server's volume routes (create, list, remove) and the local
// driver (the host path of a volume a spec names; quota checks after an
// attempt). Thread-safety: calls on one store serialise on an internal mutex;
// the file system is the state, so two stores over one root agree.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace skyrun::storage {

struct VolumeQuota {
  int64_t per_tenant_bytes = 0;  // 0 = no limit
  int64_t per_volume_bytes = 0;  // 0 = no limit; also the default size of a volume created without one
};

// A PersistentVolumeClaim a Kubernetes driver made for a volume (one per
// cluster): its requested size counts against the tenant's quota.
struct VolumeClaim {
  std::string cluster;  // the backend: "kubernetes/prod"
  std::string claim;    // the claim's name in the cluster's namespace
  int64_t requested_bytes = 0;
  Micros created_at = 0;
};

struct VolumeInfo {
  std::string tenant;
  std::string name;
  int64_t size_bytes = 0;  // the volume's own limit (0 = only the tenant's quota applies)
  int64_t used_bytes = 0;
  Micros created_at = 0;
  std::vector<VolumeClaim> claims;  // by cluster
  // What the tenant's quota counts for it: its data here and its claims.
  int64_t ChargedBytes() const;
};

// A volume name: 1..63 of [a-z0-9_.-], starting with a letter or digit.
Status ValidateVolumeName(const std::string& name);

// Where a volume's data lies relative to the store's root,
// "<tenant dir>/data/<name>" (the tenant's name escaped as the store does, so
// no tenant name reaches another's directory). For backends that see the
// store under another root (the Slurm driver's volumes_root). InvalidArgument
// for a bad name or an empty tenant; whether the volume exists is not checked.
Result<std::string> VolumeDataPathInStore(const std::string& tenant, const std::string& name);

// Bytes used under `path`, not following links; 0 if it does not exist.
Result<int64_t> DiskUsage(const std::string& path);

class VolumeStore {
 public:
  VolumeStore(std::string root, VolumeQuota quota, const Clock* clock);

  // Refuses a bad name, an existing volume (AlreadyExists), a size above
  // per_volume_bytes, and a size that with the tenant's other volumes'
  // sizes (or charges, where larger) would pass per_tenant_bytes
  // (ResourceExhausted, with the numbers). size_bytes 0 = per_volume_bytes.
  Result<VolumeInfo> Create(const std::string& tenant, const std::string& name, int64_t size_bytes);
  // The tenant's volumes, by name, with their usage.
  Result<std::vector<VolumeInfo>> List(const std::string& tenant) const;
  Result<VolumeInfo> Get(const std::string& tenant, const std::string& name) const;
  // Removes a volume, its data and its claims' records (the claims
  // themselves stay in their clusters: Get them first to say which). NotFound
  // if the tenant has none so named (also when another tenant has one:
  // names are per tenant).
  Status Remove(const std::string& tenant, const std::string& name);
  // The host directory of a volume (NotFound as above).
  Result<std::string> DataDir(const std::string& tenant, const std::string& name) const;
  // OK, or ResourceExhausted saying which limit the volume's data passes
  // (its own size, or the tenant's total, claims included).
  Status CheckQuota(const std::string& tenant, const std::string& name) const;

  // Records the claim `claim.cluster` made for the volume (created_at set
  // here). With `check`, first refuses (ResourceExhausted, with the figures)
  // a request larger than the volume's size, or one that with the tenant's
  // charges (data and claims) would pass per_tenant_bytes; without, records
  // a claim that exists already. A claim already recorded for that cluster
  // is left as it is (OK). NotFound without the volume.
  Status RecordClaim(const std::string& tenant, const std::string& name, VolumeClaim claim, bool check);
  // Drops the record of the volume's claim on `cluster` (a creation that
  // failed). OK when there is none.
  Status ForgetClaim(const std::string& tenant, const std::string& name, const std::string& cluster);

  const std::string& root() const { return root_; }

 private:
  Result<std::string> TenantDir(const std::string& tenant) const;
  Result<VolumeInfo> GetLocked(const std::string& tenant, const std::string& name) const;
  Result<std::vector<VolumeInfo>> ListLocked(const std::string& tenant) const;

  std::string root_;
  VolumeQuota quota_;
  const Clock* clock_;
  mutable std::mutex mu_;
};

// "1.5 GiB" for messages.
std::string FormatBytes(int64_t bytes);

}  // namespace skyrun::storage
