#include "image/manifest.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "image/image_ref.h"

namespace skyrun::image {
namespace {

using nlohmann::json;

constexpr size_t kMaxLayers = 256;

Result<Descriptor> ParseDescriptor(const json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + " is not an object");
  Descriptor d;
  if (!j.contains("digest") || !j["digest"].is_string())
    return InvalidArgument(where + ".digest is missing or not a string");
  d.digest = j["digest"].get<std::string>();
  if (!IsSha256Digest(d.digest))
    return InvalidArgument(where + ".digest '" + d.digest.substr(0, 80) + "' is not a sha256 digest");
  if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
    return InvalidArgument(where + ".size is missing or not a non-negative integer");
  d.size = j["size"].get<int64_t>();
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"].get<std::string>();
  if (j.contains("platform") && j["platform"].is_object()) {
    const json& p = j["platform"];
    if (p.contains("os") && p["os"].is_string()) d.os = p["os"].get<std::string>();
    if (p.contains("architecture") && p["architecture"].is_string())
      d.architecture = p["architecture"].get<std::string>();
  }
  return d;
}

Status SetCompression(Descriptor& layer, const std::string& where) {
  const std::string& t = layer.media_type;
  if (t == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
      t == "application/vnd.oci.image.layer.v1.tar+gzip" ||
      t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") {
    layer.compression = LayerCompression::kGzip;
  } else if (t == "application/vnd.oci.image.layer.v1.tar+zstd" ||
             t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd") {
    layer.compression = LayerCompression::kZstd;
  } else if (t == "application/vnd.oci.image.layer.v1.tar" ||
             t == "application/vnd.docker.image.rootfs.diff.tar" || t.empty()) {
    layer.compression = LayerCompression::kNone;
  } else {
    return InvalidArgument(where + " has media type '" + t.substr(0, 120) +
                           "', which skyrun cannot unpack (tar, tar+gzip and tar+zstd layers only)");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> StringList(const json& j, const std::string& where) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return InvalidArgument(where + " is not a list of strings");
  for (const json& e : j) {
    if (!e.is_string()) return InvalidArgument(where + " is not a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

std::string ManifestAccept() {
  return std::string(kOciIndex) + ", " + kOciManifest + ", " + kDockerList + ", " + kDockerManifest;
}

Result<Manifest> ParseManifest(const std::string& body, const std::string& content_type) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("the manifest is not a JSON object");
  std::string type = Trim(content_type.substr(0, content_type.find(';')));
  if (j.contains("mediaType") && j["mediaType"].is_string()) {
    std::string declared = j["mediaType"].get<std::string>();
    if (type.empty() || type == "application/json" || type == "application/octet-stream") type = declared;
  }
  if (type.empty()) type = j.contains("manifests") ? kOciIndex : kOciManifest;
  if (j.contains("schemaVersion") && j["schemaVersion"] != 2) {
    return InvalidArgument("the manifest has schemaVersion " + j["schemaVersion"].dump() +
                           "; only schema 2 (Docker v2.2, OCI) is supported");
  }
  Manifest m;
  if (type == kOciIndex || type == kDockerList) {
    m.is_index = true;
    if (!j.contains("manifests") || !j["manifests"].is_array())
      return InvalidArgument("the index has no `manifests` list");
    for (size_t i = 0; i < j["manifests"].size() && i < kMaxLayers; ++i) {
      SKYRUN_ASSIGN_OR_RETURN(Descriptor d,
                              ParseDescriptor(j["manifests"][i], "manifests[" + std::to_string(i) + "]"));
      m.manifests.push_back(std::move(d));
    }
    return m;
  }
  if (type != kOciManifest && type != kDockerManifest) {
    return InvalidArgument("the registry answered a manifest of type '" + type.substr(0, 120) +
                           "'; expected an OCI or Docker v2 schema 2 manifest or index");
  }
  if (!j.contains("config")) return InvalidArgument("the manifest has no `config`");
  SKYRUN_ASSIGN_OR_RETURN(m.config, ParseDescriptor(j["config"], "config"));
  if (!j.contains("layers") || !j["layers"].is_array())
    return InvalidArgument("the manifest has no `layers` list");
  if (j["layers"].size() > kMaxLayers)
    return InvalidArgument("the manifest has " + std::to_string(j["layers"].size()) + " layers (at most " +
                           std::to_string(kMaxLayers) + ")");
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    std::string where = "layers[" + std::to_string(i) + "]";
    SKYRUN_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(j["layers"][i], where));
    SKYRUN_RETURN_IF_ERROR(SetCompression(d, where));
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<Descriptor> PickPlatform(const Manifest& index, const std::string& os, const std::string& arch) {
  std::vector<std::string> seen;
  for (const Descriptor& d : index.manifests) {
    if (d.os == os && d.architecture == arch) return d;
    seen.push_back(d.os + "/" + d.architecture);
  }
  return NotFound("the image index has no " + os + "/" + arch +
                  " image (it has: " + (seen.empty() ? std::string("none") : Join(seen, ", ")) + ")");
}

Result<ImageConfig> ParseImageConfig(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("the image config is not a JSON object");
  ImageConfig c;
  if (!j.contains("config") || j["config"].is_null()) return c;
  const json& cfg = j["config"];
  if (!cfg.is_object()) return InvalidArgument("the image config's `config` is not an object");
  if (cfg.contains("Env")) {
    SKYRUN_ASSIGN_OR_RETURN(c.env, StringList(cfg["Env"], "config.Env"));
  }
  if (cfg.contains("Entrypoint")) {
    SKYRUN_ASSIGN_OR_RETURN(c.entrypoint, StringList(cfg["Entrypoint"], "config.Entrypoint"));
  }
  if (cfg.contains("Cmd")) {
    SKYRUN_ASSIGN_OR_RETURN(c.cmd, StringList(cfg["Cmd"], "config.Cmd"));
  }
  if (cfg.contains("WorkingDir") && cfg["WorkingDir"].is_string())
    c.working_dir = cfg["WorkingDir"].get<std::string>();
  if (cfg.contains("User") && cfg["User"].is_string()) c.user = cfg["User"].get<std::string>();
  for (const std::string& e : c.env) {
    if (e.find('=') == std::string::npos || e[0] == '=')
      return InvalidArgument("config.Env entry '" + e.substr(0, 80) + "' is not NAME=value");
  }
  if (!c.working_dir.empty() && c.working_dir[0] != '/')
    return InvalidArgument("config.WorkingDir '" + c.working_dir.substr(0, 120) + "' is not absolute");
  return c;
}

}  // namespace skyrun::image
