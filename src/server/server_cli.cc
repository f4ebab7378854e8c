#include "server/server_cli.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "catalog/catalog.h"
#include "catalog/directory.h"
#include "catalog/offers_cli.h"
#include "common/log.h"
#include "common/strings.h"
#include "drivers/local/local_driver.h"
#include "image/image_manager.h"
#include "server/backends.h"
#include "server/config.h"
#include "server/server.h"
#include "server/state_lock.h"
#include "spec/spec_parser.h"
#include "storage/volume_store.h"
#include "store/store.h"
#include "uploads/upload_store.h"

namespace skyrun {

namespace {

std::atomic<bool> g_stop{false};    // set by the signal handler only
std::atomic<bool> g_reload{false};  // SIGHUP: read the config's budgets again

void OnSignal(int) {
  g_stop = true;
}

void OnHangup(int) {
  g_reload = true;
}

// SIGHUP: the config file's `budgets:` section replaces the budgets in force
// (what else the config says is read at start only). A config that no longer
// parses changes nothing and is logged.
void ReloadBudgets(const std::string& config_file, BudgetBook& book, Controller& controller, Clock& clock,
                   Logger& logger) {
  if (config_file.empty()) {
    logger.Warn("SIGHUP: the server was started without --config; no budgets to read again");
    return;
  }
  auto loaded = LoadServerConfig(config_file);
  if (!loaded.ok()) {
    logger.Error("SIGHUP: budgets kept as they were: " + loaded.status().message());
    return;
  }
  book.Replace(loaded->budgets, "SIGHUP (config " + config_file + ")", clock.Now());
  controller.NotifyBudgetsChanged();
}

// Logs each change of the budgets (PUT /v1/budgets, SIGHUP) once: who, when, from what to what.
void LogBudgetChanges(const BudgetBook& book, int64_t* logged, Logger& logger) {
  for (const BudgetChange& c : book.Changes()) {
    if (c.version <= *logged) continue;
    logger.Info("budgets changed (version " + std::to_string(c.version) + ") by " + c.by + ": " +
                c.before.dump() + " -> " + c.after.dump());
    *logged = c.version;
  }
}

// Removes uploads no live job uses any more, about once a second.
class UploadSweeper {
 public:
  UploadSweeper(uploads::UploadStore* uploads, Store* store, Clock* clock)
      : thread_([this, uploads, store, clock] {
          while (!stop_) {
            Status swept = uploads->Sweep([store]() -> Result<uploads::LiveUploads> {
              SKYRUN_ASSIGN_OR_RETURN(auto live, store->ListLiveUploads());
              return uploads::LiveUploads(live.begin(), live.end());
            });
            if (!swept.ok())
              std::cerr << "warning: removing finished jobs' uploads: " << swept.message() << std::endl;
            for (int i = 0; i < 10 && !stop_; ++i) clock->SleepFor(100 * kMicrosPerMilli);
          }
        }) {}
  ~UploadSweeper() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Every connection, slow ones included, costs a descriptor: use all the
// process may have rather than the usual soft limit of 1,024.
void RaiseFileLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int RunServer(const ServerFlags& flags) {
  ServerConfig config;
  if (!flags.config.empty()) {
    auto loaded = LoadServerConfig(flags.config);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.status().message() << "\n";
      return 2;
    }
    config = *loaded;
  }
  if (!flags.listen.empty()) config.listen = flags.listen;
  if (!flags.log_level.empty()) config.log_level = flags.log_level;
  auto level = ParseLogLevel(config.log_level);
  if (!level) {
    std::cerr << "error: log level '" << config.log_level << "' must be debug, info, warn or error\n";
    return 2;
  }
  // The server's log is its stderr.
  Logger logger("skyrun", Logger::Output::kStderr, *level);
  std::string state_dir = !flags.state_dir.empty()    ? flags.state_dir
                          : !config.state_dir.empty() ? config.state_dir
                                                      : DefaultStateDir();
  state_dir = std::filesystem::absolute(state_dir).lexically_normal().string();
  std::string host;
  int port = 0;
  if (Status s = ParseListen(config.listen, &host, &port); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  ::chmod(state_dir.c_str(), 0700);
  // One server per state: two would run the same jobs twice.
  auto state_lock = StateLock::Acquire(state_dir);
  if (!state_lock.ok()) {
    std::cerr << "error: " << state_lock.status().message() << "\n";
    return 1;
  }
  RaiseFileLimit();

  SystemClock clock;
  SpecDecoder decoder = MakeSpecDecoder();
  auto store = Store::Open(state_dir, &clock);
  if (!store.ok()) {
    std::cerr << "error: opening the state in " << state_dir << ": " << store.status().message() << "\n";
    return 1;
  }
  auto token_file = EnsureAdminToken(**store, state_dir);
  if (!token_file.ok()) {
    std::cerr << "error: " << token_file.status().message() << "\n";
    return 1;
  }
  auto images = image::ImageManager::Open(state_dir + "/images", config.images);
  if (!images.ok()) {
    std::cerr << "error: opening the image cache: " << images.status().message() << "\n";
    return 1;
  }
  auto drivers = BuildDrivers(config, state_dir, &clock, images->get());
  if (!drivers.ok()) {
    std::cerr << "error: " << drivers.status().message() << "\n";
    return 2;
  }
  for (auto& d : *drivers) {
    // A tree a task still runs on outlives `skyrun image rm`.
    if (auto* local = dynamic_cast<LocalDriver*>(d.get())) {
      (*images)->SetInUseCheck([local](const std::string& rootfs) { return local->RootfsInUse(rootfs); });
    }
  }
  std::vector<Driver*> driver_ptrs;
  for (auto& d : *drivers) driver_ptrs.push_back(d.get());
  // The broker's catalog and directory (the directory's last reports come
  // back from the store).
  std::vector<std::string> catalog_dirs;
  if (config.catalog.builtin) catalog_dirs.push_back(catalog::BuiltinCatalogDir());
  for (const std::string& dir : config.catalog.dirs) catalog_dirs.push_back(dir);
  auto broker_catalog = Catalog::LoadDirs(catalog_dirs);
  if (!broker_catalog.ok()) {
    std::cerr << "error: loading the catalog: " << broker_catalog.status().message() << "\n";
    return 2;
  }
  for (Driver* d : driver_ptrs) {
    auto rate = config.catalog.cluster_egress_usd_per_gb.find(d->Name());
    broker_catalog->SetClusterOffers(
        d->Name(), {}, rate == config.catalog.cluster_egress_usd_per_gb.end() ? 0.0 : rate->second);
  }
  catalog::Directory directory;
  auto directory_rows = (*store)->ListDirectoryRows();
  if (!directory_rows.ok()) {
    std::cerr << "error: reading the directory: " << directory_rows.status().message() << "\n";
    return 1;
  }
  for (const DirectoryRow& row : *directory_rows) {
    auto entry = catalog::DirectoryEntryFromJson(nlohmann::json::parse(row.entry_json, nullptr, false));
    Status put = entry.ok() ? directory.Put(*entry) : entry.status();
    if (!put.ok()) {
      std::cerr << "warning: directory entry " << row.provider << "/" << row.region
                << " skipped: " << put.message() << "\n";
    }
  }
  ControllerOptions copts;
  copts.state_dir = state_dir;
  copts.catalog = &*broker_catalog;
  copts.directory = &directory;
  copts.kill_grace_seconds = config.local.kill_grace_seconds;
  copts.logger = &logger;
  copts.scheduler_profile = config.scheduler.profile;
  copts.default_time_limit_seconds = config.scheduler.default_time_limit_seconds;
  copts.retry_until_up = config.scheduler.retry_until_up;
  copts.block_hold.capacity = config.scheduler.block_capacity_seconds * kMicrosPerSecond;
  copts.block_hold.quota = config.scheduler.block_quota_seconds * kMicrosPerSecond;
  for (const auto& [name, q] : config.queues)
    if (q.default_time_limit_seconds) copts.queue_time_limits[name] = *q.default_time_limit_seconds;
  // The budgets in force: replaced live by PUT /v1/budgets or SIGHUP.
  BudgetBook budget_book(config.budgets);
  copts.budgets = &budget_book;
  Controller controller(store->get(), driver_ptrs, &clock, decoder, copts);
  if (Status s = controller.Start(); !s.ok()) {
    std::cerr << "error: starting the controller: " << s.message() << "\n";
    return 1;
  }
  uploads::UploadLimits limits;
  limits.max_bytes = config.uploads.max_bytes;
  limits.tenant_quota_bytes = config.uploads.tenant_quota_bytes;
  limits.unclaimed_grace_s = config.uploads.unclaimed_grace_seconds;
  uploads::UploadStore upload_store(state_dir, limits, &clock);
  storage::VolumeStore volume_store(
      config.storage.volumes_dir.empty() ? state_dir + "/volumes" : config.storage.volumes_dir,
      {config.storage.per_tenant_bytes, config.storage.per_volume_bytes}, &clock);
  ApiServerOptions aopts;
  aopts.volumes = &volume_store;
  aopts.catalog = &*broker_catalog;
  aopts.directory = &directory;
  aopts.host = host;
  aopts.port = port;
  aopts.uploads = &upload_store;
  aopts.images = images->get();
  aopts.server_paths = config.uploads.server_paths;
  aopts.threads = config.api.request_threads;
  aopts.stream_threads = config.api.stream_threads;
  aopts.max_follows_per_tenant = config.api.max_follows_per_tenant;
  aopts.head_timeout_seconds = config.api.head_timeout_seconds;
  aopts.partition_timeout_seconds = config.api.partition_timeout_seconds;
  aopts.budgets.book = &budget_book;
  aopts.budgets.queue_time_limits = copts.queue_time_limits;
  aopts.budgets.default_time_limit_seconds = copts.default_time_limit_seconds;
  ApiServer api(store->get(), &controller, &clock, decoder, aopts);
  if (Status s = api.Start(); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    controller.Stop();
    return 1;
  }
  if (Status s = state_lock->WriteOwner("http://" + host + ":" + std::to_string(api.port())); !s.ok()) {
    std::cerr << "warning: " << s.message() << "\n";
  }
  UploadSweeper sweeper(&upload_store, store->get(), &clock);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction hup {};
  hup.sa_handler = OnHangup;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> names;
  for (Driver* d : driver_ptrs) names.push_back(d->Name());
  std::cout << "skyrun server listening on http://" << host << ":" << api.port() << "\n"
            << "  state:    " << state_dir << "\n"
            << "  token:    " << *token_file << "\n"
            << "  backends: " << Join(names, ", ") << std::endl;
  int64_t budgets_logged = budget_book.Version();
  while (!g_stop) {
    clock.SleepFor(100 * kMicrosPerMilli);
    if (g_reload.exchange(false)) ReloadBudgets(flags.config, budget_book, controller, clock, logger);
    LogBudgetChanges(budget_book, &budgets_logged, logger);
  }
  std::cout << "skyrun server stopping (running tasks keep running and are re-adopted at the next start)"
            << std::endl;
  api.Stop();
  controller.Stop();
  // A worker still inside a hung driver call uses its driver until the call's
  // own timeout: keep the drivers alive to the end of the process.
  if (controller.WorkersLeftBehind()) {
    [[maybe_unused]] auto* kept = new std::vector<std::unique_ptr<Driver>>(std::move(*drivers));
  }
  return 0;
}

SpecDecoder MakeSpecDecoder() {
  return [](const std::string& yaml, const std::string& file) { return DecodeStoredJobSpec(yaml, file); };
}

}  // namespace skyrun
