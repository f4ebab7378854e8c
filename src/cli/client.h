// ApiClient: the CLI's side of the REST API. Finds the server and the token
// (flags, then SKYRUN_SERVER / SKYRUN_TOKEN, then http://127.0.0.1:8787 and
// the admin token file of the default state directory) and turns transport
// and HTTP errors into messages a person can act on.
// Thread-safety: one client per thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace skyrun {

struct ClientOptions {
  std::string server;     // "" = from the environment or default
  std::string token;      // "" = from the environment or the token file
  std::string state_dir;  // where the default token file is ("" = default)
};

// The status line and headers of a streamed response (header names in lower case).
struct StreamResponse {
  int status = 0;
  std::map<std::string, std::string> headers;
};

// The HTTP status and body of a failed request, kept for the caller.
struct ApiError {
  int http_status = 0;
  nlohmann::json body;
};

class ApiClient {
 public:
  static Result<std::unique_ptr<ApiClient>> Create(const ClientOptions& options);
  ~ApiClient();

  const std::string& server() const { return server_; }
  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body);
  Result<nlohmann::json> Delete(const std::string& path);
  // PUT of raw bytes (uploads); HEAD answers whether `path` exists (200 vs 404).
  Result<nlohmann::json> Put(const std::string& path, const std::string& bytes,
                             const std::string& content_type);
  Result<bool> Exists(const std::string& path);
  // Streams a text body chunk by chunk (log follow); returns when it ends.
  // on_response, when given, sees the status and headers before any data.
  Status Stream(const std::string& path, const std::function<bool(const char*, size_t)>& on_data,
                const std::function<void(const StreamResponse&)>& on_response = nullptr);
  // Details of the last error response (problems list for 400s).
  const ApiError& last_error() const { return last_error_; }

 private:
  ApiClient(std::string server, std::string token);
  Status FromResponse(int status, const std::string& body, nlohmann::json* out);
  std::string server_;
  std::string token_;
  ApiError last_error_;
};

}  // namespace skyrun
