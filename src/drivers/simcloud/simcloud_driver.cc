#include "drivers/simcloud/simcloud_driver.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "drivers/local/task_files.h"

namespace skyrun {
namespace {

constexpr const char* kNoticeFileName = ".skyrun-preemption-notice";

std::string NoticePath(const std::string& task_dir) {
  return TaskPaths(task_dir).WorkDir() + "/" + kNoticeFileName;
}

// Why the tasks of a gone instance ended, in the terms the controller reads.
std::string GoneReason(const Instance& in, const std::string& pool) {
  std::string what = in.offer.instance_type + ", " + in.offer.zone;
  if (in.state == InstanceState::kPreempted) {
    return std::string("PREEMPTED: ") + (in.spot ? "spot" : "on-demand") + " instance " + in.id + " (" +
           what + ") was reclaimed by " + pool + " at " + FormatTimestamp(in.ended_at);
  }
  return "NODE_FAIL: instance " + in.id + " (" + what + ") of " + pool + " was terminated at " +
         FormatTimestamp(in.ended_at);
}

}  // namespace

Result<std::pair<std::string, std::string>> SplitSimCloudHandle(const std::string& handle) {
  size_t bar = handle.find('|');
  if (bar == std::string::npos || bar == 0 || bar + 1 >= handle.size() || handle[bar + 1] != '/') {
    return InvalidArgument("'" + handle + "' is not a simcloud task handle (<instance id>|<task dir>)");
  }
  return std::make_pair(handle.substr(0, bar), handle.substr(bar + 1));
}

Result<std::unique_ptr<SimCloudDriver>> SimCloudDriver::Create(SimCloudConfig config, LocalPoolConfig local,
                                                               Clock& clock, Logger* logger,
                                                               std::unique_ptr<ProcessLauncher> launcher) {
  const std::string name = config.name;
  const std::vector<SimPreprovision> provision = config.provision;
  SKYRUN_ASSIGN_OR_RETURN(std::unique_ptr<SimCloud> cloud, SimCloud::Create(std::move(config), clock));
  // The local machinery only runs tasks here; one declared node spares the
  // probe of this machine, whose size means nothing to the instances.
  LocalNodeConfig host;
  host.name = "simcloud-host";
  host.cpus_milli = 1000;
  host.memory_mib = 1024;
  local.nodes = {host};
  auto local_driver = LocalDriver::Create(std::move(local), clock, std::move(launcher));
  if (!local_driver.ok()) {
    return local_driver.status().WithContext("configuring how simcloud/" + name + " runs tasks");
  }
  // Restored books already hold what the config's list bought at the first start.
  for (const SimPreprovision& p : cloud->restored() ? std::vector<SimPreprovision>{} : provision) {
    ProvisionRequest request;
    request.region = p.zone.empty() ? p.region : "";
    request.zone = p.zone;
    request.instance_type = p.instance_type;
    request.count = static_cast<int>(p.count);
    request.spot = p.spot;
    ProvisionOutcome got = cloud->Provision(request);
    if (!got.ok()) {
      return FailedPrecondition("simcloud/" + name + ": provisioning " + std::to_string(p.count) + " x " +
                                p.instance_type + " from the config failed (" +
                                ProvisionErrorKindName(got.error->kind) + " error, " +
                                FailureScopeName(got.error->scope) + " scope): " + got.error->message);
    }
  }
  return std::unique_ptr<SimCloudDriver>(
      new SimCloudDriver(std::move(cloud), std::move(local_driver).value(), logger ? logger : NullLogger()));
}

SimCloudDriver::SimCloudDriver(std::unique_ptr<SimCloud> cloud, std::unique_ptr<LocalDriver> local,
                               Logger* log)
    : cloud_(std::move(cloud)), local_(std::move(local)), log_(log) {}

void SimCloudDriver::Forget(const std::string& handle) {
  auto split = SplitSimCloudHandle(handle);
  if (!split.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_by_instance_.find(split->first);
  if (it != tasks_by_instance_.end()) {
    it->second.erase(split->second);
    if (it->second.empty()) tasks_by_instance_.erase(it);
  }
  stopped_by_cloud_.erase(split->second);
  cancelled_by_user_.erase(split->second);
}

void SimCloudDriver::TrackLocked(const std::string& instance_id, const std::string& task_dir) {
  tasks_by_instance_[instance_id].insert(task_dir);
}

void SimCloudDriver::Sweep() {
  std::vector<std::pair<std::string, CapacityEvent>> notify;  // task dir, its notice
  std::vector<std::string> stop;                              // task dirs to stop
  std::vector<CapacityEvent> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events = cloud_->EventsSince(events_seen_);
    if (!events.empty()) events_seen_ = events.back().seq;
    for (const CapacityEvent& e : events) {
      auto it = tasks_by_instance_.find(e.instance_id);
      if (it == tasks_by_instance_.end()) continue;
      for (const std::string& dir : it->second) {
        if (e.kind == CapacityEventKind::kPreemptionNotice) notify.emplace_back(dir, e);
        if (e.kind == CapacityEventKind::kPreempted || e.kind == CapacityEventKind::kTerminated) {
          if (!stopped_by_cloud_.count(dir)) stop.push_back(dir);
        }
      }
    }
  }
  for (const auto& [dir, e] : notify) {
    nlohmann::json notice = {{"action", "terminate"}, {"instance", e.instance_id}, {"detail", e.detail}};
    Status wrote = WriteFileAtomic(NoticePath(dir), notice.dump() + "\n", Durability::kAtomicOnly);
    if (!wrote.ok()) log_->Warn("simcloud: the preemption notice for " + dir + ": " + wrote.message());
  }
  for (const std::string& dir : stop) {
    // A task that already ended keeps its own end; the rest go with the instance.
    if (IsTerminal(local_->Poll(dir).state)) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_by_cloud_.insert(dir);
    }
    Status stopped = local_->Cancel(dir);
    if (stopped.ok()) continue;
    log_->Warn("simcloud: stopping " + dir + " on a reclaimed instance: " + stopped.message());
    std::lock_guard<std::mutex> lock(mu_);
    stopped_by_cloud_.erase(dir);  // Poll tries again
  }
}

Result<std::vector<Node>> SimCloudDriver::Inventory() {
  Sweep();
  SKYRUN_ASSIGN_OR_RETURN(std::vector<Node> host, local_->Inventory());
  const Node& host_node = host.front();
  std::vector<Node> nodes;
  for (const Instance& in : cloud_->Instances()) {
    if (in.state != InstanceState::kRunning && in.state != InstanceState::kNoticed) continue;
    const Offer& o = in.offer;
    Node n;
    n.name = NodeName(in.id);
    n.backend = Name();
    n.state = in.state == InstanceState::kNoticed ? NodeState::kDrain : NodeState::kUp;
    n.cpus_milli = o.cpus;
    n.memory_mib = o.memory;
    for (int i = 0; i < o.accelerator_count; ++i)
      n.gpus.push_back(GpuDevice{i, o.accelerator, MemoryMiB(o.gpu_memory_mib)});
    n.attributes = {{"Provider", o.provider},
                    {"Region", o.region},
                    {"Zone", o.zone},
                    {"InstanceType", o.instance_type},
                    {"Spot", in.spot ? "true" : "false"},
                    {"InstanceId", in.id},
                    {"Cloud", "simcloud"},
                    // Whose it is: bought for one job (the broker places only that
                    // job there), or 0 for capacity kept warm that anyone may use.
                    {"OwnerJob", std::to_string(in.job_id.value())}};
    // The instance's price spread over what the scheduler bills by: its
    // GPUs, or its CPUs where it has none; a whole-instance job pays it all.
    std::optional<double> spot_price = cloud_->SpotPriceAt(o.instance_type, o.zone, cloud_->Now());
    if (spot_price) n.attributes["SpotPrice"] = std::to_string(*spot_price);
    double hourly = in.spot ? spot_price.value_or(0) : o.price;
    if (o.accelerator_count > 0) {
      n.price_per_gpu_hour = hourly / o.accelerator_count;
    } else if (o.cpus.raw() > 0) {
      n.price_per_cpu_hour = hourly * 1000.0 / static_cast<double>(o.cpus.raw());
    }
    n.limits_enforced = host_node.limits_enforced;
    n.limits_note = host_node.limits_note;
    n.address = host_node.address;
    nodes.push_back(std::move(n));
  }
  return nodes;
}

Result<std::vector<std::string>> SimCloudDriver::Launch(const AttemptLaunch& launch) {
  Sweep();
  AttemptLaunch copy = launch;
  std::string job_dir = launch.job_dir;
  if (job_dir.empty() && !local_->config().state_dir.empty()) {
    job_dir = local_->config().state_dir + "/jobs/" + launch.job_id.ToString();
  }
  std::vector<std::string> instance_ids;
  const std::string prefix = Name() + "/";
  for (TaskLaunch& task : copy.tasks) {
    const std::string& node = task.placement.node;
    if (node.rfind(prefix, 0) != 0) {
      return InvalidArgument("task rank " + std::to_string(task.rank) + " of job " +
                             launch.job_id.ToString() + " is placed on '" + node +
                             "', which is not an instance of " + Name());
    }
    std::string id = node.substr(prefix.size());
    SKYRUN_ASSIGN_OR_RETURN(Instance in, cloud_->Get(id));
    if (in.state != InstanceState::kRunning) {
      return FailedPrecondition("instance " + id + " of " + Name() + " is " + InstanceStateName(in.state) +
                                ", not RUNNING: job " + launch.job_id.ToString() + " cannot start there");
    }
    // The notice file's path must be known before the task starts: fix the
    // task directory here (the local driver's default) rather than after.
    if (task.task_dir.empty()) {
      if (job_dir.empty()) return InvalidArgument("simcloud launch without a job directory or state_dir");
      task.task_dir =
          job_dir + "/attempt-" + std::to_string(launch.attempt_no) + "/rank-" + std::to_string(task.rank);
    }
    task.env["SKYRUN_PREEMPTION_NOTICE_FILE"] = NoticePath(task.task_dir);
    task.env["SKYRUN_INSTANCE_ID"] = id;
    instance_ids.push_back(id);
  }
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> dirs, local_->Launch(copy));
  std::vector<std::string> handles;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < dirs.size(); ++i) {
    TrackLocked(instance_ids[i], dirs[i]);
    handles.push_back(instance_ids[i] + "|" + dirs[i]);
  }
  return handles;
}

TaskStatus SimCloudDriver::Poll(const std::string& handle) {
  auto split = SplitSimCloudHandle(handle);
  if (!split.ok()) {
    TaskStatus st;
    st.state = RunState::kLost;
    st.reason = split.status().message();
    return st;
  }
  const auto& [id, dir] = *split;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TrackLocked(id, dir);  // adopted after a restart
  }
  Sweep();
  TaskStatus st = local_->Poll(dir);
  Result<Instance> in = cloud_->Get(id);
  if (!in.ok()) {
    // The cloud forgot it (a restart with another config): the node is gone.
    if (!IsTerminal(st.state)) {
      Status stopped = local_->Cancel(dir);
      if (!stopped.ok()) log_->Warn("simcloud: stopping " + dir + ": " + stopped.message());
      return st;
    }
    st.state = RunState::kLost;
    st.reason = "NODE_FAIL: " + in.status().message();
    return st;
  }
  if (in->state == InstanceState::kNoticed && !IsTerminal(st.state) &&
      ::access(NoticePath(dir).c_str(), F_OK) != 0) {
    // Adopted after a restart that came after the notice: give it now.
    nlohmann::json notice = {{"action", "terminate"},
                             {"instance", id},
                             {"detail", "will be reclaimed at " + FormatTimestamp(in->preempt_at)}};
    Status wrote = WriteFileAtomic(NoticePath(dir), notice.dump() + "\n", Durability::kAtomicOnly);
    if (!wrote.ok()) log_->Warn("simcloud: the preemption notice for " + dir + ": " + wrote.message());
  }
  if (!IsGone(in->state)) return st;
  bool by_cloud = false, by_user = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    by_cloud = stopped_by_cloud_.count(dir) > 0;
    by_user = cancelled_by_user_.count(dir) > 0;
    // Still running on a gone instance (adopted after a restart, or an
    // earlier stop failed): the cloud stops it now.
    if (!by_cloud && !IsTerminal(st.state)) {
      stopped_by_cloud_.insert(dir);
      by_cloud = true;
    }
  }
  if (!by_cloud) {
    // It ended before the instance went (on its own, or cancelled by the
    // user), or, unknown to this driver after a restart, it was killed with
    // its instance.
    bool killed_with_instance = st.state == RunState::kKilled || st.state == RunState::kLost;
    if (by_user || !killed_with_instance) return st;
  }
  if (!IsTerminal(st.state)) {
    // Still in its kill grace: report it as it is until its processes are
    // gone, so that nothing is placed anew while they live.
    Status stopped = local_->Cancel(dir);
    if (!stopped.ok()) log_->Warn("simcloud: stopping " + dir + ": " + stopped.message());
    return st;
  }
  st.state = RunState::kLost;
  st.exit_code.reset();
  st.reason = GoneReason(*in, Name());
  if (st.ended_at == 0) st.ended_at = in->ended_at;
  return st;
}

Status SimCloudDriver::Cancel(const std::string& handle) {
  SKYRUN_ASSIGN_OR_RETURN(auto split, SplitSimCloudHandle(handle));
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_by_user_.insert(split.second);
  }
  return local_->Cancel(split.second);
}

std::string SimCloudDriver::LogPath(const std::string& handle) {
  auto split = SplitSimCloudHandle(handle);
  return split.ok() ? local_->LogPath(split->second) : "";
}

Status SimCloudDriver::VoidIfUnclaimed(const std::string& handle) {
  SKYRUN_ASSIGN_OR_RETURN(auto split, SplitSimCloudHandle(handle));
  return local_->VoidIfUnclaimed(split.second);
}

}  // namespace skyrun
