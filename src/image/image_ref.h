// Image references (`host[:port]/repo[:tag|@sha256:HEX]`) and content
// digests: the names the registry client, the blob store and the image
// manager agree on. A reference without a host is Docker Hub's
// (registry-1.docker.io, "library/" before a one-part name); without a tag or
// digest it is ":latest". Anything malformed is refused with what and where.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skyrun::image {

struct ImageRef {
  std::string registry;    // "127.0.0.1:5000", "registry-1.docker.io"
  std::string repository;  // "library/python"
  std::string tag;         // "" when `digest` is set and no tag was given
  std::string digest;      // "sha256:<64 hex>" or ""

  // What the registry is asked for: the digest if any, else the tag.
  std::string Reference() const { return digest.empty() ? tag : digest; }
  // Canonical text: registry/repository[:tag][@digest].
  std::string ToString() const;
  // Whether the registry is on this machine (then plain http is used).
  bool IsLoopback() const;
};

Result<ImageRef> ParseImageRef(std::string_view text);

// "sha256:" + 64 lowercase hex digits; the only algorithm accepted.
bool IsSha256Digest(std::string_view digest);
// The 64 hex digits of a valid digest.
std::string DigestHex(std::string_view digest);

// Incremental SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  // "sha256:<hex>"; the hasher is spent after this.
  std::string Finish();

 private:
  void* ctx_;
};

std::string Sha256Digest(std::string_view bytes);
// The digest of a file's contents.
Result<std::string> Sha256OfFile(const std::string& path);

}  // namespace skyrun::image
