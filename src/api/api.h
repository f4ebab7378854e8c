// The REST API's wire format, shared by the server and the CLI client: request
// bodies parsed with precise errors (the API body fuzz target drives these),
// and records rendered as JSON with stable field names (docs/api.md).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/job.h"
#include "model/node.h"
#include "model/provision_try.h"

namespace skyrun::api {

constexpr size_t kMaxBodyBytes = 2 * 1024 * 1024;

// POST /v1/jobs: {"spec": "<yaml text>", "file": "job.yaml", "upload": "<sha256>"}
// `file` is a name for messages only: its directories are dropped and the
// server never reads it. `upload` (optional) names an archive PUT to
// /v1/uploads/<sha256> first: the spec's relative paths resolve inside it.
struct SubmitRequest {
  std::string spec_yaml;
  std::string file;    // display name ("job.yaml" when absent)
  std::string upload;  // "" or 64 lower-case hex digits
};
Result<SubmitRequest> ParseSubmitRequest(std::string_view body);

// The last path component of `file`, without control characters; "job.yaml" if empty.
std::string DisplayFileName(std::string_view file);
bool IsUploadDigest(std::string_view s);

// Upload archives (PUT /v1/uploads/<sha256>) have their own limit, from the
// server config (uploads.max_bytes); this is its default.
constexpr int64_t kDefaultMaxUploadBytes = 64LL * 1024 * 1024;

// POST /v1/admin/tenants: {"name": "vision"}
struct TenantCreateRequest {
  std::string name;
};
Result<TenantCreateRequest> ParseTenantCreateRequest(std::string_view body);

// POST /v1/admin/tokens: {"tenant": "vision", "role": "member", "description": "ci",
// "expires_in": "30d"} (expires_in optional: a duration; absent = never).
struct TokenCreateRequest {
  std::string tenant;
  std::string role;
  std::string description;
  std::string expires_in;
};
Result<TokenCreateRequest> ParseTokenCreateRequest(std::string_view body);

// POST /v1/partition: the partitioner as a service (docs/api.md). Exactly one
// of model (a built-in, with optional layers) and profile_csv (the text of a
// units CSV); devices_csv is the text of a devices CSV, links_csv optional.
// {"model": "bert-large", "layers": 160, "devices_csv": "name,slowness,memory_mib\n...",
//  "algorithms": ["all"], "micro_batches": 8}
struct PartitionRequest {
  std::string model;
  std::optional<int64_t> layers;  // 1..4096
  std::string profile_csv;
  std::string devices_csv;
  std::string links_csv;
  std::vector<std::string> algorithms;  // empty = all
  int micro_batches = 8;                // 1..100000
  std::optional<double> ref_tflops;     // (0, 10000]
};
Result<PartitionRequest> ParsePartitionRequest(std::string_view body);

// Tenant names: [a-z0-9][a-z0-9-]{0,62}.
bool IsValidTenantName(std::string_view name);

nlohmann::json JobToJson(const JobRecord& job, const std::string& pending_reason = "");
nlohmann::json AttemptToJson(const AttemptRecord& a);
nlohmann::json EventToJson(const EventRecord& e);
// One try of the broker to place the job (model/provision_try.h).
nlohmann::json ProvisionTryToJson(const ProvisionTry& t);
nlohmann::json NodeToJson(const Node& node, const NodeUsage& usage);

// {"error": {"code": "INVALID_ARGUMENT", "message": "...", "problems": [...]}}
nlohmann::json ErrorJson(const Status& status, const nlohmann::json& problems = nlohmann::json());
int HttpStatusFor(StatusCode code);

}  // namespace skyrun::api
