#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/strings.h"
#include "common/yaml_where.h"
#include "expr/check.h"

namespace skyrun {

namespace {

Status CheckKeys(const std::string& file, const YAML::Node& map, const std::string& path,
                 const std::vector<std::string>& known) {
  if (!map.IsMap()) return InvalidArgument(YamlWhere(file, map, path) + ": expected a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.as<std::string>();
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (!ok) {
      std::string msg =
          YamlWhere(file, it->first, path.empty() ? key : path + "." + key) + ": unknown setting";
      if (auto near = NearestName(key, known)) msg += "; did you mean '" + *near + "'?";
      return InvalidArgument(msg);
    }
  }
  return Status::Ok();
}

template <typename T>
Status Get(const std::string& file, const YAML::Node& map, const char* key, const std::string& path, T* out) {
  YAML::Node n = map[key];
  if (!n) return Status::Ok();
  try {
    *out = n.as<T>();
  } catch (const YAML::Exception&) {
    return InvalidArgument(YamlWhere(file, n, path + key) + ": wrong type");
  }
  return Status::Ok();
}

Status ParseSandbox(const std::string& file, const YAML::Node& n, SandboxSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(file, n, "local.sandbox",
                                   {"enabled", "bwrap", "task_uid_range", "tenant_uids", "default_uid"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "enabled", "local.sandbox.", &out->enabled));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "bwrap", "local.sandbox.", &out->bwrap));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "default_uid", "local.sandbox.", &out->default_uid));
  if (YAML::Node r = n["task_uid_range"]) {
    std::vector<int64_t> range;
    Status got = Get(file, n, "task_uid_range", "local.sandbox.", &range);
    if (!got.ok() || range.size() != 2) {
      return InvalidArgument(YamlWhere(file, r, "local.sandbox.task_uid_range") +
                             ": expected [first, last], e.g. [200000, 265535]");
    }
    out->has_task_uid_range = true;
    out->task_uid_first = range[0];
    out->task_uid_last = range[1];
  }
  if (YAML::Node t = n["tenant_uids"]) {
    if (!t.IsMap()) {
      return InvalidArgument(YamlWhere(file, t, "local.sandbox.tenant_uids") +
                             ": expected a mapping tenant: uid");
    }
    SKYRUN_RETURN_IF_ERROR(Get(file, n, "tenant_uids", "local.sandbox.", &out->tenant_uids));
  }
  return Status::Ok();
}

Status ParseCatalog(const std::string& file, const YAML::Node& n, CatalogSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(file, n, "catalog", {"builtin", "dirs", "cluster_egress_usd_per_gb"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "builtin", "catalog.", &out->builtin));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "dirs", "catalog.", &out->dirs));
  SKYRUN_RETURN_IF_ERROR(
      Get(file, n, "cluster_egress_usd_per_gb", "catalog.", &out->cluster_egress_usd_per_gb));
  for (const std::string& dir : out->dirs) {
    if (dir.empty() || dir[0] != '/') {
      return InvalidArgument(YamlWhere(file, n["dirs"], "catalog.dirs") + ": '" + dir +
                             "' is not an absolute directory path");
    }
  }
  for (const auto& [backend, rate] : out->cluster_egress_usd_per_gb) {
    if (!(rate >= 0 && rate <= 100)) {
      return InvalidArgument(
          YamlWhere(file, n["cluster_egress_usd_per_gb"], "catalog.cluster_egress_usd_per_gb") +
          ": the rate of '" + backend + "' must be 0 .. 100 USD per GB");
    }
  }
  if (!out->builtin && out->dirs.empty()) {
    return InvalidArgument(YamlWhere(file, n, "catalog") +
                           ": with builtin: false, list at least one of catalog.dirs");
  }
  return Status::Ok();
}

Status ParseUploads(const std::string& file, const YAML::Node& n, UploadSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(
      file, n, "uploads", {"max_bytes", "tenant_quota_bytes", "unclaimed_grace_seconds", "server_paths"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "max_bytes", "uploads.", &out->max_bytes));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "tenant_quota_bytes", "uploads.", &out->tenant_quota_bytes));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "unclaimed_grace_seconds", "uploads.", &out->unclaimed_grace_seconds));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "server_paths", "uploads.", &out->server_paths));
  if (out->max_bytes < 1 || out->max_bytes > (int64_t{1} << 34)) {
    return InvalidArgument(YamlWhere(file, n["max_bytes"], "uploads.max_bytes") + ": must be 1 .. 16 GiB");
  }
  if (out->tenant_quota_bytes < 0) {
    return InvalidArgument(YamlWhere(file, n["tenant_quota_bytes"], "uploads.tenant_quota_bytes") +
                           ": must be >= 0");
  }
  if (out->unclaimed_grace_seconds < 0) {
    return InvalidArgument(YamlWhere(file, n["unclaimed_grace_seconds"], "uploads.unclaimed_grace_seconds") +
                           ": must be >= 0");
  }
  for (auto& p : out->server_paths) {
    bool dotdot = ("/" + p + "/").find("/../") != std::string::npos;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (p.empty() || p.front() != '/' || p == "/" || dotdot) {
      return InvalidArgument(YamlWhere(file, n["server_paths"], "uploads.server_paths") + ": '" + p +
                             "' must be an absolute directory other than / and without '..'");
    }
  }
  return Status::Ok();
}

Status ParseImages(const std::string& file, const YAML::Node& n, image::ImageSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(file, n, "images", {"max_cache_bytes", "per_tenant_bytes", "registries"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "max_cache_bytes", "images.", &out->max_cache_bytes));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "per_tenant_bytes", "images.", &out->per_tenant_bytes));
  if (out->max_cache_bytes < 0) {
    return InvalidArgument(YamlWhere(file, n["max_cache_bytes"], "images.max_cache_bytes") +
                           ": must be >= 0 (0 = no limit)");
  }
  if (out->per_tenant_bytes < 0) {
    return InvalidArgument(YamlWhere(file, n["per_tenant_bytes"], "images.per_tenant_bytes") +
                           ": must be >= 0 (0 = no limit)");
  }
  YAML::Node regs = n["registries"];
  if (!regs) return Status::Ok();
  if (!regs.IsMap()) {
    return InvalidArgument(YamlWhere(file, regs, "images.registries") +
                           ": expected a map of registry host[:port] to {insecure, username, password_file}");
  }
  for (const auto& kv : regs) {
    const std::string host = kv.first.as<std::string>();
    const std::string path = "images.registries." + host;
    if (host.empty() || host.find_first_of("/ @") != std::string::npos) {
      return InvalidArgument(YamlWhere(file, kv.first, path) + ": expected a registry host[:port]");
    }
    image::RegistrySettings r;
    if (!kv.second.IsMap()) {
      return InvalidArgument(YamlWhere(file, kv.second, path) +
                             ": expected {insecure, username, password_file}");
    }
    SKYRUN_RETURN_IF_ERROR(CheckKeys(file, kv.second, path, {"insecure", "username", "password_file"}));
    SKYRUN_RETURN_IF_ERROR(Get(file, kv.second, "insecure", path + ".", &r.insecure));
    SKYRUN_RETURN_IF_ERROR(Get(file, kv.second, "username", path + ".", &r.username));
    SKYRUN_RETURN_IF_ERROR(Get(file, kv.second, "password_file", path + ".", &r.password_file));
    if (r.username.empty() != r.password_file.empty()) {
      return InvalidArgument(YamlWhere(file, kv.second, path) +
                             ": give both username and password_file, or neither");
    }
    if (!r.password_file.empty() && r.password_file[0] != '/') {
      return InvalidArgument(YamlWhere(file, kv.second["password_file"], path + ".password_file") +
                             ": must be an absolute path (the password itself never goes in this file)");
    }
    out->registries[host] = r;
  }
  return Status::Ok();
}

Status ParseStorage(const std::string& file, const YAML::Node& n, StorageSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(
      file, n, "storage", {"volumes_dir", "per_tenant_bytes", "per_volume_bytes", "s3", "input_cache_dir"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "input_cache_dir", "storage.", &out->input_cache_dir));
  if (n["s3"]) {
    if (!n["s3"].IsSequence()) {
      return InvalidArgument(YamlWhere(file, n["s3"], "storage.s3") +
                             ": expected a list of endpoints such as [{name: lab, url: http://10.0.0.5:9000, "
                             "access_key: AK, secret_key_file: /etc/skyrun/s3.secret}]");
    }
    for (size_t i = 0; i < n["s3"].size(); ++i) {
      const YAML::Node e = n["s3"][i];
      const std::string path = "storage.s3[" + std::to_string(i) + "]";
      SKYRUN_RETURN_IF_ERROR(CheckKeys(
          file, e, path, {"name", "url", "region", "provider", "access_key", "secret_key_file", "buckets"}));
      storage::S3Endpoint ep;
      std::string secret_file;
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "name", path + ".", &ep.name));
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "url", path + ".", &ep.url));
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "region", path + ".", &ep.region));
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "provider", path + ".", &ep.provider));
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "access_key", path + ".", &ep.credentials.access_key));
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "secret_key_file", path + ".", &secret_file));
      SKYRUN_RETURN_IF_ERROR(Get(file, e, "buckets", path + ".", &ep.buckets));
      if (ep.url.rfind("http://", 0) != 0) {
        return InvalidArgument(
            YamlWhere(file, e["url"], path + ".url") +
            ": must be an http:// URL such as http://127.0.0.1:9000 (https is not built yet)");
      }
      if (ep.credentials.access_key.empty() || secret_file.empty()) {
        return InvalidArgument(YamlWhere(file, e, path) + ": access_key and secret_key_file are required");
      }
      std::ifstream in(secret_file);
      std::stringstream secret;
      secret << in.rdbuf();
      ep.credentials.secret_key = Trim(secret.str());
      if (!in || ep.credentials.secret_key.empty()) {
        return InvalidArgument(YamlWhere(file, e["secret_key_file"], path + ".secret_key_file") +
                               ": cannot read a secret key from " + secret_file);
      }
      out->s3.push_back(std::move(ep));
    }
  }
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "volumes_dir", "storage.", &out->volumes_dir));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "per_tenant_bytes", "storage.", &out->per_tenant_bytes));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "per_volume_bytes", "storage.", &out->per_volume_bytes));
  if (!out->volumes_dir.empty() && (out->volumes_dir.front() != '/' || out->volumes_dir == "/" ||
                                    ("/" + out->volumes_dir + "/").find("/../") != std::string::npos)) {
    return InvalidArgument(YamlWhere(file, n["volumes_dir"], "storage.volumes_dir") +
                           ": must be an absolute directory other than / and without '..'");
  }
  for (const char* key : {"per_tenant_bytes", "per_volume_bytes"}) {
    int64_t v = std::string(key) == "per_tenant_bytes" ? out->per_tenant_bytes : out->per_volume_bytes;
    if (v < 0) {
      return InvalidArgument(YamlWhere(file, n[key], std::string("storage.") + key) +
                             ": must be >= 0 (0: no limit)");
    }
  }
  return Status::Ok();
}

Status ParseLocal(const std::string& file, const YAML::Node& n, LocalSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(file, n, "local",
                                   {"enabled", "runtime", "price_per_gpu_hour", "price_per_cpu_hour",
                                    "kill_grace_seconds", "nodes", "sandbox"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "enabled", "local.", &out->enabled));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "runtime", "local.", &out->runtime));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "price_per_gpu_hour", "local.", &out->price_per_gpu_hour));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "price_per_cpu_hour", "local.", &out->price_per_cpu_hour));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "kill_grace_seconds", "local.", &out->kill_grace_seconds));
  if (out->price_per_gpu_hour < 0 || out->price_per_cpu_hour < 0) {
    return InvalidArgument(file + ": local prices must not be negative");
  }
  if (n["sandbox"]) SKYRUN_RETURN_IF_ERROR(ParseSandbox(file, n["sandbox"], &out->sandbox));
  YAML::Node nodes = n["nodes"];
  if (!nodes) return Status::Ok();
  if (!nodes.IsSequence())
    return InvalidArgument(YamlWhere(file, nodes, "local.nodes") + ": expected a list");
  for (size_t i = 0; i < nodes.size(); ++i) {
    YAML::Node nd = nodes[i];
    std::string path = "local.nodes[" + std::to_string(i) + "]";
    SKYRUN_RETURN_IF_ERROR(
        CheckKeys(file, nd, path, {"name", "cpus", "memory", "gpus", "attributes", "address"}));
    LocalNodeDecl decl;
    SKYRUN_RETURN_IF_ERROR(Get(file, nd, "name", path + ".", &decl.name));
    if (decl.name.empty()) decl.name = "local-" + std::to_string(i);
    SKYRUN_RETURN_IF_ERROR(Get(file, nd, "address", path + ".", &decl.address));
    if (nd["cpus"]) {
      auto c = ParseMilli(nd["cpus"].as<std::string>());
      if (!c.ok() || *c <= 0)
        return InvalidArgument(YamlWhere(file, nd["cpus"], path + ".cpus") +
                               ": expected a positive CPU count");
      decl.cpus_milli = *c;
    }
    if (nd["memory"]) {
      auto m = ParseMemoryMiB(nd["memory"].as<std::string>());
      if (!m.ok() || *m <= 0)
        return InvalidArgument(YamlWhere(file, nd["memory"], path + ".memory") +
                               ": expected a memory size such as 64GiB");
      decl.memory_mib = *m;
    }
    if (YAML::Node g = nd["gpus"]) {
      std::vector<YAML::Node> items;
      if (g.IsMap())
        items.push_back(g);
      else if (g.IsSequence())
        for (const auto& x : g) items.push_back(x);
      else
        return InvalidArgument(YamlWhere(file, g, path + ".gpus") +
                               ": expected {model, count, memory_mb} or a list of them");
      for (const auto& item : items) {
        SKYRUN_RETURN_IF_ERROR(CheckKeys(file, item, path + ".gpus", {"model", "count", "memory_mb"}));
        GpuDecl gd;
        SKYRUN_RETURN_IF_ERROR(Get(file, item, "model", path + ".gpus.", &gd.model));
        SKYRUN_RETURN_IF_ERROR(Get(file, item, "count", path + ".gpus.", &gd.count));
        SKYRUN_RETURN_IF_ERROR(Get(file, item, "memory_mb", path + ".gpus.", &gd.memory_mb));
        if (gd.model.empty() || gd.count <= 0 || gd.count > 64) {
          return InvalidArgument(YamlWhere(file, item, path + ".gpus") +
                                 ": needs a model and a count of 1..64");
        }
        decl.gpus.push_back(gd);
      }
    }
    if (YAML::Node a = nd["attributes"]) {
      if (!a.IsMap())
        return InvalidArgument(YamlWhere(file, a, path + ".attributes") + ": expected a mapping");
      for (auto it = a.begin(); it != a.end(); ++it) {
        std::string key = it->first.as<std::string>();
        std::string value = it->second.as<std::string>();
        if (EqualsIgnoreCase(key, "Policy")) {
          // A node's policy is an expression over the jobs that would run on it.
          Status policy = expr::CheckPolicy(value);
          if (!policy.ok())
            return InvalidArgument(YamlWhere(file, it->second, path + ".attributes." + key) + ": " +
                                   policy.message());
        }
        decl.attributes[key] = value;
      }
    }
    out->nodes.push_back(decl);
  }
  return Status::Ok();
}

Status ParseApi(const std::string& file, const YAML::Node& n, ApiSettings* out) {
  SKYRUN_RETURN_IF_ERROR(CheckKeys(file, n, "api",
                                   {"request_threads", "stream_threads", "max_follows_per_tenant",
                                    "head_timeout_seconds", "partition_timeout_seconds"}));
  struct Field {
    const char* key;
    int* value;
    int max;
  };
  for (const Field& f : {Field{"request_threads", &out->request_threads, 1024},
                         Field{"stream_threads", &out->stream_threads, 4096},
                         Field{"max_follows_per_tenant", &out->max_follows_per_tenant, 4096},
                         Field{"head_timeout_seconds", &out->head_timeout_seconds, 600},
                         Field{"partition_timeout_seconds", &out->partition_timeout_seconds, 3600}}) {
    SKYRUN_RETURN_IF_ERROR(Get(file, n, f.key, "api.", f.value));
    if (*f.value < 1 || *f.value > f.max) {
      return InvalidArgument(YamlWhere(file, n[f.key], std::string("api.") + f.key) + ": must be 1.." +
                             std::to_string(f.max));
    }
  }
  return Status::Ok();
}

Status ParseSlurm(const std::string& file, const YAML::Node& n, std::vector<SlurmClusterConfig>* out) {
  if (!n.IsSequence()) return InvalidArgument(YamlWhere(file, n, "slurm") + ": expected a list of clusters");
  for (size_t i = 0; i < n.size(); ++i) {
    SKYRUN_ASSIGN_OR_RETURN(SlurmClusterConfig c,
                            ParseSlurmClusterConfig(n[i], file, "slurm[" + std::to_string(i) + "]"));
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

Status ParseKubernetes(const std::string& file, const YAML::Node& n,
                       std::vector<KubernetesClusterConfig>* out) {
  if (!n.IsSequence())
    return InvalidArgument(YamlWhere(file, n, "kubernetes") + ": expected a list of clusters");
  for (size_t i = 0; i < n.size(); ++i) {
    if (n[i].IsMap() && !n[i]["name"]) {
      return InvalidArgument(YamlWhere(file, n[i], "kubernetes[" + std::to_string(i) + "]") +
                             ": a Kubernetes cluster needs a name");
    }
    auto c = ParseKubernetesClusterConfig(n[i], file + ": kubernetes[" + std::to_string(i) + "]");
    if (!c.ok()) return c.status();
    out->push_back(std::move(c).value());
  }
  return Status::Ok();
}

Status ParseSimClouds(const std::string& file, const YAML::Node& n, std::vector<SimCloudConfig>* out) {
  if (!n.IsSequence())
    return InvalidArgument(YamlWhere(file, n, "simcloud") + ": expected a list of simulated clouds");
  for (size_t i = 0; i < n.size(); ++i) {
    SKYRUN_ASSIGN_OR_RETURN(SimCloudConfig c,
                            ParseSimCloudConfig(n[i], file, "simcloud[" + std::to_string(i) + "]"));
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

// Every backend's name must be unique: it is how attempts find their driver.
Status CheckUniqueBackends(const std::string& file, const ServerConfig& cfg) {
  std::vector<std::string> seen;
  if (cfg.local.enabled) seen.push_back("local");
  auto add = [&](const std::string& name) -> Status {
    for (const auto& s : seen)
      if (s == name)
        return InvalidArgument(file + ": backend '" + name +
                               "' is configured twice; give each cluster its own name");
    seen.push_back(name);
    return Status::Ok();
  };
  for (const auto& s : cfg.slurm) SKYRUN_RETURN_IF_ERROR(add("slurm/" + s.name));
  for (const auto& k : cfg.kubernetes) SKYRUN_RETURN_IF_ERROR(add(k.BackendName()));
  for (const auto& c : cfg.simcloud) SKYRUN_RETURN_IF_ERROR(add("simcloud/" + c.name));
  return Status::Ok();
}

// A time limit as a spec's time_limit reads it ("2h", "1:30:00"), at most a year.
Status ParseTimeLimit(const std::string& file, const YAML::Node& n, const std::string& path,
                      std::optional<int64_t>* out) {
  if (!n.IsScalar())
    return InvalidArgument(YamlWhere(file, n, path) + ": expected a time limit such as 90m, 2h or 1:30:00");
  auto seconds = ParseTimeLimitSeconds(n.Scalar());
  if (!seconds.ok()) return InvalidArgument(YamlWhere(file, n, path) + ": " + seconds.status().message());
  constexpr int64_t kMaxSeconds = int64_t{365} * 24 * 3600;
  if (*seconds <= 0 || *seconds > kMaxSeconds)
    return InvalidArgument(YamlWhere(file, n, path) + ": must be more than 0 and at most 365 days, got '" +
                           n.Scalar() + "'");
  *out = *seconds;
  return Status::Ok();
}

// queues: {NAME: {default_time_limit}}.
Status ParseQueues(const std::string& file, const YAML::Node& n, std::map<std::string, QueueSettings>* out) {
  if (!n.IsMap())
    return InvalidArgument(YamlWhere(file, n, "queues") +
                           ": expected a mapping NAME: {default_time_limit: 2h}");
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string name = it->first.as<std::string>();
    std::string path = "queues." + name;
    if (name.empty() || out->count(name))
      return InvalidArgument(YamlWhere(file, it->first, path) + ": " +
                             (name.empty() ? "a queue needs a name" : "queue '" + name + "' is set twice"));
    QueueSettings q;
    if (!it->second.IsNull()) {
      SKYRUN_RETURN_IF_ERROR(CheckKeys(file, it->second, path, {"default_time_limit"}));
      if (YAML::Node t = it->second["default_time_limit"])
        SKYRUN_RETURN_IF_ERROR(
            ParseTimeLimit(file, t, path + ".default_time_limit", &q.default_time_limit_seconds));
    }
    (*out)[name] = q;
  }
  return Status::Ok();
}

// scheduler: {default_time_limit, retry_until_up, profile: {queue_sort, plugins, scores,
// device_picker, reservations}}; the names are checked by building the
// profile, errors point at the entry.
Status ParseScheduler(const std::string& file, const YAML::Node& n, SchedulerSettings* out) {
  SKYRUN_RETURN_IF_ERROR(
      CheckKeys(file, n, "scheduler",
                {"profile", "default_time_limit", "retry_until_up", "block_capacity", "block_quota"}));
  SKYRUN_RETURN_IF_ERROR(Get(file, n, "retry_until_up", "scheduler.", &out->retry_until_up));
  // block_capacity / block_quota: a duration such as 10m, or 0 (the round only).
  for (auto [key, seconds] :
       {std::pair<const char*, int64_t*>{"block_capacity", &out->block_capacity_seconds},
        std::pair<const char*, int64_t*>{"block_quota", &out->block_quota_seconds}}) {
    YAML::Node b = n[key];
    if (!b) continue;
    if (b.IsScalar() && b.Scalar() == "0") {
      *seconds = 0;
      continue;
    }
    std::optional<int64_t> parsed;
    SKYRUN_RETURN_IF_ERROR(ParseTimeLimit(file, b, std::string("scheduler.") + key, &parsed));
    *seconds = *parsed;
  }
  if (YAML::Node t = n["default_time_limit"])
    SKYRUN_RETURN_IF_ERROR(
        ParseTimeLimit(file, t, "scheduler.default_time_limit", &out->default_time_limit_seconds));
  YAML::Node p = n["profile"];
  if (!p) return Status::Ok();
  const std::string base = "scheduler.profile";
  SKYRUN_RETURN_IF_ERROR(
      CheckKeys(file, p, base, {"queue_sort", "plugins", "scores", "device_picker", "reservations"}));
  ProfileSpec& spec = out->profile;
  if (YAML::Node r = p["reservations"]) {
    int64_t v = -1;
    try {
      v = r.as<int64_t>();
    } catch (const YAML::Exception&) {
      v = -1;
    }
    if (v < 0 || v > ProfileSpec::kMaxReservations)
      return InvalidArgument(YamlWhere(file, r, base + ".reservations") + ": expected a whole number 0.." +
                             std::to_string(ProfileSpec::kMaxReservations) +
                             " (how many waiting jobs get a reservation; 0 = none)");
    spec.reservations = static_cast<int>(v);
    spec.reservations_where = YamlWhere(file, r, base + ".reservations");
  }
  auto entry = [&](const YAML::Node& v, const std::string& path) {
    return ProfileEntry(v.as<std::string>(), 1, YamlWhere(file, v, path));
  };
  if (p["queue_sort"]) spec.queue_sort = entry(p["queue_sort"], base + ".queue_sort");
  if (p["device_picker"]) spec.device_picker = entry(p["device_picker"], base + ".device_picker");
  if (YAML::Node list = p["plugins"]) {
    if (!list.IsSequence())
      return InvalidArgument(YamlWhere(file, list, base + ".plugins") + ": expected a list of plugin names");
    spec.plugins.clear();
    for (size_t i = 0; i < list.size(); ++i)
      spec.plugins.push_back(entry(list[i], base + ".plugins[" + std::to_string(i) + "]"));
  }
  if (YAML::Node scores = p["scores"]) {
    if (!scores.IsMap())
      return InvalidArgument(YamlWhere(file, scores, base + ".scores") +
                             ": expected a mapping plugin: weight");
    spec.scores.clear();
    for (auto it = scores.begin(); it != scores.end(); ++it) {
      std::string name = it->first.as<std::string>();
      double weight = 0;
      try {
        weight = it->second.as<double>();
      } catch (const YAML::Exception&) {
        return InvalidArgument(YamlWhere(file, it->second, base + ".scores." + name) + ": expected a number");
      }
      spec.scores.push_back(ProfileEntry(name, weight, YamlWhere(file, it->first, base + ".scores." + name)));
    }
  }
  auto built = BuildProfile(spec);
  return built.ok() ? Status::Ok() : built.status();
}

}  // namespace

Result<ServerConfig> ParseServerConfig(const std::string& text, const std::string& file) {
  ServerConfig cfg;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root || root.IsNull()) return cfg;
  try {
    SKYRUN_RETURN_IF_ERROR(
        CheckKeys(file, root, "",
                  {"listen", "state_dir", "log_level", "local", "uploads", "images", "slurm", "kubernetes",
                   "simcloud", "api", "scheduler", "catalog", "queues", "budgets", "storage"}));
    SKYRUN_RETURN_IF_ERROR(Get(file, root, "listen", "", &cfg.listen));
    SKYRUN_RETURN_IF_ERROR(Get(file, root, "log_level", "", &cfg.log_level));
    if (!ParseLogLevel(cfg.log_level)) {
      return InvalidArgument(YamlWhere(file, root["log_level"], "log_level") +
                             ": must be debug, info, warn or error");
    }
    SKYRUN_RETURN_IF_ERROR(Get(file, root, "state_dir", "", &cfg.state_dir));
    if (root["local"]) SKYRUN_RETURN_IF_ERROR(ParseLocal(file, root["local"], &cfg.local));
    if (root["uploads"]) SKYRUN_RETURN_IF_ERROR(ParseUploads(file, root["uploads"], &cfg.uploads));
    if (root["images"]) SKYRUN_RETURN_IF_ERROR(ParseImages(file, root["images"], &cfg.images));
    if (root["storage"]) SKYRUN_RETURN_IF_ERROR(ParseStorage(file, root["storage"], &cfg.storage));
    if (root["api"]) SKYRUN_RETURN_IF_ERROR(ParseApi(file, root["api"], &cfg.api));
    if (root["catalog"]) SKYRUN_RETURN_IF_ERROR(ParseCatalog(file, root["catalog"], &cfg.catalog));
    if (root["scheduler"]) SKYRUN_RETURN_IF_ERROR(ParseScheduler(file, root["scheduler"], &cfg.scheduler));
    if (root["queues"]) SKYRUN_RETURN_IF_ERROR(ParseQueues(file, root["queues"], &cfg.queues));
    if (root["budgets"]) SKYRUN_RETURN_IF_ERROR(ParseBudgets(file, root["budgets"], &cfg.budgets));
    if (root["slurm"]) SKYRUN_RETURN_IF_ERROR(ParseSlurm(file, root["slurm"], &cfg.slurm));
    if (root["kubernetes"])
      SKYRUN_RETURN_IF_ERROR(ParseKubernetes(file, root["kubernetes"], &cfg.kubernetes));
    if (root["simcloud"]) SKYRUN_RETURN_IF_ERROR(ParseSimClouds(file, root["simcloud"], &cfg.simcloud));
    SKYRUN_RETURN_IF_ERROR(CheckUniqueBackends(file, cfg));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(file + ": " + e.what());
  }
  std::string host;
  int port;
  SKYRUN_RETURN_IF_ERROR(ParseListen(cfg.listen, &host, &port));
  return cfg;
}

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read the server config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseServerConfig(ss.str(), path);
}

Status ParseListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgument("--listen '" + listen + "' must be HOST:PORT, e.g. 127.0.0.1:8787");
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  auto p = ParseInt64(listen.substr(colon + 1));
  if (host->empty() || !p || *p < 0 || *p > 65535) {
    return InvalidArgument("--listen '" + listen + "' must be HOST:PORT with a port of 0..65535");
  }
  *port = static_cast<int>(*p);
  return Status::Ok();
}

std::string DefaultStateDir() {
  if (const char* d = std::getenv("SKYRUN_STATE_DIR"); d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.skyrun";
}

}  // namespace skyrun
