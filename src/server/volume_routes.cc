#include "server/volume_routes.h"

#include "common/clock.h"

namespace skyrun {
namespace {

using nlohmann::json;

bool CanWrite(const TokenRecord& who) {
  return who.role == AccessRole::kAdmin || who.role == AccessRole::kMember;
}

}  // namespace

json VolumeToJson(const storage::VolumeInfo& v) {
  json claims = json::array();
  for (const storage::VolumeClaim& c : v.claims) {
    claims.push_back(json{{"cluster", c.cluster},
                          {"claim", c.claim},
                          {"requested_bytes", c.requested_bytes},
                          {"created_at", FormatTimestamp(c.created_at)}});
  }
  return json{{"name", v.name},
              {"tenant", v.tenant},
              {"size_bytes", v.size_bytes},
              {"used_bytes", v.used_bytes},
              {"created_at", FormatTimestamp(v.created_at)},
              {"claims", claims}};
}

Result<json> ListVolumesAs(const storage::VolumeStore& volumes, const TokenRecord& who) {
  SKYRUN_ASSIGN_OR_RETURN(std::vector<storage::VolumeInfo> list, volumes.List(who.tenant_name));
  json out = json::array();
  for (const storage::VolumeInfo& v : list) out.push_back(VolumeToJson(v));
  return json{{"volumes", out}};
}

Result<json> CreateVolumeAs(storage::VolumeStore& volumes, const TokenRecord& who, const std::string& body) {
  if (!CanWrite(who)) return PermissionDenied("a viewer token cannot create volumes");
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object such as {\"name\": \"data\"}");
  for (const auto& [key, value] : j.items()) {
    if (key != "name" && key != "size_bytes") {
      return InvalidArgument("unknown field '" + key + "': a volume has name and size_bytes");
    }
  }
  if (!j.contains("name") || !j["name"].is_string()) return InvalidArgument("name is required (a string)");
  int64_t size = 0;
  if (j.contains("size_bytes")) {
    if (!j["size_bytes"].is_number_integer() || j["size_bytes"].get<int64_t>() < 0) {
      return InvalidArgument("size_bytes must be a non-negative integer");
    }
    size = j["size_bytes"].get<int64_t>();
  }
  SKYRUN_ASSIGN_OR_RETURN(storage::VolumeInfo v,
                          volumes.Create(who.tenant_name, j["name"].get<std::string>(), size));
  return VolumeToJson(v);
}

Result<json> RemoveVolumeAs(storage::VolumeStore& volumes, const TokenRecord& who, const std::string& name) {
  if (!CanWrite(who)) return PermissionDenied("a viewer token cannot remove volumes");
  // The claims made for it on Kubernetes clusters stay there (with their
  // data): the answer names them, for `kubectl delete pvc`.
  SKYRUN_ASSIGN_OR_RETURN(storage::VolumeInfo v, volumes.Get(who.tenant_name, name));
  SKYRUN_RETURN_IF_ERROR(volumes.Remove(who.tenant_name, name));
  return json{{"name", name}, {"removed", true}, {"claims_left", VolumeToJson(v)["claims"]}};
}

Status CheckSpecVolumes(const storage::VolumeStore* volumes, const JobSpec& spec,
                        const std::string& tenant_name) {
  if (spec.volumes.empty()) return Status::Ok();
  if (volumes == nullptr) return InvalidArgument("volumes: this server keeps no volumes; remove the field");
  for (const VolumeMount& v : spec.volumes) {
    Result<std::string> dir = volumes->DataDir(tenant_name, v.name);
    if (!dir.ok()) return InvalidArgument("volumes: " + dir.status().message());
  }
  return Status::Ok();
}

}  // namespace skyrun
