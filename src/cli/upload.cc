#include "cli/upload.h"

#include "uploads/pack.h"

namespace skyrun {

namespace {

Status Upload(ApiClient& client, const uploads::PackedUpload& packed, bool check_first) {
  const std::string path = "/v1/uploads/" + packed.sha256;
  if (check_first) {
    SKYRUN_ASSIGN_OR_RETURN(bool there, client.Exists(path));
    if (there) return Status::Ok();
  }
  return client.Put(path, packed.archive, "application/octet-stream").status();
}

}  // namespace

Result<nlohmann::json> SubmitWithUpload(ApiClient& client, const JobSpec& spec, const std::string& spec_yaml,
                                        const std::string& spec_dir, const std::string& file_name) {
  SKYRUN_ASSIGN_OR_RETURN(uploads::PackedUpload packed, uploads::PackSpecInputs(spec, spec_dir));
  nlohmann::json body = {{"spec", spec_yaml}, {"file", file_name}};
  if (packed.archive.empty()) return client.Post("/v1/jobs", body);
  SKYRUN_RETURN_IF_ERROR(Upload(client, packed, true).WithContext("uploading the job's files"));
  body["upload"] = packed.sha256;
  auto created = client.Post("/v1/jobs", body);
  // The server may have removed an upload whose last job ended between our
  // HEAD and the submission: send it again, once.
  if (!created.ok() && created.status().message().find("problem") != std::string::npos &&
      client.last_error().body.dump().find("is not on the server") != std::string::npos) {
    SKYRUN_RETURN_IF_ERROR(Upload(client, packed, false).WithContext("uploading the job's files"));
    created = client.Post("/v1/jobs", body);
  }
  return created;
}

}  // namespace skyrun
