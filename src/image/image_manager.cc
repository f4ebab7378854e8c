#include "image/image_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"
#include "image/unpack.h"

namespace skyrun::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json ConfigToJson(const ImageConfig& c) {
  return json{{"env", c.env},
              {"working_dir", c.working_dir},
              {"entrypoint", c.entrypoint},
              {"cmd", c.cmd},
              {"user", c.user}};
}

ImageConfig ConfigFromJson(const json& j) {
  ImageConfig c;
  c.env = j.value("env", std::vector<std::string>{});
  c.working_dir = j.value("working_dir", "");
  c.entrypoint = j.value("entrypoint", std::vector<std::string>{});
  c.cmd = j.value("cmd", std::vector<std::string>{});
  c.user = j.value("user", "");
  return c;
}

Status WriteAtomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return Internal("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Internal("cannot rename " + tmp + " to " + path);
  return Status::Ok();
}

Result<std::string> ReadPasswordFile(const std::string& path, const std::string& host) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return FailedPrecondition("images.registries." + host + ".password_file " + path + " cannot be read");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Result<std::unique_ptr<ImageManager>> ImageManager::Open(std::string dir, ImageSettings settings) {
  if (settings.per_tenant_bytes < 0 || settings.max_cache_bytes < 0 || settings.max_unpacked_bytes <= 0) {
    return InvalidArgument("images: sizes must not be negative");
  }
  std::error_code ec;
  fs::create_directories(dir + "/rootfs", ec);
  if (ec) return Internal("cannot create " + dir + "/rootfs: " + ec.message());
  std::string canonical = fs::canonical(dir, ec).string();
  if (ec) return Internal("cannot resolve " + dir + ": " + ec.message());
  // Trees left half-unpacked by a restart.
  for (const auto& e : fs::directory_iterator(canonical + "/rootfs", ec)) {
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(e.path(), ec);
  }
  SKYRUN_ASSIGN_OR_RETURN(std::unique_ptr<BlobStore> blobs,
                          BlobStore::Open(canonical + "/blobs", settings.max_cache_bytes));
  auto manager =
      std::unique_ptr<ImageManager>(new ImageManager(canonical, std::move(settings), std::move(blobs)));
  SKYRUN_RETURN_IF_ERROR(manager->LoadIndex());
  return manager;
}

void ImageManager::SetInUseCheck(std::function<bool(const std::string&)> rootfs_in_use) {
  std::lock_guard<std::mutex> lock(mu_);
  rootfs_in_use_ = std::move(rootfs_in_use);
}

std::string ImageManager::RootfsOf(const std::string& digest) const {
  return dir_ + "/rootfs/" + DigestHex(digest);
}

Status ImageManager::LoadIndex() {
  std::ifstream in(dir_ + "/index.json", std::ios::binary);
  if (!in) return Status::Ok();
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("images") || !j["images"].is_array()) {
    return Internal(dir_ + "/index.json is not an image index; move it away to start with an empty cache");
  }
  for (const json& e : j["images"]) {
    ImageRecord r;
    r.tenant = e.value("tenant", "");
    r.ref = e.value("ref", "");
    r.digest = e.value("digest", "");
    r.size_bytes = e.value("size_bytes", int64_t{0});
    r.blobs = e.value("blobs", std::vector<std::string>{});
    if (e.contains("config")) r.config = ConfigFromJson(e["config"]);
    if (!IsSha256Digest(r.digest)) continue;
    r.rootfs = RootfsOf(r.digest);
    struct stat st;
    if (::stat(r.rootfs.c_str(), &st) != 0) continue;  // its tree is gone: pulled again when needed
    records_.push_back(std::move(r));
  }
  return Status::Ok();
}

Status ImageManager::SaveIndex() const {
  json list = json::array();
  for (const ImageRecord& r : records_) {
    list.push_back(json{{"tenant", r.tenant},
                        {"ref", r.ref},
                        {"digest", r.digest},
                        {"size_bytes", r.size_bytes},
                        {"blobs", r.blobs},
                        {"config", ConfigToJson(r.config)}});
  }
  return WriteAtomic(dir_ + "/index.json", json{{"images", list}}.dump(1));
}

Status ImageManager::CheckQuota(const std::string& tenant, const std::string& ref, int64_t size) const {
  if (settings_.max_cache_bytes > 0 && size > settings_.max_cache_bytes) {
    return ResourceExhausted("image " + ref + " is " + std::to_string(size) +
                             " bytes, more than the whole image cache holds (images.max_cache_bytes = " +
                             std::to_string(settings_.max_cache_bytes) + ")");
  }
  if (settings_.per_tenant_bytes == 0) return Status::Ok();
  int64_t used = 0;
  for (const ImageRecord& r : records_) {
    if (r.tenant != tenant) continue;
    if (r.ref == ref) return Status::Ok();  // already counted
    used += r.size_bytes;
  }
  if (used + size > settings_.per_tenant_bytes) {
    return ResourceExhausted("image " + ref + " (" + std::to_string(size) + " bytes) does not fit tenant " +
                             tenant + "'s image quota: its images hold " + std::to_string(used) + " of " +
                             std::to_string(settings_.per_tenant_bytes) +
                             " bytes (images.per_tenant_bytes); remove some with `skyrun image rm REF` or "
                             "`skyrun image prune`");
  }
  return Status::Ok();
}

Result<PullResult> ImageManager::Pull(const std::string& text, const std::string& tenant) {
  SKYRUN_ASSIGN_OR_RETURN(ImageRef ref, ParseImageRef(text));
  const std::string key = ref.ToString();
  std::shared_ptr<InFlight> flight;
  bool leader = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = pulling_.find(key);
    if (it == pulling_.end()) {
      flight = std::make_shared<InFlight>();
      flight->progress.ref = key;
      pulling_[key] = flight;
      leader = true;
    } else {
      flight = it->second;
    }
    flight->tenants.insert(tenant);
  }
  Result<PullResult> result = Internal("unreachable");
  if (leader) {
    result = Fetch(ref, tenant, *flight);
    std::lock_guard<std::mutex> lock(mu_);
    flight->done = true;
    flight->result = result;
    pulling_.erase(key);
    cv_.notify_all();
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return flight->done; });
    result = flight->result;
    if (result.ok()) {
      result->joined = true;
      result->blobs_fetched = 0;
      result->bytes_fetched = 0;
      result->corrupt_blobs_refetched = 0;
      result->unpacked = false;
    }
  }
  if (!result.ok()) return result.status().WithContext("pulling image " + key);
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_RETURN_IF_ERROR(
      CheckQuota(tenant, key, result->image.size_bytes).WithContext("pulling image " + key));
  bool found = false;
  for (ImageRecord& r : records_) {
    if (r.tenant == tenant && r.ref == key) {
      std::vector<ImageRecord> dropped;
      if (r.digest != result->image.digest) dropped.push_back(r);  // the tag moved
      r = result->image;
      r.tenant = tenant;
      found = true;
      CollectGarbage(dropped);
      break;
    }
  }
  if (!found) {
    result->image.tenant = tenant;
    records_.push_back(result->image);
  }
  result->image.tenant = tenant;
  SKYRUN_RETURN_IF_ERROR(SaveIndex());
  return result;
}

Status ImageManager::EnsureBlob(RegistryClient& client, const Descriptor& d, PullResult& out,
                                InFlight& flight) {
  const std::string path = blobs_->PathOf(d.digest);
  struct stat st;
  const bool present = ::lstat(path.c_str(), &st) == 0;
  SKYRUN_ASSIGN_OR_RETURN(bool valid, blobs_->HasValid(d.digest));
  if (valid) {
    std::lock_guard<std::mutex> lock(mu_);
    flight.progress.bytes_done += d.size;
    return Status::Ok();
  }
  if (present) ++out.corrupt_blobs_refetched;
  // A blob that arrives with the wrong content is fetched once more; a
  // second mismatch is the registry's (or the network's) fault.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string tmp = blobs_->TempPath();
    int64_t before = 0;
    Result<int64_t> got = client.FetchBlob(d.digest, tmp, d.size, [&](int64_t n) {
      std::lock_guard<std::mutex> lock(mu_);
      flight.progress.bytes_done += n;
      before += n;
    });
    if (!got.ok()) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return got.status();
    }
    ++out.blobs_fetched;
    out.bytes_fetched += *got;
    Status committed = blobs_->Commit(tmp, d.digest);
    if (committed.ok()) return Status::Ok();
    std::lock_guard<std::mutex> lock(mu_);
    flight.progress.bytes_done -= before;
    if (attempt == 1) {
      return FailedPrecondition("blob " + d.digest + " did not match its digest when fetched twice (" +
                                committed.message() + ")");
    }
  }
  return Status::Ok();
}

Result<PullResult> ImageManager::Fetch(const ImageRef& ref, const std::string& tenant, InFlight& flight) {
  RegistryAccess access;
  if (auto it = settings_.registries.find(ref.registry); it != settings_.registries.end()) {
    access.insecure = it->second.insecure;
    access.username = it->second.username;
    if (!it->second.password_file.empty()) {
      SKYRUN_ASSIGN_OR_RETURN(access.password, ReadPasswordFile(it->second.password_file, ref.registry));
    }
  }
  RegistryClient client(ref, access);
  const std::string what = ref.ToString();
  SKYRUN_ASSIGN_OR_RETURN(ManifestAnswer answer, client.GetManifest(ref.Reference()));
  Result<Manifest> manifest = ParseManifest(answer.body, answer.content_type);
  if (!manifest.ok()) return manifest.status().WithContext("the manifest of " + what);
  if (manifest->is_index) {
    SKYRUN_ASSIGN_OR_RETURN(Descriptor pick, PickPlatform(*manifest, "linux", "amd64"));
    SKYRUN_ASSIGN_OR_RETURN(answer, client.GetManifest(pick.digest));
    manifest = ParseManifest(answer.body, answer.content_type);
    if (!manifest.ok()) return manifest.status().WithContext("the linux/amd64 manifest of " + what);
    if (manifest->is_index) return InvalidArgument("the linux/amd64 entry of " + what + " is another index");
  }
  PullResult out;
  ImageRecord& rec = out.image;
  rec.ref = what;
  rec.digest = answer.digest;
  rec.rootfs = RootfsOf(answer.digest);
  rec.size_bytes = manifest->config.size;
  rec.blobs.push_back(manifest->config.digest);
  for (const Descriptor& l : manifest->layers) {
    rec.size_bytes += l.size;
    rec.blobs.push_back(l.digest);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    SKYRUN_RETURN_IF_ERROR(CheckQuota(tenant, what, rec.size_bytes));
    flight.progress.layers_total = static_cast<int>(manifest->layers.size());
    flight.progress.bytes_total = rec.size_bytes;
    for (const std::string& b : rec.blobs) ++pinned_[b];
  }
  Status fetched = [&]() -> Status {
    SKYRUN_RETURN_IF_ERROR(EnsureBlob(client, manifest->config, out, flight));
    for (const Descriptor& l : manifest->layers) {
      SKYRUN_RETURN_IF_ERROR(EnsureBlob(client, l, out, flight));
      std::lock_guard<std::mutex> lock(mu_);
      ++flight.progress.layers_done;
    }
    Result<std::string> config_text = [&]() -> Result<std::string> {
      std::ifstream in(blobs_->PathOf(manifest->config.digest), std::ios::binary);
      if (!in) return Internal("cannot read the image config blob");
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }();
    if (!config_text.ok()) return config_text.status();
    Result<ImageConfig> config = ParseImageConfig(*config_text);
    if (!config.ok()) return config.status().WithContext("the image config of " + what);
    rec.config = *config;
    struct stat st;
    if (::stat(rec.rootfs.c_str(), &st) == 0) return Status::Ok();
    std::string tmp;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tmp = dir_ + "/rootfs/.tmp-" + DigestHex(rec.digest).substr(0, 16) + "-" + std::to_string(++seq_);
    }
    std::error_code ec;
    fs::create_directories(tmp, ec);
    if (ec) return Internal("cannot create " + tmp + ": " + ec.message());
    std::vector<LayerFile> layers;
    for (const Descriptor& l : manifest->layers)
      layers.push_back({blobs_->PathOf(l.digest), l.digest, l.compression});
    Status unpacked = UnpackLayers(layers, tmp, settings_.max_unpacked_bytes);
    if (!unpacked.ok()) {
      fs::remove_all(tmp, ec);
      return unpacked;
    }
    ::chmod(tmp.c_str(), 0755);
    if (::rename(tmp.c_str(), rec.rootfs.c_str()) != 0) {
      fs::remove_all(tmp, ec);
      // Another reference to the same manifest unpacked it meanwhile.
      if (::stat(rec.rootfs.c_str(), &st) != 0)
        return Internal("cannot move the unpacked image to " + rec.rootfs);
      return Status::Ok();
    }
    out.unpacked = true;
    return Status::Ok();
  }();
  std::set<std::string> pinned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& b : rec.blobs) {
      if (--pinned_[b] == 0) pinned_.erase(b);
    }
    for (const auto& [b, n] : pinned_) pinned.insert(b);
  }
  blobs_->Evict(pinned);
  if (!fetched.ok()) return fetched;
  return out;
}

std::vector<ImageRecord> ImageManager::List(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ImageRecord> out;
  for (const ImageRecord& r : records_) {
    if (r.tenant == tenant) out.push_back(r);
  }
  return out;
}

std::vector<PullProgress> ImageManager::Pulling(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PullProgress> out;
  for (const auto& [key, flight] : pulling_) {
    if (flight->tenants.count(tenant)) out.push_back(flight->progress);
  }
  return out;
}

void ImageManager::CollectGarbage(const std::vector<ImageRecord>& dropped) {
  std::set<std::string> live_digests, live_blobs;
  for (const ImageRecord& r : records_) {
    live_digests.insert(r.digest);
    live_blobs.insert(r.blobs.begin(), r.blobs.end());
  }
  for (const auto& [b, n] : pinned_) live_blobs.insert(b);
  for (const ImageRecord& r : dropped) {
    if (!live_digests.count(r.digest) && !(rootfs_in_use_ && rootfs_in_use_(r.rootfs))) {
      std::error_code ec;
      fs::remove_all(r.rootfs, ec);
    }
    for (const std::string& b : r.blobs) {
      if (!live_blobs.count(b)) (void)blobs_->Remove(b);  // a blob left behind is evicted later
    }
  }
}

Status ImageManager::Remove(const std::string& text, const std::string& tenant) {
  SKYRUN_ASSIGN_OR_RETURN(ImageRef ref, ParseImageRef(text));
  const std::string key = ref.ToString();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ImageRecord> dropped;
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->tenant == tenant && (it->ref == key || it->digest == text)) {
      dropped.push_back(*it);
      it = records_.erase(it);
    } else {
      ++it;
    }
  }
  if (dropped.empty()) return NotFound("no image " + key + " in your image cache (see `skyrun image ls`)");
  CollectGarbage(dropped);
  return SaveIndex();
}

Result<std::vector<std::string>> ImageManager::Prune(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ImageRecord> dropped;
  std::vector<std::string> refs;
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->tenant == tenant) {
      refs.push_back(it->ref);
      dropped.push_back(*it);
      it = records_.erase(it);
    } else {
      ++it;
    }
  }
  CollectGarbage(dropped);
  SKYRUN_RETURN_IF_ERROR(SaveIndex());
  return refs;
}

}  // namespace skyrun::image
