// The server's configuration file (YAML, `skyrun server --config FILE`): where
// it listens, where state lives, and which backends it brokers, with their
// prices. Everything has an embedded default, so `skyrun server` with no file
// runs on this machine alone. Unknown keys are refused with their place.
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "budget/budget_config.h"
#include "common/status.h"
#include "drivers/kubernetes/kubernetes_config.h"
#include "drivers/simcloud/simcloud_config.h"
#include "drivers/slurm/slurm_config.h"
#include "image/image_manager.h"
#include "scheduler/profile.h"
#include "storage/s3_client.h"

namespace skyrun {

struct GpuDecl {
  std::string model;
  int count = 0;
  int64_t memory_mb = 0;
};

struct LocalNodeDecl {
  std::string name;
  int64_t cpus_milli = 0;     // 0 = this machine's
  int64_t memory_mib = 0;     // 0 = this machine's
  std::vector<GpuDecl> gpus;  // declared GPUs (machines and tests without real ones)
  std::map<std::string, std::string> attributes;
  std::string address = "127.0.0.1";
};

// local.sandbox: how tasks are confined (drivers/local/local_driver.h,
// LocalSandboxConfig; docs/backends-local.md).
struct SandboxSettings {
  bool enabled = true;
  std::string bwrap = "/usr/bin/bwrap";
  std::map<std::string, int64_t> tenant_uids;
  bool has_task_uid_range = false;
  int64_t task_uid_first = 0;
  int64_t task_uid_last = 0;
  int64_t default_uid = 65534;
};

struct LocalSettings {
  bool enabled = true;
  std::string runtime;  // container runtime for `image` ("" = none: such jobs are refused)
  double price_per_gpu_hour = 0;
  double price_per_cpu_hour = 0;
  int64_t kill_grace_seconds = 10;
  std::vector<LocalNodeDecl> nodes;  // empty = one node, this machine
  SandboxSettings sandbox;
};

// Files a job brings (docs/spec.md "Files"): the client uploads what the spec
// names on its side; the server reads nothing else of the caller's choosing
// except under server_paths.
struct UploadSettings {
  int64_t max_bytes = 64LL << 20;          // one upload archive (413 above)
  int64_t tenant_quota_bytes = 1LL << 30;  // all of a tenant's stored uploads (429 above)
  int64_t unclaimed_grace_seconds = 3600;  // an upload no job used is removed after this
  // Absolute server directories a spec may name (workdir, file_mounts
  // sources, partition.profile); none by default. No link is followed below them.
  std::vector<std::string> server_paths;
};

// Named volumes per tenant (`storage:` in the file; storage/volume_store.h,
// docs/storage.md): where they lie and how much each tenant may hold.
struct StorageSettings {
  std::string volumes_dir;       // "" = <state_dir>/volumes
  int64_t per_tenant_bytes = 0;  // all of a tenant's volumes; 0 = no limit
  int64_t per_volume_bytes = 0;  // one volume (and the size of one created without --size); 0 = no limit
  // Object-storage endpoints for inputs/outputs with a path: [{name, url,
  // region, access_key, secret_key_file, buckets}]; the secret is read from
  // its file at load time and never printed.
  std::vector<storage::S3Endpoint> s3;
  std::string input_cache_dir;  // "" = <state_dir>/cache/inputs
};

// The API's limits against slow and hostile clients (`api:` in the file).
struct ApiSettings {
  int request_threads = 32;            // workers for ordinary requests
  int stream_threads = 256;            // workers for log follows (the most served at once)
  int max_follows_per_tenant = 16;     // concurrent `logs?follow=true` per tenant (429 beyond)
  int head_timeout_seconds = 10;       // a request head must arrive within this
  int partition_timeout_seconds = 20;  // POST /v1/partition time budget (503 beyond)
};

// scheduler: the scheduler's profile (docs/architecture.md); keys left out
// keep the default profile's. default_time_limit: a job's time limit when
// neither its spec nor its queue sets one (none by default).
struct SchedulerSettings {
  ProfileSpec profile = DefaultProfileSpec();
  std::optional<int64_t> default_time_limit_seconds;
  // When nothing can take a brokered job now: keep asking with backoff
  // (true, SkyPilot's --retry-until-up), or fail the job (false).
  bool retry_until_up = true;
  // How long a capacity pool's refusal blocks its zone, region or provider
  // for every job (block_capacity: 10m, block_quota: 1h; "0": the planning
  // round only). Seconds.
  int64_t block_capacity_seconds = 10 * 60;
  int64_t block_quota_seconds = 60 * 60;
};

// queues: {NAME: {...}}: settings per queue (a job's `queue`, "default"
// unless its spec says). default_time_limit: its jobs' time limit when the
// spec sets none. Queues and fair share (issue 12) add more here.
struct QueueSettings {
  std::optional<int64_t> default_time_limit_seconds;
};

// catalog: the broker's catalog (docs/catalog.md). `dirs` are read after the
// built-in catalog (a later directory replaces what an earlier one says of a
// provider or region); `builtin: false` leaves the built-in one out.
// `cluster_egress_usd_per_gb`: what data leaving a registered cluster costs
// per GB (by backend name: local, slurm/NAME, kubernetes/NAME; default 0).
struct CatalogSettings {
  bool builtin = true;
  std::vector<std::string> dirs;
  std::map<std::string, double> cluster_egress_usd_per_gb;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8787";
  std::string state_dir;           // "" = $HOME/.skyrun
  std::string log_level = "info";  // the server log's (stderr) threshold: debug, info, warn, error
  LocalSettings local;
  UploadSettings uploads;
  // images: container images the local backend pulls and runs itself
  // (image/image_manager.h ImageSettings; docs/backends-local.md "Images").
  image::ImageSettings images;
  StorageSettings storage;
  // Slurm clusters; each entry is read by the Slurm driver's own parser
  // (drivers/slurm/slurm_config.h), so every key it documents can be set.
  std::vector<SlurmClusterConfig> slurm;
  // Kubernetes clusters with Volcano; each entry is read by the driver's own
  // parser (drivers/kubernetes/kubernetes_config.h), so the keys are the same.
  std::vector<KubernetesClusterConfig> kubernetes;
  // Simulated clouds (docs/simcloud.md); each entry is read by
  // drivers/simcloud/simcloud_config.h. Their tasks run like local ones, under
  // the `local` settings' sandbox and runtime (even with local.enabled false).
  std::vector<SimCloudConfig> simcloud;
  ApiSettings api;
  SchedulerSettings scheduler;
  CatalogSettings catalog;
  std::map<std::string, QueueSettings> queues;
  // budgets: money as a quota per tenant and per queue (budget/budget_config.h, docs/budgets.md).
  BudgetSettings budgets;
};

Result<ServerConfig> LoadServerConfig(const std::string& path);
Result<ServerConfig> ParseServerConfig(const std::string& yaml_text, const std::string& file_name);

// "127.0.0.1:8787" -> host, port.
Status ParseListen(const std::string& listen, std::string* host, int* port);

// $SKYRUN_STATE_DIR, else $HOME/.skyrun.
std::string DefaultStateDir();

}  // namespace skyrun
