// The HTTP side of uploads (docs/api.md "Uploads"): PUT stores an archive
// under its SHA-256 for the caller's tenant, GET returns it, HEAD (served by
// the GET route) says whether it is there, so a client can skip re-sending.
// Submission resolves a job's files through BindUpload. ApiServer's routes
// call these after authentication. Thread-safety: as UploadStore.
#pragma once

#include <string>
#include <vector>

#include "model/job_spec.h"
#include "store/store.h"
#include "uploads/upload_store.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace skyrun {

void PutUpload(uploads::UploadStore& store, const TokenRecord& who, const httplib::Request& req,
               httplib::Response& res);
void GetUpload(uploads::UploadStore& store, const TokenRecord& who, const httplib::Request& req,
               httplib::Response& res);

// Before a body is read: 413 (naming the limit) when its Content-Length is
// above what the route takes (uploads: the upload limit; other routes: the
// API body limit). Returns true when it answered.
bool RefuseOversizedBody(const httplib::Request& req, httplib::Response& res, int64_t upload_max_bytes);

// At submission: points spec.base_dir at the job's unpacked upload and checks
// every path the spec names (uploads/spec_inputs.h). The problems, one per
// path as "FILE:LINE:COLUMN: field: ..." (located in `spec_yaml`), are empty
// when all is well. Call with store.mu() held, so the upload cannot be swept
// before the job that uses it is stored.
std::vector<std::string> BindUpload(uploads::UploadStore* store, const std::vector<std::string>& server_paths,
                                    TenantId tenant, const std::string& digest, const std::string& spec_yaml,
                                    const std::string& file_name, JobSpec* spec);

}  // namespace skyrun
