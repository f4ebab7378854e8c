#include "image/blob_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "image/image_ref.h"

namespace skyrun::image {
namespace {

namespace fs = std::filesystem;

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::Open(std::string root, int64_t max_bytes) {
  if (max_bytes < 0) return InvalidArgument("images.max_cache_bytes must not be negative");
  std::error_code ec;
  fs::create_directories(root + "/sha256", ec);
  if (!ec) fs::create_directories(root + "/tmp", ec);
  if (ec) return Internal("cannot create the image blob store " + root + ": " + ec.message());
  // Leftovers of fetches cut short by a restart.
  for (const auto& e : fs::directory_iterator(root + "/tmp", ec)) fs::remove(e.path(), ec);
  auto store = std::unique_ptr<BlobStore>(new BlobStore(root, max_bytes));
  std::vector<std::pair<int64_t, std::string>> found;  // mtime, digest
  for (const auto& e : fs::directory_iterator(root + "/sha256", ec)) {
    std::string digest = "sha256:" + e.path().filename().string();
    struct stat st;
    if (!IsSha256Digest(digest) || ::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      fs::remove_all(e.path(), ec);
      continue;
    }
    found.push_back({MtimeNs(st), digest});
    store->entries_[digest].size = st.st_size;
    store->total_ += st.st_size;
  }
  std::sort(found.begin(), found.end());
  for (const auto& [mtime, digest] : found) store->entries_[digest].last_use = ++store->tick_;
  return store;
}

std::string BlobStore::PathOf(const std::string& digest) const {
  return root_ + "/sha256/" + DigestHex(digest);
}

std::string BlobStore::TempPath() {
  std::lock_guard<std::mutex> lock(mu_);
  return root_ + "/tmp/blob-" + std::to_string(::getpid()) + "-" + std::to_string(++temp_seq_);
}

Status BlobStore::Commit(const std::string& tmp, const std::string& digest) {
  if (!IsSha256Digest(digest)) return InvalidArgument("not a sha256 digest: " + digest);
  Result<std::string> got = Sha256OfFile(tmp);
  std::error_code ec;
  if (!got.ok() || *got != digest) {
    fs::remove(tmp, ec);
    return InvalidArgument("the blob's content hashes to " + (got.ok() ? *got : got.status().message()) +
                           ", not " + digest);
  }
  struct stat st;
  if (::stat(tmp.c_str(), &st) != 0) return Internal("cannot stat " + tmp);
  std::string dest = PathOf(digest);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    fs::remove(tmp, ec);
    return Internal("cannot move a fetched blob to " + dest);
  }
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[digest];
  total_ += st.st_size - e.size;
  e.size = st.st_size;
  e.last_use = ++tick_;
  e.verified_mtime_ns = MtimeNs(st);
  e.verified_ino = st.st_ino;
  return Status::Ok();
}

Result<bool> BlobStore::HasValid(const std::string& digest) {
  if (!IsSha256Digest(digest)) return InvalidArgument("not a sha256 digest: " + digest);
  std::string path = PathOf(digest);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = entries_.find(digest); it != entries_.end()) {
      total_ -= it->second.size;
      entries_.erase(it);
    }
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[digest];
    total_ += st.st_size - e.size;
    e.size = st.st_size;
    e.last_use = ++tick_;
    if (e.verified_mtime_ns == MtimeNs(st) && e.verified_ino == st.st_ino) return true;
  }
  // Rehashed outside the lock: a large layer takes a while.
  Result<std::string> got = Sha256OfFile(path);
  if (!got.ok() || *got != digest) {
    SKYRUN_RETURN_IF_ERROR(Remove(digest));
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[digest];
  e.verified_mtime_ns = MtimeNs(st);
  e.verified_ino = st.st_ino;
  return true;
}

Status BlobStore::Remove(const std::string& digest) {
  if (!IsSha256Digest(digest)) return InvalidArgument("not a sha256 digest: " + digest);
  std::error_code ec;
  fs::remove(PathOf(digest), ec);
  if (ec) return Internal("cannot remove blob " + digest + ": " + ec.message());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = entries_.find(digest); it != entries_.end()) {
    total_ -= it->second.size;
    entries_.erase(it);
  }
  return Status::Ok();
}

std::vector<std::string> BlobStore::Evict(const std::set<std::string>& pinned) {
  std::vector<std::string> removed;
  std::lock_guard<std::mutex> lock(mu_);
  if (max_bytes_ == 0) return removed;
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [digest, e] : entries_) order.push_back({e.last_use, digest});
  std::sort(order.begin(), order.end());
  for (const auto& [use, digest] : order) {
    if (total_ <= max_bytes_) break;
    if (pinned.count(digest)) continue;
    std::error_code ec;
    fs::remove(PathOf(digest), ec);
    if (ec) continue;
    total_ -= entries_[digest].size;
    entries_.erase(digest);
    removed.push_back(digest);
  }
  return removed;
}

int64_t BlobStore::TotalBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace skyrun::image
