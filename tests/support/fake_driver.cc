#include "support/fake_driver.h"

#include <utility>

namespace skyrun::test_support {

FakeDriver::FakeDriver(Options options, std::vector<Node> nodes)
    : options_(std::move(options)), nodes_(std::move(nodes)) {}

Result<std::vector<Node>> FakeDriver::Inventory() {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.inventories;
  std::vector<Node> out = nodes_;
  for (Node& n : out) {
    if (down_nodes_.count(n.name)) n.state = NodeState::kDown;
  }
  return out;
}

Status FakeDriver::CanRun(const JobSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.can_runs;
  if (refuse_why_.empty()) return Status::Ok();
  return FailedPrecondition(options_.name + " cannot run job '" + spec.name + "': " + refuse_why_);
}

Result<std::vector<std::string>> FakeDriver::Launch(const AttemptLaunch& launch) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.launches;
  time_limits_.push_back(launch.time_limit_seconds);
  if (!launch_failure_.ok()) {
    Status failure = launch_failure_;
    if (launch_failures_left_ > 0 && --launch_failures_left_ == 0) launch_failure_ = Status::Ok();
    return failure;
  }
  std::vector<std::string> out;
  for (const TaskLaunch& t : launch.tasks) {
    std::string handle =
        launch.job_name + ":" + std::to_string(launch.attempt_no) + ":" + std::to_string(t.rank);
    tasks_[handle] = {launch.job_name, t.placement.node};
    handles_.push_back(handle);
    launched_nodes_.push_back(t.placement.node);
    out.push_back(std::move(handle));
  }
  return out;
}

TaskStatus FakeDriver::Poll(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.polls;
  TaskStatus s;
  auto task = tasks_.find(handle);
  if (task == tasks_.end()) {
    s.state = RunState::kLost;
    s.reason = "unknown to " + options_.name + " (never launched, or forgotten)";
    return s;
  }
  s.state = RunState::kRunning;
  const size_t rank_at = handle.rfind(':');
  s.rank = std::stoi(handle.substr(rank_at + 1));
  std::optional<int> exit_code;
  if (auto f = finished_.find(handle); f != finished_.end()) exit_code = f->second;
  if (auto f = finished_jobs_.find(task->second.job_name); f != finished_jobs_.end()) exit_code = f->second;
  if (down_nodes_.count(task->second.node) || lost_.count(handle)) {
    s.state = RunState::kLost;
    s.reason = "NODE_FAIL (node " + task->second.node + " is down)";
  } else if (exit_code) {
    s.state = *exit_code == 0 ? RunState::kSucceeded : RunState::kFailed;
    s.exit_code = exit_code;
    s.reason = "exit code " + std::to_string(*exit_code);
  } else if (cancelled_.count(handle)) {
    s.state = RunState::kKilled;
    s.reason = "cancelled";
  }
  return s;
}

std::vector<TaskStatus> FakeDriver::PollMany(const std::vector<std::string>& handles) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poll_batches_.push_back(handles.size());
  }
  return Driver::PollMany(handles);
}

Status FakeDriver::Cancel(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.cancels;
  if (!cancel_failure_.ok()) return cancel_failure_;
  cancelled_.insert(handle);
  return Status::Ok();
}

Status FakeDriver::VoidIfUnclaimed(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  if (tasks_.count(handle)) return AlreadyExists(handle + " was launched; adopt it");
  return Status::Ok();
}

void FakeDriver::Forget(const std::string& handle) {
  std::lock_guard<std::mutex> lock(mu_);
  forgotten_.push_back(handle);
  tasks_.erase(handle);
  finished_.erase(handle);
  cancelled_.erase(handle);
}

void FakeDriver::SetNodes(std::vector<Node> nodes) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_ = std::move(nodes);
}

void FakeDriver::RefuseJobs(std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  refuse_why_ = std::move(why);
}

void FakeDriver::FailLaunches(Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  launch_failure_ = std::move(status);
  launch_failures_left_ = times;
}

void FakeDriver::FailCancels(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  cancel_failure_ = std::move(status);
}

void FakeDriver::FailNode(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  down_nodes_.insert(node);
}

void FakeDriver::RestoreNode(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  down_nodes_.erase(node);
  for (const auto& [handle, task] : tasks_)
    if (task.node == node) lost_.insert(handle);
}

void FakeDriver::Finish(const std::string& handle, int exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_[handle] = exit_code;
}

void FakeDriver::FinishJob(const std::string& job_name, int exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_jobs_[job_name] = exit_code;
}

FakeDriver::Calls FakeDriver::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<std::string> FakeDriver::launched_nodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return launched_nodes_;
}

std::vector<std::string> FakeDriver::handles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handles_;
}

std::vector<std::string> FakeDriver::forgotten() const {
  std::lock_guard<std::mutex> lock(mu_);
  return forgotten_;
}

std::vector<std::optional<int64_t>> FakeDriver::time_limits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return time_limits_;
}

std::vector<size_t> FakeDriver::poll_batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return poll_batches_;
}

std::vector<Node> CpuNodes(const std::string& backend, const std::vector<std::string>& names,
                           const std::string& prefix) {
  std::vector<Node> out;
  for (const std::string& name : names) {
    Node n;
    n.name = prefix + name;
    n.backend = backend;
    n.cpus_milli = MilliCpu(4000);
    n.memory_mib = MemoryMiB(8192);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace skyrun::test_support
