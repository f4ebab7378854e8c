#include "api/api.h"

#include <cctype>

#include "common/quantities.h"

namespace skyrun::api {

namespace {

Result<nlohmann::json> ParseObject(std::string_view body) {
  if (body.size() > kMaxBodyBytes) {
    return InvalidArgument("request body is " + std::to_string(body.size()) + " bytes; the limit is " +
                           std::to_string(kMaxBodyBytes));
  }
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("request body is not valid JSON");
  if (!j.is_object()) return InvalidArgument("request body must be a JSON object");
  return j;
}

// Reads an optional string field; error if present with another type.
Status GetString(const nlohmann::json& j, const char* key, bool required, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return InvalidArgument(std::string("field '") + key + "' is required");
    return Status::Ok();
  }
  if (!it->is_string()) return InvalidArgument(std::string("field '") + key + "' must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status CheckKnownFields(const nlohmann::json& j, std::initializer_list<const char*> known) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) return InvalidArgument("unknown field '" + it.key() + "' in request body");
  }
  return Status::Ok();
}

std::string IntList(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

Result<SubmitRequest> ParseSubmitRequest(std::string_view body) {
  SKYRUN_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(body));
  SKYRUN_RETURN_IF_ERROR(CheckKnownFields(j, {"spec", "file", "upload"}));
  SubmitRequest r;
  SKYRUN_RETURN_IF_ERROR(GetString(j, "spec", true, &r.spec_yaml));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "file", false, &r.file));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "upload", false, &r.upload));
  r.file = DisplayFileName(r.file);
  if (!r.upload.empty() && !IsUploadDigest(r.upload)) {
    return InvalidArgument("field 'upload' must be the lower-case hex SHA-256 of an upload (64 characters)");
  }
  return r;
}

std::string DisplayFileName(std::string_view file) {
  size_t slash = file.rfind('/');
  std::string name(slash == std::string_view::npos ? file : file.substr(slash + 1));
  std::string out;
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    if (out.size() >= 255) break;
  }
  if (out.empty() || out == "." || out == "..") return "job.yaml";
  return out;
}

bool IsUploadDigest(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool IsValidTenantName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!ok) return false;
  }
  return true;
}

Result<TenantCreateRequest> ParseTenantCreateRequest(std::string_view body) {
  SKYRUN_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(body));
  SKYRUN_RETURN_IF_ERROR(CheckKnownFields(j, {"name"}));
  TenantCreateRequest r;
  SKYRUN_RETURN_IF_ERROR(GetString(j, "name", true, &r.name));
  if (!IsValidTenantName(r.name)) {
    return InvalidArgument(
        "tenant name '" + r.name +
        "' is not valid: use lowercase letters, digits and '-', starting with a letter or digit, "
        "at most 63 characters");
  }
  return r;
}

Result<PartitionRequest> ParsePartitionRequest(std::string_view body) {
  SKYRUN_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(body));
  SKYRUN_RETURN_IF_ERROR(CheckKnownFields(j, {"model", "layers", "profile_csv", "devices_csv", "links_csv",
                                              "algorithms", "micro_batches", "ref_tflops"}));
  PartitionRequest r;
  SKYRUN_RETURN_IF_ERROR(GetString(j, "model", false, &r.model));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "profile_csv", false, &r.profile_csv));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "devices_csv", true, &r.devices_csv));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "links_csv", false, &r.links_csv));
  if (r.model.empty() == r.profile_csv.empty()) {
    return InvalidArgument("give exactly one of 'model' (a built-in such as bert-large) and 'profile_csv'");
  }
  auto integer = [&](const char* key, int64_t lo, int64_t hi) -> Result<std::optional<int64_t>> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<int64_t>();
    if (!it->is_number_integer())
      return InvalidArgument(std::string("field '") + key + "' must be an integer");
    int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                    ? INT64_MAX
                    : it->get<int64_t>();
    if (v < lo || v > hi) {
      return InvalidArgument(std::string("field '") + key + "' must be between " + std::to_string(lo) +
                             " and " + std::to_string(hi) + ", got " + std::to_string(v));
    }
    return std::optional<int64_t>(v);
  };
  SKYRUN_ASSIGN_OR_RETURN(r.layers, integer("layers", 1, 4096));
  if (r.layers && r.model.empty())
    return InvalidArgument("'layers' applies to a built-in model, not to profile_csv");
  SKYRUN_ASSIGN_OR_RETURN(auto mb, integer("micro_batches", 1, 100000));
  if (mb) r.micro_batches = static_cast<int>(*mb);
  if (auto it = j.find("algorithms"); it != j.end() && !it->is_null()) {
    if (!it->is_array())
      return InvalidArgument("field 'algorithms' must be a list of names such as [\"exact\"]");
    for (const auto& a : *it) {
      if (!a.is_string())
        return InvalidArgument("field 'algorithms' must be a list of names such as [\"exact\"]");
      r.algorithms.push_back(a.get<std::string>());
    }
  }
  if (auto it = j.find("ref_tflops"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return InvalidArgument("field 'ref_tflops' must be a number");
    double v = it->get<double>();
    if (!(v > 0 && v <= 10000))
      return InvalidArgument("field 'ref_tflops' must be above 0 and at most 10000");
    r.ref_tflops = v;
  }
  return r;
}

Result<TokenCreateRequest> ParseTokenCreateRequest(std::string_view body) {
  SKYRUN_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(body));
  SKYRUN_RETURN_IF_ERROR(CheckKnownFields(j, {"tenant", "role", "description", "expires_in"}));
  TokenCreateRequest r;
  SKYRUN_RETURN_IF_ERROR(GetString(j, "tenant", true, &r.tenant));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "role", true, &r.role));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "description", false, &r.description));
  SKYRUN_RETURN_IF_ERROR(GetString(j, "expires_in", false, &r.expires_in));
  if (r.role != "admin" && r.role != "member" && r.role != "viewer" && r.role != "provider") {
    return InvalidArgument("role '" + r.role + "' is not one of admin, member, viewer, provider");
  }
  return r;
}

nlohmann::json JobToJson(const JobRecord& job, const std::string& pending_reason) {
  nlohmann::json j;
  j["id"] = job.id.value();
  j["name"] = job.name;
  j["tenant"] = job.tenant_name;
  j["queue"] = job.queue;
  j["priority"] = job.priority;
  j["state"] = JobStateName(job.state);
  j["reason"] = job.reason;
  if (!pending_reason.empty()) j["waiting_for"] = pending_reason;
  j["mode"] = JobModeName(job.spec.mode);
  j["num_tasks"] = job.spec.TaskCount();
  j["submitted_at"] = FormatTimestamp(job.submitted_at);
  j["updated_at"] = FormatTimestamp(job.updated_at);
  j["started_at"] = FormatTimestamp(job.started_at);
  j["finished_at"] = FormatTimestamp(job.finished_at);
  j["attempt"] = job.attempt_no;
  j["restarts"] = job.restarts;
  j["placement"] = job.placement;
  j["cost_usd"] = job.cost_usd;
  j["cancel_requested"] = job.cancel_requested;
  j["spec_file"] = job.spec_file;
  if (!job.upload.empty()) j["upload"] = job.upload;
  return j;
}

nlohmann::json AttemptToJson(const AttemptRecord& a) {
  nlohmann::json j;
  j["attempt"] = a.attempt_no;
  j["rank"] = a.rank;
  j["state"] = RunStateName(a.state);
  j["backend"] = a.backend;
  j["node"] = a.node;
  j["gpus"] = IntList(a.gpu_indices);
  j["gpu_milli"] = a.gpu_milli;
  j["cpus"] = FormatMilli(a.cpus_milli);
  j["memory_mib"] = a.memory_mib;
  j["started_at"] = FormatTimestamp(a.started_at);
  j["ended_at"] = FormatTimestamp(a.ended_at);
  j["exit_code"] = a.exit_code ? nlohmann::json(*a.exit_code) : nlohmann::json();
  j["reason"] = a.reason;
  j["hourly_price_usd"] = a.hourly_price;
  j["cost_usd"] = a.cost_usd;
  // Data moved for this task (docs/api.md): integers, bytes and seconds.
  j["staged_in_bytes"] = a.moved.in_bytes;
  j["staged_in_cached_bytes"] = a.moved.in_cached_bytes;
  j["staged_in_seconds"] = static_cast<double>(a.moved.in_micros) / kMicrosPerSecond;
  j["uploaded_bytes"] = a.moved.out_bytes;
  j["uploaded_seconds"] = static_cast<double>(a.moved.out_micros) / kMicrosPerSecond;
  j["image_pulled_bytes"] = a.moved.image_bytes;
  j["image_pull_seconds"] = static_cast<double>(a.moved.image_micros) / kMicrosPerSecond;
  return j;
}

nlohmann::json EventToJson(const EventRecord& e) {
  nlohmann::json j;
  j["time"] = FormatTimestamp(e.time);
  j["from"] = JobStateName(e.from);
  j["to"] = JobStateName(e.to);
  j["attempt"] = e.attempt_no;
  j["reason"] = e.reason;
  return j;
}

nlohmann::json ProvisionTryToJson(const ProvisionTry& t) {
  nlohmann::json j;
  j["time"] = FormatTimestamp(t.at);
  j["attempt"] = t.attempt_no;
  j["backend"] = t.backend;
  j["provider"] = t.provider;
  j["region"] = t.region;
  j["zone"] = t.zone;
  j["instance_type"] = t.instance_type;
  j["use_spot"] = t.spot;
  j["count"] = t.count;
  j["hourly_price"] = t.hourly_price;
  j["outcome"] = t.outcome;
  j["detail"] = t.detail;
  j["blocked"] = t.blocked;
  return j;
}

nlohmann::json NodeToJson(const Node& node, const NodeUsage& usage) {
  nlohmann::json j;
  j["name"] = node.name;
  j["backend"] = node.backend;
  j["state"] = NodeStateName(node.state);
  j["address"] = node.address;
  j["cpus"] = FormatMilli(node.cpus_milli);
  j["cpus_used"] = FormatMilli(usage.cpus_milli);
  j["memory_mib"] = node.memory_mib;
  j["memory_used_mib"] = usage.memory_mib;
  nlohmann::json gpus = nlohmann::json::array();
  for (size_t i = 0; i < node.gpus.size(); ++i) {
    const auto& g = node.gpus[i];
    MilliGpu used = i < usage.gpu_milli_used.size() ? usage.gpu_milli_used[i] : MilliGpu();
    gpus.push_back(
        {{"index", g.index}, {"model", g.model}, {"memory_mb", g.memory_mb}, {"used_milli", used}});
  }
  j["gpus"] = gpus;
  j["attributes"] = node.attributes;
  j["price_per_gpu_hour"] = node.price_per_gpu_hour;
  j["price_per_cpu_hour"] = node.price_per_cpu_hour;
  j["limits_enforced"] = node.limits_enforced;
  j["limits_note"] = node.limits_note;
  return j;
}

nlohmann::json ErrorJson(const Status& status, const nlohmann::json& problems) {
  nlohmann::json e;
  e["code"] = StatusCodeName(status.code());
  e["message"] = status.message();
  if (!problems.is_null()) e["problems"] = problems;
  return {{"error", e}};
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 400;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace skyrun::api
