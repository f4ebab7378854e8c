#include "storage/volume_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/safe_fs.h"

namespace skyrun::storage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A tenant's directory name: its name with anything but [A-Za-z0-9_-]
// written %XX, so that no tenant name can reach another's directory.
std::string TenantDirName(const std::string& tenant) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : tenant) {
    if (std::isalnum(c) || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Sums st_blocks * 512 of everything under the directory `fd` (which it
// closes), descending with O_NOFOLLOW and never through a link.
Result<int64_t> UsageOfDir(int fd, const std::string& where, int depth) {
  if (depth > 256) {
    ::close(fd);
    return FailedPrecondition(where + " is nested more than 256 directories deep");
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return Internal("cannot list " + where + ": " + std::strerror(errno));
  }
  int64_t total = 0;
  Status error = Status::Ok();
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // raced away
    total += static_cast<int64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue;  // replaced by a link meanwhile: not followed
      Result<int64_t> inner = UsageOfDir(sub, where + "/" + name, depth + 1);
      if (!inner.ok()) {
        error = inner.status();
        break;
      }
      total += *inner;
    }
  }
  ::closedir(dir);
  if (!error.ok()) return error;
  return total;
}

Result<std::string> ReadMeta(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound("no such volume");
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// The claims recorded under `dir` (<name>.claims), by cluster; unreadable
// records are skipped (a task cannot write them: they lie under meta/).
std::vector<VolumeClaim> ReadClaims(const std::string& dir) {
  std::vector<VolumeClaim> out;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    Result<std::string> text = ReadMeta(entry.path().string());
    if (!text.ok()) continue;
    json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("cluster") || !j["cluster"].is_string() || !j.contains("claim") ||
        !j["claim"].is_string() || !j.contains("requested_bytes") ||
        !j["requested_bytes"].is_number_integer())
      continue;
    out.push_back({j["cluster"].get<std::string>(), j["claim"].get<std::string>(),
                   j["requested_bytes"].get<int64_t>(), j.value("created_at", Micros{0})});
  }
  std::sort(out.begin(), out.end(),
            [](const VolumeClaim& a, const VolumeClaim& b) { return a.cluster < b.cluster; });
  return out;
}

}  // namespace

int64_t VolumeInfo::ChargedBytes() const {
  int64_t total = used_bytes;
  for (const VolumeClaim& c : claims) total += c.requested_bytes;
  return total;
}

std::string FormatBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

Status ValidateVolumeName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
  }
  if (!ok) {
    return InvalidArgument(
        "'" + name +
        "' is not a volume name: use 1 to 63 of a-z, 0-9, '-', '_' and '.', starting with a "
        "letter or digit");
  }
  return Status::Ok();
}

Result<std::string> VolumeDataPathInStore(const std::string& tenant, const std::string& name) {
  SKYRUN_RETURN_IF_ERROR(ValidateVolumeName(name));
  if (tenant.empty()) return InvalidArgument("a volume belongs to a tenant; the tenant is empty");
  return TenantDirName(tenant) + "/data/" + name;
}

Result<int64_t> DiskUsage(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return int64_t{0};
    return Internal("cannot open " + path + ": " + std::strerror(errno));
  }
  return UsageOfDir(fd, path, 0);
}

VolumeStore::VolumeStore(std::string root, VolumeQuota quota, const Clock* clock)
    : root_(std::move(root)), quota_(quota), clock_(clock) {}

Result<std::string> VolumeStore::TenantDir(const std::string& tenant) const {
  if (tenant.empty()) return InvalidArgument("a volume belongs to a tenant; the tenant is empty");
  return root_ + "/" + TenantDirName(tenant);
}

Result<VolumeInfo> VolumeStore::GetLocked(const std::string& tenant, const std::string& name) const {
  SKYRUN_RETURN_IF_ERROR(ValidateVolumeName(name));
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  Result<std::string> text = ReadMeta(dir + "/meta/" + name + ".json");
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFound("no volume '" + name +
                      "' (see `skyrun volume ls`; create it with `skyrun volume create " + name + "`)");
    }
    return text.status();
  }
  VolumeInfo info;
  try {
    json j = json::parse(*text);
    info.size_bytes = j.at("size_bytes").get<int64_t>();
    info.created_at = j.value("created_at", Micros{0});
  } catch (const json::exception& e) {
    return Internal("volume '" + name + "' has unreadable metadata: " + e.what());
  }
  info.tenant = tenant;
  info.name = name;
  SKYRUN_ASSIGN_OR_RETURN(info.used_bytes, DiskUsage(dir + "/data/" + name));
  info.claims = ReadClaims(dir + "/meta/" + name + ".claims");
  return info;
}

Result<std::vector<VolumeInfo>> VolumeStore::ListLocked(const std::string& tenant) const {
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  std::vector<VolumeInfo> out;
  std::error_code ec;
  if (!fs::is_directory(dir + "/meta", ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir + "/meta", ec)) {
    std::string file = entry.path().filename().string();
    if (file.size() <= 5 || file.substr(file.size() - 5) != ".json") continue;
    std::string name = file.substr(0, file.size() - 5);
    if (!ValidateVolumeName(name).ok()) continue;
    SKYRUN_ASSIGN_OR_RETURN(VolumeInfo info, GetLocked(tenant, name));
    out.push_back(std::move(info));
  }
  if (ec) return Internal("cannot list the volumes of " + tenant + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const VolumeInfo& a, const VolumeInfo& b) { return a.name < b.name; });
  return out;
}

Result<VolumeInfo> VolumeStore::Create(const std::string& tenant, const std::string& name,
                                       int64_t size_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_RETURN_IF_ERROR(ValidateVolumeName(name));
  if (size_bytes < 0) return InvalidArgument("a volume's size cannot be negative");
  if (size_bytes == 0) size_bytes = quota_.per_volume_bytes;
  if (quota_.per_volume_bytes > 0 && size_bytes > quota_.per_volume_bytes) {
    return ResourceExhausted("volume '" + name + "' of " + FormatBytes(size_bytes) +
                             " is larger than a volume may be here (" + FormatBytes(quota_.per_volume_bytes) +
                             ", storage.per_volume_bytes); ask for less with --size");
  }
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  SKYRUN_ASSIGN_OR_RETURN(std::vector<VolumeInfo> existing, ListLocked(tenant));
  int64_t committed = 0;
  for (const VolumeInfo& v : existing) {
    if (v.name == name) return AlreadyExists("volume '" + name + "' exists already");
    committed += std::max(v.size_bytes, v.ChargedBytes());
  }
  if (quota_.per_tenant_bytes > 0) {
    int64_t wanted = size_bytes > 0 ? size_bytes : 1;
    if (committed + wanted > quota_.per_tenant_bytes) {
      return ResourceExhausted("volume '" + name + "' of " + FormatBytes(wanted) + " would pass tenant " +
                               tenant + "'s storage quota: " + FormatBytes(committed) + " of " +
                               FormatBytes(quota_.per_tenant_bytes) +
                               " is taken by its other volumes (storage.per_tenant_bytes); remove one "
                               "(`skyrun volume rm NAME`) or ask for less with --size");
    }
  }
  std::error_code ec;
  fs::create_directories(dir + "/meta", ec);
  if (!ec) fs::create_directories(dir + "/data/" + name, ec);
  if (ec) return Internal("cannot create volume '" + name + "': " + ec.message());
  // The tenant's directories are the server's; only a volume's data dir is
  // given to a task's uid (by the sandbox, at launch).
  ::chmod(dir.c_str(), 0700);
  ::chmod((dir + "/data").c_str(), 0711);
  ::chmod((dir + "/data/" + name).c_str(), 0700);
  VolumeInfo info;
  info.tenant = tenant;
  info.name = name;
  info.size_bytes = size_bytes;
  info.created_at = clock_->Now();
  json j{{"name", name}, {"size_bytes", size_bytes}, {"created_at", info.created_at}};
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd meta_dir, OpenRootDir(dir + "/meta"));
  Status written = WriteFileBeneath(meta_dir.get(), name + ".json", j.dump() + "\n", 0600, "volume metadata");
  if (!written.ok()) {
    (void)RemoveTree(dir + "/data/" + name);  // best effort: the create failed either way
    return written;
  }
  return info;
}

Result<std::vector<VolumeInfo>> VolumeStore::List(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ListLocked(tenant);
}

Result<VolumeInfo> VolumeStore::Get(const std::string& tenant, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return GetLocked(tenant, name);
}

Status VolumeStore::Remove(const std::string& tenant, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_RETURN_IF_ERROR(GetLocked(tenant, name).status());
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  // Metadata first: a crash between the two leaves orphaned data that no
  // name reaches, never a name whose data is half gone.
  if (::unlink((dir + "/meta/" + name + ".json").c_str()) != 0) {
    return Internal("cannot remove volume '" + name + "': " + std::strerror(errno));
  }
  SKYRUN_RETURN_IF_ERROR(RemoveTree(dir + "/meta/" + name + ".claims"));
  return RemoveTree(dir + "/data/" + name);
}

Result<std::string> VolumeStore::DataDir(const std::string& tenant, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_RETURN_IF_ERROR(ValidateVolumeName(name));
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  std::error_code ec;
  if (!fs::exists(dir + "/meta/" + name + ".json", ec)) {
    return NotFound("no volume '" + name +
                    "' (see `skyrun volume ls`; create it with `skyrun volume create " + name + "`)");
  }
  return dir + "/data/" + name;
}

Status VolumeStore::CheckQuota(const std::string& tenant, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_ASSIGN_OR_RETURN(VolumeInfo v, GetLocked(tenant, name));
  if (v.size_bytes > 0 && v.used_bytes > v.size_bytes) {
    return ResourceExhausted("volume '" + name + "' holds " + FormatBytes(v.used_bytes) +
                             ", more than its size " + FormatBytes(v.size_bytes) +
                             "; delete data from it or create a larger volume");
  }
  if (quota_.per_tenant_bytes > 0) {
    SKYRUN_ASSIGN_OR_RETURN(std::vector<VolumeInfo> all, ListLocked(tenant));
    int64_t used = 0;
    for (const VolumeInfo& o : all) used += o.ChargedBytes();
    if (used > quota_.per_tenant_bytes) {
      return ResourceExhausted("tenant " + tenant + "'s volumes hold " + FormatBytes(used) +
                               " (their claims on clusters included), more than its quota " +
                               FormatBytes(quota_.per_tenant_bytes) +
                               " (storage.per_tenant_bytes); delete data or volumes");
    }
  }
  return Status::Ok();
}

Status VolumeStore::RecordClaim(const std::string& tenant, const std::string& name, VolumeClaim claim,
                                bool check) {
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_ASSIGN_OR_RETURN(VolumeInfo v, GetLocked(tenant, name));
  if (claim.cluster.empty() || claim.claim.empty())
    return InvalidArgument("a claim needs its cluster and name");
  if (claim.requested_bytes < 0) return InvalidArgument("a claim's size cannot be negative");
  for (const VolumeClaim& c : v.claims) {
    if (c.cluster == claim.cluster) return Status::Ok();  // recorded when it was made
  }
  const std::string what =
      "a claim of " + FormatBytes(claim.requested_bytes) + " for volume '" + name + "' on " + claim.cluster;
  if (check && v.size_bytes > 0 && claim.requested_bytes > v.size_bytes) {
    return ResourceExhausted(
        what + " is larger than the volume's size " + FormatBytes(v.size_bytes) +
        "; create the volume larger, or set a smaller volumes.size_bytes for the cluster");
  }
  if (check && quota_.per_tenant_bytes > 0) {
    SKYRUN_ASSIGN_OR_RETURN(std::vector<VolumeInfo> all, ListLocked(tenant));
    int64_t charged = 0;
    for (const VolumeInfo& o : all) charged += o.ChargedBytes();
    if (charged + claim.requested_bytes > quota_.per_tenant_bytes) {
      return ResourceExhausted(what + " would pass tenant " + tenant + "'s storage quota: its volumes hold " +
                               FormatBytes(charged) + " (claims included) of " +
                               FormatBytes(quota_.per_tenant_bytes) +
                               " (storage.per_tenant_bytes); delete data or volumes");
    }
  }
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  claim.created_at = clock_->Now();
  json j{{"cluster", claim.cluster},
         {"claim", claim.claim},
         {"requested_bytes", claim.requested_bytes},
         {"created_at", claim.created_at}};
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd meta_dir, OpenRootDir(dir + "/meta"));
  Status written =
      WriteFileBeneath(meta_dir.get(), name + ".claims/" + TenantDirName(claim.cluster) + ".json",
                       j.dump() + "\n", 0600, "claim record");
  if (!written.ok()) {
    // Another store over this root recorded it meanwhile: the same claim.
    for (const VolumeClaim& c : ReadClaims(dir + "/meta/" + name + ".claims")) {
      if (c.cluster == claim.cluster) return Status::Ok();
    }
  }
  return written;
}

Status VolumeStore::ForgetClaim(const std::string& tenant, const std::string& name,
                                const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_RETURN_IF_ERROR(ValidateVolumeName(name));
  SKYRUN_ASSIGN_OR_RETURN(std::string dir, TenantDir(tenant));
  const std::string path = dir + "/meta/" + name + ".claims/" + TenantDirName(cluster) + ".json";
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Internal("cannot drop the claim record " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace skyrun::storage
