#include "uploads/upload_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "common/safe_fs.h"
#include "uploads/archive.h"

namespace skyrun::uploads {
namespace {

namespace fs = std::filesystem;

std::atomic<int64_t> g_tmp_counter{0};  // unique temporary names within this process

std::string MiB(int64_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Best-effort removal of a temporary or half-written entry: a failure leaves
// litter for the next sweep, nothing a caller could act on.
void Discard(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Status WriteWholeFile(const std::string& path, std::string_view bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Internal("cannot create " + path);
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("cannot write " + path);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string UploadDir(const std::string& state_dir, TenantId tenant, const std::string& digest) {
  return state_dir + "/uploads/" + std::to_string(tenant.value()) + "/" + digest + ".d";
}

UploadStore::UploadStore(std::string state_dir, UploadLimits limits, Clock* clock)
    : state_dir_(std::move(state_dir)), limits_(limits), clock_(clock) {}

std::string UploadStore::TenantDir(TenantId tenant) const {
  return state_dir_ + "/uploads/" + std::to_string(tenant.value());
}

bool UploadStore::Has(TenantId tenant, const std::string& digest) const {
  return IsSha256Hex(digest) && Exists(TenantDir(tenant) + "/" + digest);
}

Result<std::string> UploadStore::Read(TenantId tenant, const std::string& digest) const {
  if (!Has(tenant, digest)) return NotFound("upload " + digest + " not found");
  return ReadFileBeneath(TenantDir(tenant), digest, limits_.max_bytes, "upload " + digest);
}

Result<int64_t> UploadStore::UsedBytes(TenantId tenant) const {
  int64_t used = 0;
  std::error_code ec;
  for (fs::directory_iterator it(TenantDir(tenant), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!IsSha256Hex(name)) continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0) used += st.st_size;
  }
  return used;
}

Result<PutOutcome> UploadStore::Put(TenantId tenant, const std::string& digest, std::string_view bytes,
                                    bool* too_large) {
  *too_large = false;
  if (!IsSha256Hex(digest)) return InvalidArgument("'" + digest + "' is not a lower-case hex SHA-256 digest");
  if (static_cast<int64_t>(bytes.size()) > limits_.max_bytes) {
    *too_large = true;
    return ResourceExhausted("the upload is larger than " + MiB(limits_.max_bytes) +
                             " (server config uploads.max_bytes)");
  }
  std::string actual = Sha256Hex(bytes);
  if (actual != digest) {
    return InvalidArgument("the upload's SHA-256 is " + actual + ", not " + digest + " as the URL says");
  }
  const std::string dir = TenantDir(tenant);
  const std::string final_path = dir + "/" + digest;
  auto over_quota = [&]() -> Status {
    SKYRUN_ASSIGN_OR_RETURN(int64_t used, UsedBytes(tenant));
    if (used + static_cast<int64_t>(bytes.size()) > limits_.tenant_quota_bytes) {
      return ResourceExhausted(
          "the tenant's uploads would take " + std::to_string(used + bytes.size()) +
          " bytes, over its upload quota of " + MiB(limits_.tenant_quota_bytes) +
          " (server config uploads.tenant_quota_bytes); uploads are removed when the jobs "
          "that use them end");
    }
    return Status::Ok();
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Exists(final_path)) {
      // Re-uploaded: young again and unclaimed, so a sweep keeps it for the job about to use it.
      ::utimensat(AT_FDCWD, final_path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
      ::unlink((final_path + ".claimed").c_str());
      return PutOutcome::kAlreadyThere;
    }
    SKYRUN_RETURN_IF_ERROR(over_quota());
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir + ": " + ec.message());
  const std::string tmp = dir + "/" + digest + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(g_tmp_counter.fetch_add(1));
  auto cleanup = [&] {
    Discard(tmp);
    Discard(tmp + ".d");
  };
  Status staged = WriteWholeFile(tmp, bytes);
  if (staged.ok()) {
    if (::mkdir((tmp + ".d").c_str(), 0755) != 0) staged = Internal("cannot create " + tmp + ".d");
  }
  if (staged.ok()) staged = UnpackArchive(bytes, tmp + ".d");
  if (!staged.ok()) {
    cleanup();
    return staged;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Exists(final_path)) {
    cleanup();
    return PutOutcome::kAlreadyThere;
  }
  if (Status q = over_quota(); !q.ok()) {
    cleanup();
    return q;
  }
  Discard(final_path + ".d");  // a leftover of a crash between the two renames
  if (::rename((tmp + ".d").c_str(), (final_path + ".d").c_str()) != 0 ||
      ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    cleanup();
    return Internal("cannot store upload " + digest + " in " + dir);
  }
  return PutOutcome::kStored;
}

Status UploadStore::Claim(TenantId tenant, const std::string& digest) {
  const std::string marker = TenantDir(tenant) + "/" + digest + ".claimed";
  UniqueFd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Internal("cannot mark upload " + digest + " as used");
  return Status::Ok();
}

Status UploadStore::SweepLocked(const LiveUploads& live) {
  const std::string root = state_dir_ + "/uploads";
  const int64_t now_s = clock_->Now() / 1000000;
  std::error_code ec;
  Status result = Status::Ok();
  for (fs::directory_iterator t(root, ec), end; !ec && t != end; t.increment(ec)) {
    int64_t tenant = 0;
    try {
      tenant = std::stoll(t->path().filename().string());
    } catch (...) {
      continue;
    }
    std::error_code ec2;
    for (fs::directory_iterator it(t->path(), ec2), end2; !ec2 && it != end2; it.increment(ec2)) {
      const std::string name = it->path().filename().string();
      const std::string path = it->path().string();
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) continue;
      const bool old = now_s - static_cast<int64_t>(st.st_mtime) > limits_.unclaimed_grace_s;
      if (name.find(".tmp-") != std::string::npos) {
        if (old) Discard(path);  // a crashed Put
        continue;
      }
      if (!IsSha256Hex(name) || live.count({tenant, name})) continue;
      if (!Exists(path + ".claimed") && !old) continue;
      ::unlink(path.c_str());
      Status removed = RemoveTree(path + ".d");
      ::unlink((path + ".claimed").c_str());
      if (!removed.ok()) result = removed;
    }
  }
  return result;
}

}  // namespace skyrun::uploads
