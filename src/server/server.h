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

#include "catalog/catalog.h"
#include "common/clock.h"
#include "controller/controller.h"
#include "server/budget_routes.h"
#include "store/store.h"

namespace skyrun::uploads {
class UploadStore;
}
namespace skyrun::catalog {
class Directory;
}
namespace skyrun::image {
class ImageManager;
}
namespace skyrun::storage {
class VolumeStore;
}

namespace skyrun {

class HardenedHttpServer;

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8787;
  int threads = 32;                    // request workers
  int stream_threads = 256;            // log-follow workers
  int max_follows_per_tenant = 16;     // 429 beyond
  int head_timeout_seconds = 10;       // a request head must arrive within this
  int partition_timeout_seconds = 20;  // POST /v1/partition budget (503 beyond)
  // Where uploads live (nullptr: PUT /v1/uploads and "upload" are refused)
  // and the server paths a spec may name (server config uploads.server_paths).
  uploads::UploadStore* uploads = nullptr;
  std::vector<std::string> server_paths;
  // The broker's catalog (provider and region names a directory entry may
  // use) and directory (nullptr: the /v1/directory routes are not served).
  const Catalog* catalog = nullptr;
  catalog::Directory* directory = nullptr;
  // Budgets per tenant and queue (server config `budgets:`): GET /v1/budgets
  // and the admission check (server/budget_routes.h).
  BudgetOptions budgets;
  // The local backend's image cache (nullptr: the /v1/images routes are not served).
  image::ImageManager* images = nullptr;
  // Named volumes per tenant (server config `storage:`): /v1/volumes and the
  // submission check of a spec's `volumes:` (nullptr: volumes are refused).
  storage::VolumeStore* volumes = nullptr;
};

class ApiServer {
 public:
  ApiServer(Store* store, Controller* controller, Clock* clock, SpecDecoder decoder,
            ApiServerOptions options);
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
  std::unique_ptr<HardenedHttpServer> http_;
  std::unique_ptr<Routes> routes_;
  int bound_port_ = 0;
};

// Creates the system tenant and, if STATE/admin.token does not exist yet, an
// admin token written there with mode 0600. Returns the file's path.
Result<std::string> EnsureAdminToken(Store& store, const std::string& state_dir);

}  // namespace skyrun
