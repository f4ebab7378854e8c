// Controller: the job lifecycle. It admits submitted jobs, asks the scheduler
// for placements, hands placed attempts to drivers, follows their tasks, and
// advances the state machine (retry, recover, finish, cancel), recording the
// cost of every attempt at the price in force when it started.
//
// One loop thread does all of this; API threads only store submissions and
// cancel requests and then Notify*(). On Start() the controller rebuilds its
// picture from the store and re-adopts tasks that kept running while the
// server was down (local tasks live under detached supervisors).
//
// Thread-safety: public methods are thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "controller/matching.h"
#include "drivers/driver.h"
#include "model/job.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace skyrun {

// Turns stored spec text back into a JobSpec (the spec module's parser).
using SpecDecoder = std::function<Result<JobSpec>(const std::string& yaml, const std::string& file)>;

struct ControllerOptions {
  std::string state_dir;              // jobs live under STATE/jobs/<id>
  Micros poll_interval = 20 * kMicrosPerMilli;
  Micros inventory_interval = 30 * kMicrosPerSecond;
  int64_t kill_grace_seconds = 10;
  int max_infra_recoveries = 10;      // LOST attempts (node failure, preemption) before giving up
  int max_launch_failures = 3;
  // The scheduler's plugins and weights (server config `scheduler.profile`).
  ProfileSpec scheduler_profile = DefaultProfileSpec();
};

struct NodeView {
  Node node;
  NodeUsage usage;
};

struct ControllerMetrics {
  int64_t queue_length = 0;
  int64_t running_jobs = 0;
  int64_t scheduling_cycles = 0;
  // Submission-to-placement latency: count, sum and histogram buckets (seconds).
  std::vector<double> latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  std::vector<int64_t> latency_counts;  // cumulative per bucket
  int64_t latency_count = 0;
  double latency_sum_seconds = 0;
};

class Controller {
 public:
  Controller(Store* store, std::vector<Driver*> drivers, Clock* clock, SpecDecoder decoder,
             ControllerOptions options);
  ~Controller();

  // Rebuilds state from the store (re-adopting live tasks), then starts the loop.
  Status Start();
  void Stop();

  // Refuses at submission what can never run anywhere allowed (with the
  // reason): resources no node has, requirements no node meets, a policy
  // every node's says no to. `tenant` is what the job's ad publishes.
  Status CheckSubmission(const JobSpec& spec, const std::string& tenant = "");

  void NotifySubmitted(JobId id);
  void NotifyCancel(JobId id);

  // Why a waiting job waits ("" if unknown or not waiting).
  std::string PendingReason(JobId id);
  std::vector<NodeView> Nodes();
  // (rank, log path) of each task of an attempt (0 = the current one).
  Result<std::vector<std::pair<int, std::string>>> LogPaths(JobId id, int attempt_no);
  ControllerMetrics Metrics();

  // One cycle, synchronously (tests; the loop calls it too).
  void RunOnce();

 private:
  struct LiveJob {
    JobRecord rec;
    std::vector<AttemptRecord> attempts;  // current attempt's tasks, by rank
    Driver* driver = nullptr;
    bool cancel_requested = false;
    bool stopping = false;                // other ranks are being stopped after a failure
    bool reserved = false;                // its placement is held in the snapshot
    int launch_failures = 0;
    int infra_recoveries = 0;
    std::string pending_reason;
    std::unique_ptr<JobMatch> match;      // requirements and rank, compiled against fleet_
  };

  void Loop();
  Status Recover();
  // Reads the inventory of every backend whose turn it is (all with `all`),
  // keeping the last answer of the others, and updates the snapshot.
  void RefreshInventory(bool all = false);
  // The backends allowed by the spec's infra that can run it (Driver::CanRun);
  // the others' refusals go to *refusals as "backend: why".
  std::vector<std::string> CapableBackends(const JobSpec& spec, std::vector<Status>* refusals);
  // Keeps a job off the allowed backends that refuse it, so that one backend
  // that cannot run a job does not stop the others from running it.
  void NarrowInfraToCapable(JobSpec& spec);
  void DrainInbox();
  void Admit(JobId id);
  // The job's unpacked upload (where its relative spec paths resolve), or "".
  std::string UploadBaseDir(const JobRecord& rec) const;
  // scheduling.cc: picks placements for queued jobs.
  void ScheduleQueue();
  // Admission's fit check on an empty fleet of `nodes`, with its own
  // scheduler (admission runs outside the cycle lock).
  Status CheckFeasible(const JobSpec& spec, const std::vector<Node>& nodes, JobMatcher* matcher);
  // launcher.cc: turns a placement (already reserved in snapshot_) into a
  // stored, launched attempt. True when the job leaves the queue (launched,
  // or failed for good); false when it stays queued (its reservation undone).
  bool StartAttempt(LiveJob& job, Placement placement);
  // follower.cc: follows launched attempts to their end.
  void PollJob(LiveJob& job);
  void Finish(LiveJob& job);
  void HandleCancel(LiveJob& job);
  void ReleasePlacement(LiveJob& job);
  void ReservePlacement(LiveJob& job);
  // Compiles the job's requirements and rank; false (job FAILED) if they do not.
  bool CompileMatch(LiveJob& job);
  // The expression matcher for this job, or null when nothing asks for matching.
  JobMatcher* MatcherFor(LiveJob& job);
  // Gives the fleet every backend's capabilities before anything is booked.
  void EnsureCapabilities();
  Driver* DriverFor(const std::string& backend);
  std::string JobDir(JobId id) const;
  Status Move(LiveJob& job, JobState to, const std::string& reason, Transition extra = {});
  void RecordSchedulingLatency(Micros submitted_at);

  Store* store_;
  std::vector<Driver*> drivers_;
  Clock* clock_;
  SpecDecoder decoder_;
  ControllerOptions options_;
  Scheduler scheduler_;  // built from options_.scheduler_profile on the first cycle
  bool scheduler_ready_ = false;
  bool capabilities_set_ = false;

  std::mutex mu_;  // guards everything below
  Fleet snapshot_;  // the indexed fleet and what is booked on it
  std::map<JobId, LiveJob> live_;
  std::set<std::pair<std::pair<int, int64_t>, JobId>> queue_;  // (-priority, id): head first
  ControllerMetrics metrics_;
  // Per-backend pacing, by backend name (Driver::PollInterval, InventoryInterval):
  // when each is next polled / inventoried, and its last inventory.
  std::map<std::string, Micros> next_poll_;
  std::map<std::string, Micros> next_inventory_;
  std::map<std::string, std::vector<Node>> inventory_;
  FleetAds fleet_;            // node ads and policies over snapshot_'s nodes
  bool fleet_dirty_ = true;   // what runs where changed since the ads were built
  bool fleet_has_policies_ = false;  // some node publishes a Policy: every job is matched

  // What CheckSubmission reads, so that admission never waits for a cycle.
  std::mutex nodes_mu_;
  std::vector<Node> nodes_cache_;

  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::deque<JobId> submitted_inbox_;
  std::deque<JobId> cancel_inbox_;
  bool stop_ = false;
  std::thread thread_;
};

// The environment every task gets (SKYRUN_*, torch.distributed's variables,
// CUDA_VISIBLE_DEVICES), before the user's envs are added.
std::map<std::string, std::string> TaskEnvironment(const JobRecord& job, const Placement& placement, int rank,
                                                   int attempt_no, const std::string& checkpoint_dir,
                                                   int master_port);

}  // namespace skyrun
