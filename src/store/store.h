// Store: skyrun's durable state in SQLite (WAL) under the state directory.
//
// Who calls it: the server (submissions, queries, tenants and tokens) and the
// controller (transitions, attempts). Every state change and its event are
// written in one transaction; a transition names the state it expects to
// leave (compare-and-set), so two writers can never both move a job.
// A submission returns only once its commit is durable (synchronous=FULL);
// concurrent submissions are group-committed by one writer so that many
// fsyncs are shared.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "model/job.h"
#include "model/node.h"

namespace skyrun {

enum class Role { kAdmin, kMember, kViewer };
const char* RoleName(Role r);
std::optional<Role> ParseRole(const std::string& s);

struct TenantRecord {
  TenantId id;
  std::string name;
  Micros created_at = 0;
};

struct TokenRecord {
  TokenId id;
  TenantId tenant;
  std::string tenant_name;
  Role role = Role::kViewer;
  std::string description;
  Micros created_at = 0;
};

struct JobFilter {
  std::optional<TenantId> tenant;      // unset = all tenants (admin views, controller)
  std::vector<JobState> states;        // empty = all
  bool live_only = false;              // non-terminal states only
  int limit = 0;                       // 0 = no limit; newest first when set
};

// A state change: the job must be in `from` (else FailedPrecondition and
// nothing is written). Optional fields are updated in the same transaction.
struct Transition {
  JobId job;
  JobState from;
  JobState to;
  std::string reason;
  std::optional<int> attempt_no;       // new current attempt number
  std::optional<int> restarts;         // new restart count
  std::optional<std::string> placement;
  std::optional<double> add_cost_usd;  // added to the job's cost
  // Attempt rows created (their ids are assigned) or updated with the move.
  std::vector<AttemptRecord> new_attempts;
  std::vector<AttemptRecord> updated_attempts;  // matched by id
};

class Store {
 public:
  // Opens (creating if needed) DIR/state.db and brings the schema up to date.
  static Result<std::unique_ptr<Store>> Open(const std::string& state_dir, Clock* clock);
  virtual ~Store() = default;

  // --- jobs ---
  // Stores the job in SUBMITTED with its tasks (one per rank: spec.TaskCount())
  // and the first event; returns its id once the commit is durable. The
  // record's id/state/times are assigned here.
  virtual Result<JobId> CreateJob(const JobRecord& job) = 0;
  virtual Result<JobRecord> GetJob(JobId id) = 0;
  virtual Result<std::vector<JobRecord>> ListJobs(const JobFilter& filter) = 0;
  virtual Status ApplyTransition(const Transition& t) = 0;
  // Marks that a user asked to cancel (the controller acts on it).
  virtual Status RequestCancel(JobId id) = 0;
  // Updates attempt rows without a job state change (e.g. a task started).
  virtual Status UpdateAttempts(const std::vector<AttemptRecord>& attempts) = 0;
  virtual Result<std::vector<TaskRecord>> ListTasks(JobId id) = 0;
  virtual Result<std::vector<AttemptRecord>> ListAttempts(JobId id) = 0;
  virtual Result<std::vector<EventRecord>> ListEvents(JobId id) = 0;
  // Count of jobs per state (for /metrics).
  virtual Result<std::vector<std::pair<JobState, int64_t>>> CountJobsByState() = 0;

  // --- tenants and tokens ---
  virtual Result<TenantRecord> CreateTenant(const std::string& name) = 0;
  virtual Result<TenantRecord> GetTenantByName(const std::string& name) = 0;
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;
  // Stores only the hash (hex SHA-256 of the secret).
  virtual Result<TokenRecord> CreateToken(TenantId tenant, Role role, const std::string& token_hash,
                                          const std::string& description) = 0;
  virtual Result<TokenRecord> LookupToken(const std::string& token_hash) = 0;

  // --- nodes (inventory as last seen from each backend) ---
  virtual Status ReplaceNodes(const std::string& backend, const std::vector<Node>& nodes) = 0;
  virtual Result<std::vector<Node>> ListNodes() = 0;
};

}  // namespace skyrun
