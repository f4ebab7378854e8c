// Submitting a spec with its files: packs what the spec names on this machine
// (uploads/pack.h), uploads the archive unless the server already holds it
// (HEAD, then PUT /v1/uploads/<sha256>) and posts the job with "upload" set.
// `skyrun launch` and `skyrun partition measure` call it.
// Thread-safety: as ApiClient (one per thread).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/client.h"
#include "common/status.h"
#include "model/job_spec.h"

namespace skyrun {

// `spec_dir` is where the spec's relative paths start (its file's directory);
// `file_name` is only shown in messages. Returns the POST /v1/jobs answer.
Result<nlohmann::json> SubmitWithUpload(ApiClient& client, const JobSpec& spec, const std::string& spec_yaml,
                                        const std::string& spec_dir, const std::string& file_name);

}  // namespace skyrun
