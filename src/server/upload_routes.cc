#include "server/upload_routes.h"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "api/api.h"
#include "common/strings.h"
#include "uploads/archive.h"
#include "uploads/spec_inputs.h"

namespace skyrun {
namespace {

void Answer(httplib::Response& res, int status, const Status& s) {
  res.status = status;
  res.set_content(api::ErrorJson(s).dump(), "application/json");
}

std::string Limit(int64_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// "FILE:LINE:COLUMN" of the value at `path` in the spec, or "FILE" alone.
std::string Locate(const std::string& yaml, const std::string& file, const std::vector<std::string>& path) {
  try {
    YAML::Node node = YAML::Load(yaml);
    for (const auto& key : path) {
      if (!node.IsMap()) return file;
      node = node[key];
      if (!node) return file;
    }
    const YAML::Mark m = node.Mark();
    if (m.line < 0) return file;
    return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  } catch (const YAML::Exception&) {
    return file;
  }
}

}  // namespace

void PutUpload(uploads::UploadStore& store, const TokenRecord& who, const httplib::Request& req,
               httplib::Response& res) {
  if (who.role != AccessRole::kAdmin && who.role != AccessRole::kMember) {
    return Answer(res, 403, PermissionDenied("a viewer token cannot upload"));
  }
  const std::string digest = req.matches[1].str();
  bool too_large = false;
  auto put = store.Put(who.tenant, digest, req.body, &too_large);
  if (!put.ok()) {
    int status = put.status().code() == StatusCode::kResourceExhausted
                     ? (too_large ? 413 : 429)
                     : api::HttpStatusFor(put.status().code());
    return Answer(res, status, put.status());
  }
  res.status = *put == uploads::PutOutcome::kStored ? 201 : 200;
  res.set_content(nlohmann::json({{"upload", digest}, {"bytes", req.body.size()}}).dump(),
                  "application/json");
}

void GetUpload(uploads::UploadStore& store, const TokenRecord& who, const httplib::Request& req,
               httplib::Response& res) {
  const std::string digest = req.matches[1].str();
  if (!store.Has(who.tenant, digest)) {
    return Answer(res, 404, NotFound("upload " + digest + " not found for tenant " + who.tenant_name));
  }
  if (req.method == "HEAD") {
    res.status = 200;  // the client only asks whether it is there: do not read the archive
    return;
  }
  auto bytes = store.Read(who.tenant, digest);
  if (!bytes.ok()) return Answer(res, 500, bytes.status());
  res.set_content(*bytes, "application/octet-stream");
}

bool RefuseOversizedBody(const httplib::Request& req, httplib::Response& res, int64_t upload_max_bytes) {
  if (!req.has_header("Content-Length")) return false;
  auto length = ParseInt64(req.get_header_value("Content-Length"));
  const bool upload = req.path.rfind("/v1/uploads/", 0) == 0;
  const int64_t limit = upload ? upload_max_bytes : static_cast<int64_t>(api::kMaxBodyBytes);
  if (length && *length <= limit) return false;
  Answer(res, 413,
         InvalidArgument(std::string(upload ? "the upload" : "the request body") + " is larger than " +
                         Limit(limit) + (upload ? " (server config uploads.max_bytes)" : "")));
  return true;
}

std::vector<std::string> BindUpload(uploads::UploadStore* store, const std::vector<std::string>& server_paths,
                                    TenantId tenant, const std::string& digest, const std::string& spec_yaml,
                                    const std::string& file_name, JobSpec* spec) {
  spec->base_dir.clear();
  if (!digest.empty()) {
    if (store == nullptr || !store->Has(tenant, digest)) {
      return {file_name + ": upload " + digest +
              " is not on the server for this tenant; PUT it to /v1/uploads/" + digest +
              " first (`skyrun launch` does)"};
    }
    spec->base_dir = store->Dir(tenant, digest);
  }
  std::vector<std::string> out;
  for (const auto& p : uploads::CheckSpecInputs(*spec, spec->base_dir, server_paths)) {
    out.push_back(Locate(spec_yaml, file_name, p.yaml_path) + ": " + p.message);
  }
  return out;
}

}  // namespace skyrun
