#include "cli/client.h"

#include <httplib.h>

#include <cstdlib>
#include <fstream>

#include "cli/server_url.h"
#include "common/strings.h"
#include "server/config.h"

namespace skyrun {

namespace {

std::string FromEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string TransportError(const std::string& server, httplib::Error e) {
  std::string what = httplib::to_string(e);
  return "cannot reach the skyrun server at " + server + " (" + what +
         "); is it running? Start one with `skyrun server`, or point SKYRUN_SERVER / --server at it";
}

}  // namespace

ApiClient::ApiClient(std::string server, std::string token)
    : server_(std::move(server)), token_(std::move(token)) {}
ApiClient::~ApiClient() = default;

Result<std::unique_ptr<ApiClient>> ApiClient::Create(const ClientOptions& options) {
  std::string server = options.server;
  std::string source = "--server";
  if (server.empty()) {
    server = FromEnv("SKYRUN_SERVER");
    source = "SKYRUN_SERVER";
  }
  if (server.empty()) server = "http://127.0.0.1:8787";
  SKYRUN_ASSIGN_OR_RETURN(server, NormalizeServerUrl(server, source));
  std::string token = options.token;
  if (token.empty()) token = FromEnv("SKYRUN_TOKEN");
  if (token.empty()) {
    std::string dir = options.state_dir.empty() ? DefaultStateDir() : options.state_dir;
    std::ifstream in(dir + "/admin.token");
    if (in) std::getline(in, token);
    token = Trim(token);
  }
  if (token.empty()) {
    return Unauthenticated("no token: pass --token, set SKYRUN_TOKEN, or run on the server's machine where " +
                           (options.state_dir.empty() ? DefaultStateDir() : options.state_dir) +
                           "/admin.token is readable");
  }
  return std::unique_ptr<ApiClient>(new ApiClient(server, token));
}

Status ApiClient::FromResponse(int status, const std::string& body, nlohmann::json* out) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (status >= 200 && status < 300) {
    if (out) *out = j.is_discarded() ? nlohmann::json() : j;
    return Status::Ok();
  }
  last_error_ = {status, j.is_discarded() ? nlohmann::json() : j};
  std::string message = "HTTP " + std::to_string(status);
  if (!j.is_discarded() && j.contains("error") && j["error"].contains("message")) {
    message = j["error"]["message"].get<std::string>();
  }
  switch (status) {
    case 400: return InvalidArgument(message);
    case 401: return Unauthenticated(message);
    case 403: return PermissionDenied(message);
    case 404: return NotFound(message);
    case 409: return FailedPrecondition(message);
    case 413:
    case 429: return ResourceExhausted(message);
    case 503: return Unavailable(message);
    default: return Internal(message);
  }
}

Result<nlohmann::json> ApiClient::Get(const std::string& path) {
  httplib::Client cli(server_);
  cli.set_connection_timeout(5, 0);
  cli.set_tcp_nodelay(true);
  cli.set_read_timeout(60, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token_}};
  auto res = cli.Get(path.c_str(), h);
  if (!res) return Unavailable(TransportError(server_, res.error()));
  nlohmann::json out;
  SKYRUN_RETURN_IF_ERROR(FromResponse(res->status, res->body, &out));
  return out;
}

Result<nlohmann::json> ApiClient::Post(const std::string& path, const nlohmann::json& body) {
  httplib::Client cli(server_);
  cli.set_connection_timeout(5, 0);
  cli.set_tcp_nodelay(true);
  cli.set_read_timeout(60, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token_}};
  auto res = cli.Post(path.c_str(), h, body.dump(), "application/json");
  if (!res) return Unavailable(TransportError(server_, res.error()));
  nlohmann::json out;
  SKYRUN_RETURN_IF_ERROR(FromResponse(res->status, res->body, &out));
  return out;
}

Result<nlohmann::json> ApiClient::Delete(const std::string& path) {
  httplib::Client cli(server_);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(60, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token_}};
  auto res = cli.Delete(path.c_str(), h);
  if (!res) return Unavailable(TransportError(server_, res.error()));
  nlohmann::json out;
  SKYRUN_RETURN_IF_ERROR(FromResponse(res->status, res->body, &out));
  return out;
}

Result<nlohmann::json> ApiClient::Put(const std::string& path, const std::string& bytes,
                                      const std::string& content_type) {
  httplib::Client cli(server_);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(300, 0);
  cli.set_write_timeout(300, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token_}};
  auto res = cli.Put(path.c_str(), h, bytes, content_type.c_str());
  if (!res) return Unavailable(TransportError(server_, res.error()));
  nlohmann::json out;
  SKYRUN_RETURN_IF_ERROR(FromResponse(res->status, res->body, &out));
  return out;
}

Result<bool> ApiClient::Exists(const std::string& path) {
  httplib::Client cli(server_);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(60, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token_}};
  auto res = cli.Head(path.c_str(), h);
  if (!res) return Unavailable(TransportError(server_, res.error()));
  if (res->status == 404) return false;
  if (res->status >= 200 && res->status < 300) return true;
  SKYRUN_RETURN_IF_ERROR(FromResponse(res->status, res->body, nullptr));
  return false;
}

Status ApiClient::Stream(const std::string& path, const std::function<bool(const char*, size_t)>& on_data,
                         const std::function<void(const StreamResponse&)>& on_response) {
  httplib::Client cli(server_);
  cli.set_connection_timeout(5, 0);
  cli.set_tcp_nodelay(true);
  cli.set_read_timeout(24 * 3600, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + token_}};
  std::string error_body;
  int status = 0;
  auto res = cli.Get(
      path.c_str(), h,
      [&](const httplib::Response& r) {
        status = r.status;
        if (on_response) {
          StreamResponse seen{r.status, {}};
          for (const auto& [name, value] : r.headers) seen.headers.emplace(ToLower(name), value);
          on_response(seen);
        }
        return true;
      },
      [&](const char* data, size_t len) {
        if (status >= 300) {
          error_body.append(data, len);
          return true;
        }
        return on_data(data, len);
      });
  if (!res) {
    if (res.error() == httplib::Error::Canceled) return Status::Ok();
    return Unavailable(TransportError(server_, res.error()));
  }
  if (res->status >= 300) return FromResponse(res->status, error_body, nullptr);
  return Status::Ok();
}

}  // namespace skyrun
