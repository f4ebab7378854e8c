// Registry documents: image manifests (Docker v2 schema 2, OCI), manifest
// lists / OCI indexes (resolved to linux/amd64) and the image config (Env,
// WorkingDir, Entrypoint, Cmd, User). Parsed strictly: a digest that is not
// sha256, a negative size or a layer compression we cannot unpack (only
// none, gzip and zstd can be) is refused with where it was found.
// Callers: the image manager. Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun::image {

inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
// What a manifest GET accepts.
std::string ManifestAccept();

enum class LayerCompression { kNone, kGzip, kZstd };

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::string os;                                          // in an index's entries only
  std::string architecture;                                // in an index's entries only
  LayerCompression compression = LayerCompression::kNone;  // layers only
};

struct Manifest {
  bool is_index = false;
  std::vector<Descriptor> manifests;  // index: the platform entries
  Descriptor config;                  // image manifest
  std::vector<Descriptor> layers;     // image manifest, bottom first
};

// `content_type` is the registry's answer header (may be empty: the body's
// mediaType decides then).
Result<Manifest> ParseManifest(const std::string& body, const std::string& content_type);
// The linux/amd64 entry of an index; NotFound naming the platforms it has.
Result<Descriptor> PickPlatform(const Manifest& index, const std::string& os, const std::string& arch);

struct ImageConfig {
  std::vector<std::string> env;  // "NAME=value"
  std::string working_dir;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string user;
};

Result<ImageConfig> ParseImageConfig(const std::string& body);

}  // namespace skyrun::image
