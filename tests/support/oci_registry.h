// Image test support: tar layers built in memory (LayerBuilder) and a real
// OCI registry on loopback (LoopbackRegistry: Debian's docker-registry with
// filesystem storage under a temp dir) that images are pushed to through the
// distribution API (blob upload + manifest PUT), as `docker push` does.
// The registry can require credentials, as real ones do: Basic auth against
// an htpasswd file (bcrypt, made with libcrypt), or token auth, where a
// token server in this process (cpp-httplib on loopback) checks the
// credentials and issues RS256 JWTs signed with a key `openssl req` makes at
// start, which the registry verifies against that key's certificate.
// Only tests and bench/image_bench link it. Thread-safety: one test thread
// (the token server answers on its own thread).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace httplib {
class Client;
}

namespace skyrun::test_support {

class LayerBuilder {
 public:
  LayerBuilder& Dir(const std::string& path, int mode = 0755);
  LayerBuilder& File(const std::string& path, const std::string& content, int mode = 0644);
  LayerBuilder& Symlink(const std::string& path, const std::string& target);
  LayerBuilder& Hardlink(const std::string& path, const std::string& target);
  LayerBuilder& CharDevice(const std::string& path);
  // The tar (gzip-compressed when `gzip`).
  std::string Build(bool gzip) const;

 private:
  struct Entry {
    char kind;  // d f l h c
    std::string path, content;
    int mode = 0;
  };
  std::vector<Entry> entries_;
};

struct PushedLayer {
  std::string bytes;
  bool gzip = false;
  std::string media_type = {};  // "" = OCI tar+gzip or tar, as `gzip` says
};

// "sha256:<hex>" of bytes.
std::string DigestOf(const std::string& bytes);

// `bytes` compressed by the `zstd` program (Debian package zstd, in
// scripts/install-deps.sh --test): an encoder independent of the libarchive
// that skyrun decodes layers with. Fails the test (and returns "") when the
// program cannot run.
std::string ZstdCompress(const std::string& bytes);

class TokenServer;  // oci_registry.cc

class LoopbackRegistry {
 public:
  LoopbackRegistry();
  ~LoopbackRegistry();
  // Before Start: every request needs `user`:`password`, as Basic auth
  // (htpasswd) or through a token from the token server (token auth).
  void RequireBasicAuth(const std::string& user, const std::string& password);
  void RequireTokenAuth(const std::string& user, const std::string& password);
  // How many tokens the token server issued, and refused (wrong credentials).
  int TokensIssued() const;
  int TokensRefused() const;
  // False (with why) when /usr/bin/docker-registry is missing or does not start.
  bool Start(std::string* why);
  void Stop();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Uploads the layers and a config (Env/WorkingDir/Entrypoint/Cmd as a JSON
  // object for "config") and tags the manifest; returns the manifest digest.
  std::string Push(const std::string& repo, const std::string& tag, const std::vector<PushedLayer>& layers,
                   const std::string& config_object_json = "{}");
  // PUTs a raw manifest document under `tag` with `media_type`.
  std::string PushManifest(const std::string& repo, const std::string& tag, const std::string& body,
                           const std::string& media_type);
  std::string PushBlob(const std::string& repo, const std::string& bytes);
  // How many GETs of blob `digest` the registry has answered (from its log).
  int BlobGets(const std::string& digest) const;

 private:
  // Basic or Bearer credentials for the test's own pushes to `repo`.
  void Authorize(httplib::Client& client, const std::string& repo) const;

  TempDir dir_{"skyrun-registry"};
  int port_ = 0;
  pid_t pid_ = 0;
  enum class Auth { kNone, kBasic, kToken } auth_ = Auth::kNone;
  std::string user_, password_;
  std::unique_ptr<TokenServer> tokens_;
};

}  // namespace skyrun::test_support
