#include "server/partition_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include "api/api.h"
#include "common/strings.h"

namespace skyrun {

namespace {

PartitionOutcome Refuse(int http_status, const Status& s) {
  return {http_status, api::ErrorJson(s)};
}

bool IsCostly(const std::string& algorithm) {
  return algorithm == "exact-comm" || algorithm == "ordered";
}

}  // namespace

PartitionOutcome PartitionRunner::Run(const std::string& tenant, const partition::ModelProfile& model,
                                      const partition::DeviceSet& devices,
                                      const partition::PartitionOptions& options) {
  const int64_t n_devices = static_cast<int64_t>(devices.devices.size());
  const int64_t n_units = static_cast<int64_t>(model.units.size());
  if (n_devices > limits_.max_devices) {
    return Refuse(422, InvalidArgument("devices_csv has " + std::to_string(n_devices) +
                                       " devices; the limit is " + std::to_string(limits_.max_devices)));
  }
  if (n_units > limits_.max_units) {
    return Refuse(422, InvalidArgument("the model has " + std::to_string(n_units) +
                                       " units (layers); the limit is " + std::to_string(limits_.max_units)));
  }
  auto names = partition::ResolveAlgorithms(options.algorithms);
  if (!names.ok()) return Refuse(400, names.status());
  const int64_t cells = n_devices * n_units;
  partition::PartitionOptions bounded = options;
  if (cells > limits_.max_exact_cells) {
    bool asked_all = std::any_of(options.algorithms.begin(), options.algorithms.end(),
                                 [](const std::string& a) { return ToLower(Trim(a)) == "all"; });
    std::vector<std::string> kept;
    for (const auto& n : *names)
      if (!IsCostly(n)) kept.push_back(n);
    if (!asked_all && kept.size() != names->size()) {
      return Refuse(422, InvalidArgument("exact-comm and ordered run only up to devices x units = " +
                                         std::to_string(limits_.max_exact_cells) + "; this request has " +
                                         std::to_string(cells) + ": choose even, heuristic or exact"));
    }
    bounded.algorithms = kept;  // "all" on a large instance: the algorithms that scale
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Refuse(503, Unavailable("the server is stopping"));
    if (static_cast<int>(children_.size()) >= limits_.max_concurrent) {
      return Refuse(429,
                    ResourceExhausted("the server already runs " + std::to_string(limits_.max_concurrent) +
                                      " partitions (the limit); retry later"));
    }
    if (!tenants_running_.insert(tenant).second) {
      return Refuse(429,
                    ResourceExhausted("tenant '" + tenant +
                                      "' already runs a partition (the limit is 1 per tenant); retry later"));
    }
  }
  PartitionOutcome out = RunChild(model, devices, bounded);
  std::lock_guard<std::mutex> lock(mu_);
  tenants_running_.erase(tenant);
  return out;
}

PartitionOutcome PartitionRunner::RunChild(const partition::ModelProfile& model,
                                           const partition::DeviceSet& devices,
                                           const partition::PartitionOptions& options) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Refuse(500, Internal("cannot create a pipe for the partitioner"));
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fds[0]);
      ::close(fds[1]);
      return Refuse(503, Unavailable("the server is stopping"));
    }
    pid = ::fork();
    if (pid > 0) children_.insert(pid);
  }
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Refuse(503, Unavailable("cannot start the partitioner; retry later"));
  }
  if (pid == 0) {
    // The child: only computation; nothing of the server's (sockets, the
    // state lock) stays open in it, and it dies with the server.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close_range(3, static_cast<unsigned>(fds[1]) - 1, 0);
    ::close_range(static_cast<unsigned>(fds[1]) + 1, ~0U, 0);
    // The child starts with the server's address space (its threads' stacks
    // included): the limit is on what it adds.
    rlim_t mapped = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
      unsigned long pages = 0;
      if (std::fscanf(statm, "%lu", &pages) == 1)
        mapped = static_cast<rlim_t>(pages) * ::sysconf(_SC_PAGESIZE);
      std::fclose(statm);
    }
    rlim_t cap = mapped + static_cast<rlim_t>(limits_.max_memory_bytes);
    rlimit mem{cap, cap};
    ::setrlimit(RLIMIT_AS, &mem);
    rlimit cpu{static_cast<rlim_t>(limits_.timeout_seconds + 1),
               static_cast<rlim_t>(limits_.timeout_seconds + 2)};
    ::setrlimit(RLIMIT_CPU, &cpu);
    std::string text;
    try {
      auto report = partition::PartitionJson(model, devices, options);
      text = report.ok() ? "0" + report->dump()
                         : std::to_string(api::HttpStatusFor(report.status().code())) + " " +
                               api::ErrorJson(report.status()).dump();
    } catch (const std::exception& e) {
      text = "500 " + api::ErrorJson(Internal(std::string("partitioner failed: ") + e.what())).dump();
    }
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits_.timeout_seconds);
  std::string text;
  bool timed_out = false;
  char buf[65536];
  while (true) {
    if (stopping_ || std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int rc = ::poll(&p, 1, 100);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    children_.erase(pid);
  }
  if (timed_out) {
    if (stopping_) return Refuse(503, Unavailable("the server is stopping"));
    return Refuse(503,
                  Unavailable("partition took longer than " + std::to_string(limits_.timeout_seconds) +
                              " s (the limit); choose fewer devices, fewer layers or faster algorithms"));
  }
  if (WIFSIGNALED(st) || text.empty()) {
    return Refuse(503, Unavailable("the partitioner stopped (limits: " +
                                   std::to_string(limits_.max_memory_bytes >> 20) + " MiB memory, " +
                                   std::to_string(limits_.timeout_seconds) + " s)"));
  }
  if (text[0] == '0') {
    auto j = nlohmann::json::parse(text.begin() + 1, text.end(), nullptr, false);
    if (j.is_discarded()) return Refuse(500, Internal("the partitioner's answer was cut short"));
    return {200, j};
  }
  size_t space = text.find(' ');
  auto code = ParseInt64(text.substr(0, space));
  auto j = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(space + 1), text.end(), nullptr,
                                 false);
  if (!code || space == std::string::npos || j.is_discarded()) {
    return Refuse(500, Internal("the partitioner's answer was cut short"));
  }
  return {static_cast<int>(*code), j};
}

void PartitionRunner::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  for (pid_t pid : children_) ::kill(pid, SIGKILL);
}

}  // namespace skyrun
