// RegistryClient: the OCI distribution (Docker registry v2) HTTP API, as
// much as pulling needs: GET /v2/ manifests (Accept: OCI and Docker v2
// schema 2 manifests and indexes) and blobs, streamed to disk. Plain http
// for loopback registries and those marked `insecure`, https otherwise.
// Authentication answers the registry's 401: a Bearer challenge (realm,
// service, scope) is traded at the token endpoint for a token (with the
// configured username and password, if any); a Basic challenge gets the
// configured credentials. Credentials never appear in a message.
// A refusal carries the registry's own answer, e.g. "registry
// 127.0.0.1:5000 answered 404 MANIFEST_UNKNOWN for repo/x:tag".
//
// Callers: the image manager, one client per pull. Thread-safety: none; one
// client is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "image/image_ref.h"

namespace httplib {
class Client;
}

namespace skyrun::image {

struct RegistryAccess {
  bool insecure = false;  // plain http even off loopback
  std::string username;   // "" = anonymous
  std::string password;
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 60;
};

struct ManifestAnswer {
  std::string body;
  std::string content_type;
  std::string digest;  // the registry's Docker-Content-Digest, checked against the body
};

class RegistryClient {
 public:
  RegistryClient(ImageRef ref, RegistryAccess access);
  ~RegistryClient();

  // The manifest (or index) for `reference` (a tag or a digest).
  Result<ManifestAnswer> GetManifest(const std::string& reference);
  // Streams blob `digest` into `dest` (created or truncated). Returns the
  // bytes written; refuses more than `max_bytes`. The digest is checked by
  // the caller (BlobStore::Commit). `progress` gets each chunk's size.
  Result<int64_t> FetchBlob(const std::string& digest, const std::string& dest, int64_t max_bytes,
                            const std::function<void(int64_t)>& progress);

 private:
  struct Answer {
    int status = 0;
    std::string content_type;
    std::string digest_header;
    std::string www_authenticate;
    std::string body;  // the whole body, or the error body when streamed
  };
  // One GET with the current authorization; `sink` (if set) receives the
  // body of a 200 answer.
  Result<Answer> Get(const std::string& path, const std::string& accept,
                     const std::function<bool(const char*, size_t)>& sink);
  // Get, answering a 401 challenge once.
  Result<Answer> GetAuthorized(const std::string& path, const std::string& accept,
                               const std::function<bool(const char*, size_t)>& sink);
  Status Authorize(const std::string& challenge);
  Status Refusal(const Answer& answer, const std::string& what) const;
  std::string Origin() const;

  const ImageRef ref_;
  const RegistryAccess access_;
  std::unique_ptr<httplib::Client> client_;
  std::string authorization_;  // the Authorization header value, "" = none
};

// The parameters of a WWW-Authenticate challenge: scheme ("Bearer"/"Basic",
// as given) and its key="value" pairs. Exposed for tests.
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
AuthChallenge ParseAuthChallenge(const std::string& header);

}  // namespace skyrun::image
