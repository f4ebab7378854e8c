#include "storage/object_staging.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/safe_fs.h"
#include "common/strings.h"

namespace skyrun::storage {
namespace {

namespace fs = std::filesystem;

bool IsHex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Incremental MD5 over what is downloaded (EVP, the non-deprecated API).
class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  void Update(const char* d, size_t n) { EVP_DigestUpdate(ctx_, d, n); }
  std::string HexDigest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return Hex(std::string_view(reinterpret_cast<const char*>(out), len));
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Downloads one object into the new file `path` (a temporary name the caller
// renames), checking size and MD5. Returns the bytes received.
Result<int64_t> Download(const S3Client& client, const S3Uri& object, const std::string& path,
                         const std::string& expected_etag, int64_t max_bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("cannot create " + path + ": " + std::strerror(errno));
  int64_t received = 0;
  bool too_big = false;
  Md5 md5;
  S3Object meta;
  Status got = client.GetObject(
      object.bucket, object.key,
      [&](const char* d, size_t n) {
        received += static_cast<int64_t>(n);
        if (received > max_bytes) {
          too_big = true;
          return false;
        }
        md5.Update(d, n);
        size_t done = 0;
        while (done < n) {
          ssize_t w = ::write(fd, d + done, n - done);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) return false;
          done += static_cast<size_t>(w);
        }
        return true;
      },
      &meta);
  ::close(fd);
  auto fail = [&](Status s) -> Result<int64_t> {
    ::unlink(path.c_str());
    return s;
  };
  if (too_big) {
    return fail(ResourceExhausted(object.ToString() + " is larger than " + std::to_string(max_bytes) +
                                  " bytes, the most one object may be here"));
  }
  if (!got.ok()) return fail(got);
  if (meta.size > 0 && meta.size != received) {
    return fail(Unavailable(object.ToString() + ": received " + std::to_string(received) + " of " +
                            std::to_string(meta.size) + " bytes"));
  }
  const std::string etag = Lower(expected_etag.empty() ? meta.etag : expected_etag);
  if (IsHex32(etag)) {
    std::string digest = md5.HexDigest();
    if (digest != etag) {
      return fail(Unavailable(object.ToString() + ": the bytes received do not match its ETag (MD5 " +
                              digest + ", ETag " + etag + ")"));
    }
  }
  return received;
}

// One object into root/rel through the cache.
Status StageObject(const ObjectStagingContext& ctx, const S3Client& client, const S3Uri& object,
                   const std::string& etag, int64_t size, const std::string& root, const std::string& rel,
                   TransferStats* stats) {
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> parts,
                          SplitBeneath(rel, "input path for " + object.ToString()));
  if (parts.empty()) return InvalidArgument("input " + object.ToString() + " has no path to land at");
  std::string parent;
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent += (parent.empty() ? "" : "/") + parts[i];
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenRootDir(root));
  if (!parent.empty()) {
    SKYRUN_RETURN_IF_ERROR(
        OpenDirBeneath(root_fd.get(), parent, /*create=*/true, "input " + object.ToString()).status());
  }
  SKYRUN_ASSIGN_OR_RETURN(EntryKind kind, KindBeneath(root, rel, "input " + object.ToString()));
  if (kind != EntryKind::kMissing) {
    return AlreadyExists("input " + object.ToString() + " would overwrite " + rel +
                         ", which the task's directory already holds");
  }
  stats->objects += 1;
  const bool cacheable = !ctx.cache_dir.empty() && !etag.empty();
  std::string cache_name = Sha256Hex(object.ToString() + "\n" + etag);
  if (cacheable) {
    std::error_code ec;
    fs::create_directories(ctx.cache_dir, ec);
    if (ec) return Internal("cannot create the input cache " + ctx.cache_dir + ": " + ec.message());
    SKYRUN_ASSIGN_OR_RETURN(EntryKind cached, KindBeneath(ctx.cache_dir, cache_name, "input cache"));
    if (cached == EntryKind::kFile) {
      stats->cached_objects += 1;
      stats->cached_bytes += size;
      return CopyBeneath(ctx.cache_dir, cache_name, root, rel, "input " + object.ToString());
    }
  }
  // Downloaded beside its final place (the cache, or the task's directory).
  const std::string dir = cacheable ? ctx.cache_dir : root + (parent.empty() ? "" : "/" + parent);
  const std::string tmp = dir + "/.partial-" + cache_name.substr(0, 16) + "-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  SKYRUN_ASSIGN_OR_RETURN(int64_t bytes, Download(client, object, tmp, etag, ctx.max_object_bytes));
  stats->bytes += bytes;
  const std::string final_path = cacheable ? ctx.cache_dir + "/" + cache_name : root + "/" + rel;
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Internal("cannot place " + object.ToString() + ": " + std::strerror(err));
  }
  if (cacheable) return CopyBeneath(ctx.cache_dir, cache_name, root, rel, "input " + object.ToString());
  return Status::Ok();
}

}  // namespace

Result<std::string> KeyBelowPrefix(const std::string& bucket, const std::string& prefix,
                                   const std::string& key) {
  if (key.rfind(prefix, 0) != 0) {
    return Internal("the object store listed " + S3Uri{bucket, key}.ToString() + " under the prefix " +
                    prefix);
  }
  std::string rest = key.substr(prefix.size());
  if (rest.empty() || rest.back() == '/') return std::string();  // the prefix itself, or a "folder" marker
  Result<std::vector<std::string>> parts =
      rest.front() == '/' ? Result<std::vector<std::string>>(InvalidArgument("it is absolute"))
                          : SplitBeneath(rest, "object key");
  if (!parts.ok()) {
    return InvalidArgument("the object " + S3Uri{bucket, key}.ToString() +
                           " has a key that would land outside the input's directory (" +
                           parts.status().message() + "); refused");
  }
  return rest;
}

Status StageInput(const ObjectStagingContext& ctx, const std::string& uri, const std::string& root,
                  const std::string& rel, TransferStats* stats) {
  const Micros start = ctx.clock->MonotonicNow();
  SKYRUN_ASSIGN_OR_RETURN(S3Uri parsed, ParseS3Uri(uri));
  SKYRUN_ASSIGN_OR_RETURN(const S3Endpoint* endpoint, EndpointFor(ctx.endpoints, parsed.bucket));
  S3Client client(*endpoint, ctx.clock);
  TransferStats local;
  Status result = Status::Ok();
  bool prefix = parsed.key.empty() || parsed.key.back() == '/';
  if (!prefix) {
    Result<S3Object> head = client.HeadObject(parsed.bucket, parsed.key);
    if (head.ok()) {
      result = StageObject(ctx, client, parsed, head->etag, head->size, root, rel, &local);
    } else if (head.status().code() == StatusCode::kNotFound) {
      prefix = true;
      parsed.key += "/";
    } else {
      // A HEAD answer has no body: ask again with a GET for the store's
      // reason (its error document), then report that.
      Status why = client.GetObject(
          parsed.bucket, parsed.key, [](const char*, size_t) { return false; }, nullptr);
      return why.code() == StatusCode::kFailedPrecondition ? why : head.status();
    }
  }
  if (prefix) {
    SKYRUN_ASSIGN_OR_RETURN(std::vector<S3Object> objects, client.ListObjects(parsed.bucket, parsed.key));
    // Every key is checked before anything is written: one hostile key
    // refuses the whole input.
    std::vector<std::pair<const S3Object*, std::string>> plan;
    for (const S3Object& o : objects) {
      SKYRUN_ASSIGN_OR_RETURN(std::string rest, KeyBelowPrefix(parsed.bucket, parsed.key, o.key));
      if (!rest.empty()) plan.emplace_back(&o, rest);
    }
    if (plan.empty()) return NotFound("input " + uri + ": no object there");
    for (const auto& [o, rest] : plan) {
      result = StageObject(ctx, client, S3Uri{parsed.bucket, o->key}, o->etag, o->size, root,
                           rel + "/" + rest, &local);
      if (!result.ok()) break;
    }
  }
  local.micros = ctx.clock->MonotonicNow() - start;
  if (!endpoint->provider.empty() && local.bytes > 0)
    local.by_location[EndpointLocation(*endpoint)] = local.bytes;
  stats->Add(local);
  return result;
}

Status UploadOutput(const ObjectStagingContext& ctx, const std::string& root, const std::string& rel,
                    const std::string& uri, TransferStats* stats) {
  const Micros start = ctx.clock->MonotonicNow();
  SKYRUN_ASSIGN_OR_RETURN(S3Uri parsed, ParseS3Uri(uri));
  SKYRUN_ASSIGN_OR_RETURN(const S3Endpoint* endpoint, EndpointFor(ctx.endpoints, parsed.bucket));
  S3Client client(*endpoint, ctx.clock);
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitBeneath(rel, "output path"));
  SKYRUN_ASSIGN_OR_RETURN(EntryKind kind, KindBeneath(root, rel, "output " + rel));
  TransferStats local;
  auto put = [&](const std::string& file_rel, const std::string& key) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(std::string body,
                            ReadFileBeneath(root, file_rel, ctx.max_object_bytes, "output " + file_rel));
    SKYRUN_RETURN_IF_ERROR(client.PutObject(parsed.bucket, key, body));
    local.bytes += static_cast<int64_t>(body.size());
    local.objects += 1;
    return Status::Ok();
  };
  if (kind == EntryKind::kMissing) {
    return NotFound("output " + rel + " does not exist in the task's directory; the task did not write it");
  }
  if (kind == EntryKind::kFile) {
    std::string key = parsed.key;
    if (key.empty() || key.back() == '/') key += parts.empty() ? "output" : parts.back();
    SKYRUN_RETURN_IF_ERROR(put(rel, key));
  } else if (kind == EntryKind::kDirectory) {
    std::string prefix = parsed.key;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    std::error_code ec;
    // The iterator does not follow links (no follow_directory_symlink), and
    // ReadFileBeneath refuses one met on the way, should the tree change.
    for (auto it = fs::recursive_directory_iterator(root + "/" + rel, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      std::string file_rel = fs::relative(it->path(), root, ec).string();
      std::string below = fs::relative(it->path(), root + "/" + rel, ec).string();
      if (ec) break;
      SKYRUN_RETURN_IF_ERROR(put(file_rel, prefix + below));
    }
    if (ec) return Internal("cannot walk output " + rel + ": " + ec.message());
  } else {
    return InvalidArgument("output " + rel + " is neither a file nor a directory (a link is not followed)");
  }
  local.micros = ctx.clock->MonotonicNow() - start;
  if (!endpoint->provider.empty() && local.bytes > 0)
    local.by_location[EndpointLocation(*endpoint)] = local.bytes;
  stats->Add(local);
  return Status::Ok();
}

}  // namespace skyrun::storage
