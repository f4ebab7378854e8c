// The HTTP API server: REST/JSON over cpp-httplib, every request
// authenticated by bearer token, jobs scoped to the token's tenant (another
// tenant's job is answered 404, as if it did not exist), Prometheus text
// metrics at /metrics. It stores submissions durably before answering and
// leaves everything else to the Controller.
// Thread-safety: handlers run on the HTTP thread pool; Store and Controller
// are thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "controller/controller.h"
#include "store/store.h"

namespace httplib {
class Server;
}

namespace skyrun::uploads {
class UploadStore;
}

namespace skyrun {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8787;
  int threads = 32;
  // Where uploads live (nullptr: PUT /v1/uploads and "upload" are refused)
  // and the server paths a spec may name (server config uploads.server_paths).
  uploads::UploadStore* uploads = nullptr;
  std::vector<std::string> server_paths;
};

class ApiServer {
 public:
  ApiServer(Store* store, Controller* controller, Clock* clock, SpecDecoder decoder, ApiServerOptions options);
  ~ApiServer();

  // Binds and serves on a background thread; returns once listening.
  Status Start();
  void Stop();
  int port() const { return bound_port_; }

 private:
  class Routes;
  Store* store_;
  Controller* controller_;
  Clock* clock_;
  SpecDecoder decoder_;
  ApiServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<Routes> routes_;
  std::thread thread_;
  int bound_port_ = 0;
};

// Creates the system tenant and, if STATE/admin.token does not exist yet, an
// admin token written there with mode 0600. Returns the file's path.
Result<std::string> EnsureAdminToken(Store& store, const std::string& state_dir);

}  // namespace skyrun
