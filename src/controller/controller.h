// Controller: the job lifecycle. It admits submitted jobs, asks the scheduler
// for placements, hands placed attempts to drivers, follows their tasks, and
// advances the state machine (retry, recover, finish, cancel), recording the
// cost of every attempt at the price in force when it started.
//
// One loop thread does all of this and owns the live jobs; each backend's
// driver calls run on that backend's worker thread (backend_worker.h). API
// threads only store submissions and cancel requests and then Notify*(); what
// they read (PendingReason, Nodes, Metrics) comes from a view the loop
// publishes after each cycle, so a read never waits for a cycle. On Start()
// the controller rebuilds its picture from the store and re-adopts tasks
// that kept running while the server was down (local tasks live under
// detached supervisors).
//
// Thread-safety: public methods are thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "budget/budget_book.h"
#include "budget/hold.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "controller/backend_worker.h"
#include "controller/broker.h"
#include "controller/matching.h"
#include "controller/provisioner.h"
#include "drivers/driver.h"
#include "model/job.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace skyrun {

class Catalog;
namespace catalog {
class Directory;
}

// Turns stored spec text back into a JobSpec (the spec module's parser).
using SpecDecoder = std::function<Result<JobSpec>(const std::string& yaml, const std::string& file)>;

struct ControllerOptions {
  std::string state_dir;  // jobs live under STATE/jobs/<id>
  Micros poll_interval = 20 * kMicrosPerMilli;
  Micros inventory_interval = 30 * kMicrosPerSecond;
  int64_t kill_grace_seconds = 10;
  int max_infra_recoveries = 10;  // LOST attempts (node failure, preemption) before giving up
  int max_launch_failures = 3;
  // Where state changes and failures are logged (not owned); null = nowhere.
  Logger* logger = nullptr;
  // Start() waits this long for the backends' first inventories before it
  // re-adopts running jobs; a backend slower than that joins when it answers.
  Micros start_inventory_wait = 5 * kMicrosPerSecond;
  // Stop() waits this long for a backend's worker stuck in a driver call.
  Micros worker_stop_wait = 2 * kMicrosPerSecond;
  // The scheduler's plugins and weights (server config `scheduler.profile`).
  ProfileSpec scheduler_profile = DefaultProfileSpec();
  // A job's time limit when its spec sets none: its queue's default (server
  // config `queues: {NAME: {default_time_limit}}`), else this one
  // (`scheduler.default_time_limit`), else none. Seconds.
  std::map<std::string, int64_t> queue_time_limits;
  std::optional<int64_t> default_time_limit_seconds;
  // The broker (broker.h, provisioner.h): regions and egress prices, and the
  // providers' live preemption rates (either null: none known). Jobs are
  // placed through it on a server with capacity pools, or when they use a
  // broker field (use_spot, max_hourly_cost, budget, objective time, inputs).
  const Catalog* catalog = nullptr;
  const catalog::Directory* directory = nullptr;
  // When nothing can take a brokered job now: keep asking (true: with
  // exponential backoff from retry_backoff up to retry_backoff_max, with
  // jitter, like SkyPilot's --retry-until-up), or fail it (false).
  bool retry_until_up = true;
  Micros retry_backoff = 2 * kMicrosPerSecond;
  Micros retry_backoff_max = 5 * 60 * kMicrosPerSecond;
  // How long a pool's capacity or quota refusal blocks its place for every
  // job (server config scheduler.block_capacity / block_quota; provisioner.h).
  BlockHold block_hold;
  // Budgets per tenant and queue (not owned; null: none). With `on_exceed:
  // hold`, a queued job whose estimate does not fit what is left waits
  // (budget_hold.cc); the budgets may be replaced live (NotifyBudgetsChanged).
  const BudgetBook* budgets = nullptr;
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
  // After Stop: whether a backend's worker was left inside a driver call (its
  // driver must then outlive the process's shutdown).
  bool WorkersLeftBehind() const { return workers_left_behind_; }

  // Refuses at submission what can never run anywhere allowed (with the
  // reason): resources no node has, requirements no node meets, a policy
  // every node's says no to. `tenant` is what the job's ad publishes.
  Status CheckSubmission(const JobSpec& spec, const std::string& tenant = "");

  void NotifySubmitted(JobId id);
  void NotifyCancel(JobId id);
  // The budgets were replaced (PUT /v1/budgets, SIGHUP): held jobs are checked again at once.
  void NotifyBudgetsChanged();

  // Why a waiting job waits ("" if unknown or not waiting), as of the last
  // published cycle. These three never wait for the cycle's lock.
  std::string PendingReason(JobId id);
  std::vector<NodeView> Nodes();
  // (rank, log path) of each task of an attempt (0 = the current one).
  Result<std::vector<std::pair<int, std::string>>> LogPaths(JobId id, int attempt_no);
  ControllerMetrics Metrics();

  // One cycle, synchronously (tests; the loop calls it too). It only asks the
  // backends' workers for driver calls; their answers are read at the next cycle.
  void RunOnce();
  // Waits until every backend's worker has answered all it was asked (true),
  // or `timeout` passes (false). Tests run a cycle, wait, then run the next.
  bool WaitForBackends(Micros timeout);

 private:
  // A state change the store refused (a failed write): kept and retried by
  // Upkeep, with a growing pause, until it is stored.
  struct PendingMove {
    JobState to = JobState::kFailed;
    std::string reason;
    Transition extra;
    bool requeue = false;  // once stored: the attempt is over, place the job again
    Micros next_try = 0;   // monotonic
    Micros backoff = 0;
  };

  struct LiveJob {
    JobRecord rec;
    std::vector<AttemptRecord> attempts;  // current attempt's tasks, by rank
    Driver* driver = nullptr;
    bool cancel_requested = false;
    bool stopping = false;   // other ranks are being stopped after a failure
    bool reserved = false;   // its placement is held in the snapshot
    bool launching = false;  // its Launch is with the backend's worker
    int launch_failures = 0;
    int infra_recoveries = 0;
    std::string pending_reason;
    std::unique_ptr<JobMatch> match;          // requirements and rank, compiled against fleet_
    std::optional<PendingMove> pending_move;  // set: nothing else happens to the job until it is stored
    bool attempts_unsaved = false;            // the attempt rows in memory are newer than the store's
    // Set after a lost task: placed again only once this backend's nodes were read again.
    std::string await_inventory;
    // Set when the job reached its own budget (spec `budget`): why it is being stopped.
    std::string budget_stop;
    // The broker's part (brokering.cc), for jobs placed through it.
    struct Brokered {
      bool on = false;                     // this job is placed through the broker
      JobSpec spec;                        // as submitted; rec.spec is it narrowed to the current choice
      bool planning = false;               // a PlanOrder is with the provisioner
      bool chosen = false;                 // rec.spec is narrowed to a choice for the next attempt
      std::string backend;                 // the chosen backend
      std::string region;                  // "provider/region" of the choice
      Location place;                      // the same, for egress
      std::vector<std::string> instances;  // bought for the current attempt
      std::vector<Block> sticky_blocks;    // kept for the job's life (eager_next_region)
      std::string prefer_region;           // failover: tried first at the next placement
      Micros next_plan = 0;                // monotonic: no new round before
      Micros backoff = 0;
      int empty_rounds = 0;
    } broker;
  };

  void Loop();
  Status Recover();
  // Asks the worker of every backend whose turn it is (all with `all`) for
  // its inventory; OnInventory takes the answer.
  void RequestInventories(bool all = false);
  // Asks each backend whose poll is due for the states of all its live tasks, in one PollMany.
  void RequestPolls();
  // Reads the workers' answers (backend_worker.h) and acts on each.
  void ConsumeEvents();
  void OnInventory(Driver* driver, InventoryAnswer answer);
  void OnTaskStates(Driver* driver, const PollAnswer& answer);
  void OnLaunched(LaunchAnswer answer);
  void OnCancelled(const CancelAnswer& answer);
  BackendWorker* WorkerFor(const Driver* driver);
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
  // follower.cc: follows launched attempts to their end, from the states a
  // poll answered (by handle; tasks not in it are left as they are).
  void ApplyTaskStates(LiveJob& job, const std::map<std::string, const TaskStatus*>& states);
  void Finish(LiveJob& job);
  // job_budget.cc: stops the running jobs whose cost so far reached their
  // spec's `budget` (a cancel with its kill grace; Finish ends them FAILED).
  void StopJobsOverBudget();
  // USD the job has cost: finished attempts, plus the current one's tasks
  // (running ones to `now` at their launch price).
  double JobCostSoFar(const LiveJob& job, Micros now) const;
  std::string BudgetReachedReason(const LiveJob& job, double spent) const;
  void HandleCancel(LiveJob& job);
  void ReleasePlacement(LiveJob& job);
  void ReservePlacement(LiveJob& job);
  // How long the job's attempts may run (seconds): the spec's time_limit,
  // else its queue's default, else the server's; nullopt = no limit. The
  // driver enforces it and the scheduler plans reservations with it.
  std::optional<int64_t> TimeLimitOf(const JobRecord& rec) const;
  // Compiles the job's requirements and rank; false (job FAILED) if they do not.
  bool CompileMatch(LiveJob& job);
  // The expression matcher for this job, or null when nothing asks for matching.
  JobMatcher* MatcherFor(LiveJob& job);
  // Gives the fleet every backend's capabilities before anything is booked.
  void EnsureCapabilities();
  Driver* DriverFor(const std::string& backend);
  std::string JobDir(JobId id) const;
  // Stores a state change with its event and logs it (info), or logs why the
  // store refused it (error) and leaves the job as it was.
  Status Move(LiveJob& job, JobState to, const std::string& reason, Transition extra = {});
  // Move, or, when the store refuses, keeps the change in job.pending_move for
  // Upkeep to retry. True when stored now. With `requeue`, once stored the
  // job's attempt is dropped and it goes back to the queue.
  bool MoveOrRetry(LiveJob& job, JobState to, const std::string& reason, Transition extra = {},
                   bool requeue = false);
  // Each cycle: retries pending moves and unsaved attempt rows; drops jobs that
  // reached a final state (forgetting their task handles in their driver).
  void Upkeep();
  // Writes the job's attempt rows; on failure logs and marks them unsaved.
  void SaveAttempts(LiveJob& job, const std::vector<AttemptRecord>& rows);
  // Asks the backend's worker to stop every running task of the attempt
  // (OnCancelled logs a refusal and has it asked again).
  void CancelTasks(LiveJob& job);
  void Requeue(LiveJob& job);
  // budget_hold.cc: with `on_exceed: hold` and a queued job under a budget,
  // the cycle's gate (running jobs' remaining estimates committed); else null.
  std::unique_ptr<BudgetGate> BuildBudgetGate();
  // "" when the job may be offered to the scheduler; else why it is held.
  std::string BudgetHoldReason(BudgetGate& gate, const LiveJob& job);
  void RecordSchedulingLatency(Micros submitted_at);

  // brokering.cc: the broker's part of placement.
  bool IsPoolBackend(const std::string& backend) const;
  // Admission on a server with pools: a pool can buy what no node has yet, so
  // the job must fit some offer it is allowed (its price cap, budget and
  // deadline aside: those make it wait, never refused).
  Status CheckBrokerFeasible(const JobSpec& spec, const std::vector<Node>& nodes);
  // Marks a job for the broker when it needs one (at admission and restart).
  void SetUpBroker(LiveJob& job);
  // Queued brokered job without a choice: sends it to the provisioner when
  // its backoff allows. True when the scheduler may place it now.
  bool ReadyToPlace(LiveJob& job);
  void OnPlanned(PlanAnswer answer);
  // A ps-worker job's choice: each role narrowed to its own place (spot or
  // on demand, the job's instances of that kind).
  void NarrowRoles(const LiveJob& job, const PlacementChoice& c, JobSpec& spec) const;
  // At launch: the egress of the job's inputs that lie elsewhere than the
  // place chosen (the catalog's prices), as Store::RecordEgress charges.
  void RecordInputEgress(const LiveJob& job, int attempt_no);
  // A task attempt ended: the egress of the data it really moved (its
  // driver's report, accounting/data_egress.h), as Store::RecordEgress charges.
  void RecordMovedEgress(const LiveJob& job, const AttemptRecord& a, const DataMoved& moved);
  // A spot price moved under a job's instance: its tasks there are billed at
  // the new price from then on (Store::RecordPriceChange, shared among them).
  void OnPriceNote(const PriceNote& note);
  // The attempt is over: its instances go back, the next one is planned anew
  // (after a preemption: its region preferred or blocked, by recovery strategy).
  void EndBrokeredAttempt(LiveJob& job);
  // The checkpoint directory of a job's attempts on `backend`: in the pool's
  // bucket-like store for a pool (it outlives instances), else the job's own.
  std::string CheckpointDir(JobId id, const std::string& backend) const;

  // budget_hold.cc: each budget's measured use, read from the store again
  // after kBudgetRemeasure, when the budgets change, or when the running jobs do.
  struct BudgetUses {
    std::map<std::pair<BudgetScope, std::string>, BudgetUse> uses;
    int64_t version = -1;
    std::vector<JobId> running;
    Micros measured = 0;  // monotonic
  } budget_uses_;
  std::vector<Node> budget_nodes_;  // the fleet the gate's estimates price on

  // What readers see, rebuilt by Publish after a cycle that changed something
  // (and at least every kRepublishEvery), then never modified.
  struct View {
    std::map<JobId, std::string> pending;  // waiting jobs' reasons
    std::vector<NodeView> nodes;
    ControllerMetrics metrics;
  };
  void Publish(bool force = false);
  std::shared_ptr<const View> CurrentView() const;

  Store* store_;
  std::vector<Driver*> drivers_;
  Clock* clock_;
  SpecDecoder decoder_;
  ControllerOptions options_;
  Logger* log_;
  Scheduler scheduler_;  // built from options_.scheduler_profile on the first cycle
  bool scheduler_ready_ = false;
  bool capabilities_set_ = false;

  std::mutex mu_;   // guards everything below
  Fleet snapshot_;  // the indexed fleet and what is booked on it
  std::map<JobId, LiveJob> live_;
  std::set<std::pair<std::pair<int, int64_t>, JobId>> queue_;  // (-priority, id): head first
  ControllerMetrics metrics_;
  // Per-backend pacing, by backend name (Driver::PollInterval, InventoryInterval):
  // when each is next polled / inventoried, and its last inventory.
  std::map<std::string, Micros> next_poll_;
  std::map<std::string, Micros> next_inventory_;
  std::map<std::string, std::vector<Node>> inventory_;
  // Jobs whose task was lost, by backend: queued again when its nodes are read again.
  std::map<std::string, std::vector<JobId>> awaiting_inventory_;
  std::vector<std::unique_ptr<BackendWorker>> workers_;  // one per driver, same order
  std::vector<Provisioner::Pool> pools_;                 // the drivers that are capacity pools
  std::unique_ptr<Provisioner> provisioner_;
  FleetAds fleet_;                   // node ads and policies over snapshot_'s nodes
  bool fleet_dirty_ = true;          // what runs where changed since the ads were built
  bool fleet_has_policies_ = false;  // some node publishes a Policy: every job is matched

  // Publish's bookkeeping (under mu_): whether this cycle changed what readers see.
  bool view_dirty_ = true;
  Micros last_publish_ = 0;

  mutable std::mutex view_mu_;  // guards only the pointer swap
  std::shared_ptr<const View> view_;

  // What CheckSubmission reads, so that admission never waits for a cycle.
  std::mutex nodes_mu_;
  std::vector<Node> nodes_cache_;

  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::deque<JobId> submitted_inbox_;
  std::deque<JobId> cancel_inbox_;
  bool events_ready_ = false;  // a worker answered since the last cycle
  bool workers_left_behind_ = false;
  bool stop_ = false;
  std::thread thread_;
};

// The environment every task gets (SKYRUN_*, SkyPilot's SKYPILOT_* with
// SkyPilot's meanings, torch.distributed's variables, CUDA_VISIBLE_DEVICES),
// before the user's envs and secrets are added. MASTER_PORT is not
// in it: the driver chooses it where the master rank runs (Driver::Launch).
std::map<std::string, std::string> TaskEnvironment(const JobRecord& job, const Placement& placement, int rank,
                                                   int attempt_no, const std::string& checkpoint_dir);

}  // namespace skyrun
