#include "drivers/kubernetes/kubernetes_config.h"

#include <algorithm>
#include <regex>

#include "common/strings.h"
#include "drivers/kubernetes/volcano_names.h"

namespace skyrun {
namespace {

bool IsDnsSubdomain(const std::string& s) {
  static const std::regex kSubdomain("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, kSubdomain);
}

std::string Position(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return "";
  return " (line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1) + ")";
}

// Reads scalars and maps of one YAML mapping, collecting problems instead of throwing.
class Reader {
 public:
  Reader(const YAML::Node& node, std::string where, std::vector<std::string>* problems)
      : node_(node), where_(std::move(where)), problems_(problems) {}

  void String(const char* key, std::string* out) {
    seen_.push_back(key);
    YAML::Node v = node_[key];
    if (!v) return;
    if (!v.IsScalar()) return Problem(key, v, "expected a string");
    *out = v.Scalar();
  }
  void Int(const char* key, int64_t* out, int64_t min) {
    seen_.push_back(key);
    YAML::Node v = node_[key];
    if (!v) return;
    auto parsed = v.IsScalar() ? ParseInt64(v.Scalar()) : std::nullopt;
    if (!parsed || *parsed < min) return Problem(key, v, "expected an integer >= " + std::to_string(min));
    *out = *parsed;
  }
  void Double(const char* key, double* out) {
    seen_.push_back(key);
    YAML::Node v = node_[key];
    if (!v) return;
    try {
      *out = v.as<double>();
      if (*out < 0) Problem(key, v, "expected a non-negative number");
    } catch (const YAML::Exception&) {
      Problem(key, v, "expected a number");
    }
  }
  void StringMap(const char* key, std::map<std::string, std::string>* out) {
    seen_.push_back(key);
    YAML::Node v = node_[key];
    if (!v) return;
    if (!v.IsMap()) return Problem(key, v, "expected a mapping of names");
    for (const auto& kv : v) {
      if (!kv.second.IsScalar()) return Problem(key, kv.second, "expected string values");
      (*out)[kv.first.Scalar()] = kv.second.Scalar();
    }
  }
  void StringList(const char* key, std::vector<std::string>* out) {
    seen_.push_back(key);
    YAML::Node v = node_[key];
    if (!v) return;
    if (!v.IsSequence()) return Problem(key, v, "expected a list of strings");
    out->clear();
    for (const auto& item : v) {
      if (!item.IsScalar()) return Problem(key, item, "expected a list of strings");
      out->push_back(item.Scalar());
    }
  }
  YAML::Node Child(const char* key) {
    seen_.push_back(key);
    YAML::Node v = node_[key];
    if (v && !v.IsMap()) {
      Problem(key, v, "expected a mapping");
      return YAML::Node();
    }
    return v;
  }
  void RejectUnknown() {
    for (const auto& kv : node_) {
      std::string key = kv.first.Scalar();
      if (std::find(seen_.begin(), seen_.end(), key) != seen_.end()) continue;
      std::string hint;
      if (auto near = NearestName(key, seen_)) hint = " (did you mean '" + *near + "'?)";
      problems_->push_back(where_ + "." + key + Position(kv.first) + ": unknown key" + hint);
    }
  }
  const std::string& where() const { return where_; }

 private:
  void Problem(const char* key, const YAML::Node& v, const std::string& what) {
    problems_->push_back(where_ + "." + key + Position(v) + ": " + what);
  }

  YAML::Node node_;
  std::string where_;
  std::vector<std::string>* problems_;
  std::vector<std::string> seen_;
};

}  // namespace

Status ValidateKubernetesClusterConfig(const KubernetesClusterConfig& c) {
  std::vector<std::string> problems;
  if (!IsDnsLabel(c.name)) problems.push_back("name '" + c.name + "' must be a DNS label (a-z, 0-9, '-')");
  if (!IsDnsLabel(c.k8s_namespace))
    problems.push_back("namespace '" + c.k8s_namespace + "' must be a DNS label (a-z, 0-9, '-')");
  if (c.kubectl.empty()) problems.push_back("kubectl must name the kubectl program");
  if (c.scheduler_name.empty())
    problems.push_back("scheduler_name must not be empty (Volcano's is 'volcano')");
  if (c.image_pull_policy != "Always" && c.image_pull_policy != "IfNotPresent" &&
      c.image_pull_policy != "Never")
    problems.push_back("image_pull_policy '" + c.image_pull_policy +
                       "' must be Always, IfNotPresent or Never");
  for (const auto& [from, to] : c.queue_map) {
    if (!IsDnsSubdomain(to))
      problems.push_back("queues." + from + ": Volcano queue '" + to + "' must be a DNS-1123 subdomain");
  }
  if (!c.checkpoint.claim.empty() && !c.checkpoint.host_path.empty())
    problems.push_back("checkpoint_volume: give either claim or host_path, not both");
  if (!c.checkpoint.claim.empty() && !IsDnsSubdomain(c.checkpoint.claim))
    problems.push_back("checkpoint_volume.claim '" + c.checkpoint.claim + "' must be a DNS-1123 subdomain");
  if (!c.checkpoint.host_path.empty() && c.checkpoint.host_path[0] != '/')
    problems.push_back("checkpoint_volume.host_path '" + c.checkpoint.host_path +
                       "' must be an absolute path");
  if (c.checkpoint.default_mount_path.empty() || c.checkpoint.default_mount_path[0] != '/')
    problems.push_back("checkpoint_volume.mount_path must be an absolute path");
  if (!c.volumes.storage_class.empty() && !IsDnsSubdomain(c.volumes.storage_class))
    problems.push_back("volumes.storage_class '" + c.volumes.storage_class +
                       "' must be a DNS-1123 subdomain");
  if (c.volumes.size_bytes < 0) problems.push_back("volumes.size_bytes must not be negative");
  if (c.volumes.access_mode != "ReadWriteMany" && c.volumes.access_mode != "ReadWriteOnce")
    problems.push_back("volumes.access_mode '" + c.volumes.access_mode +
                       "' must be ReadWriteMany or ReadWriteOnce");
  if (c.gpu_resource.empty()) problems.push_back("gpu_resource must not be empty (usually nvidia.com/gpu)");
  if (c.gpu_share.number_resource.empty())
    problems.push_back("gpu_share.number_resource must not be empty (Volcano's is volcano.sh/vgpu-number)");
  if (c.default_memory_mib <= 0) problems.push_back("default_memory_mib must be positive");
  if (c.max_retry < 0) problems.push_back("max_retry must not be negative");
  if (c.request_timeout_seconds <= 0) problems.push_back("request_timeout must be positive");
  if (problems.empty()) return Status::Ok();
  return InvalidArgument("kubernetes cluster '" + c.name + "': " + Join(problems, "; "));
}

Result<KubernetesClusterConfig> ParseKubernetesClusterConfig(const YAML::Node& node,
                                                             const std::string& where) {
  if (!node || !node.IsMap()) return InvalidArgument(where + ": expected a mapping describing one cluster");
  KubernetesClusterConfig c;
  std::vector<std::string> problems;
  try {
    Reader r(node, where, &problems);
    r.String("name", &c.name);
    r.String("namespace", &c.k8s_namespace);
    r.String("kubeconfig", &c.kubeconfig);
    r.String("context", &c.context);
    r.String("kubectl", &c.kubectl);
    r.Int("request_timeout", &c.request_timeout_seconds, 1);
    r.String("default_image", &c.default_image);
    r.String("image_pull_policy", &c.image_pull_policy);
    r.StringMap("queues", &c.queue_map);
    r.String("scheduler_name", &c.scheduler_name);
    r.String("gpu_resource", &c.gpu_resource);
    r.String("gpu_product_label", &c.gpu_product_label);
    r.String("gpu_memory_label", &c.gpu_memory_label);
    r.StringList("tolerated_taints", &c.tolerated_taints);
    r.Int("default_memory_mib", &c.default_memory_mib, 1);
    int64_t max_retry = c.max_retry;
    r.Int("max_retry", &max_retry, 0);
    c.max_retry = static_cast<int>(std::min<int64_t>(max_retry, 1000));
    r.Int("ttl_seconds_after_finished", &c.ttl_seconds_after_finished, 0);
    r.Double("price_per_gpu_hour", &c.price_per_gpu_hour);
    r.Double("price_per_cpu_hour", &c.price_per_cpu_hour);
    if (YAML::Node v = r.Child("checkpoint_volume")) {
      Reader cr(v, where + ".checkpoint_volume", &problems);
      cr.String("claim", &c.checkpoint.claim);
      cr.String("host_path", &c.checkpoint.host_path);
      cr.String("mount_path", &c.checkpoint.default_mount_path);
      cr.RejectUnknown();
    }
    if (YAML::Node v = r.Child("volumes")) {
      Reader vr(v, where + ".volumes", &problems);
      c.volumes.enabled = true;
      vr.String("storage_class", &c.volumes.storage_class);
      vr.Int("size_bytes", &c.volumes.size_bytes, 1);
      vr.String("access_mode", &c.volumes.access_mode);
      vr.RejectUnknown();
    }
    if (YAML::Node v = r.Child("gpu_share")) {
      Reader gr(v, where + ".gpu_share", &problems);
      gr.String("number_resource", &c.gpu_share.number_resource);
      gr.String("cores_resource", &c.gpu_share.cores_resource);
      gr.String("memory_percentage_resource", &c.gpu_share.memory_percentage_resource);
      gr.RejectUnknown();
    }
    r.RejectUnknown();
  } catch (const YAML::Exception& e) {
    problems.push_back(where + ": " + e.what());
  }
  if (!problems.empty()) return InvalidArgument(Join(problems, "\n"));
  Status valid = ValidateKubernetesClusterConfig(c);
  if (!valid.ok()) return valid.WithContext(where);
  return c;
}

}  // namespace skyrun
