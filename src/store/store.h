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

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "model/billing.h"
#include "model/job.h"
#include "model/node.h"
#include "model/provision_try.h"

namespace skyrun {

// A token's role within its tenant. (Named AccessRole because model/job_spec.h
// already has a `Role`: a ps-worker role of a job.)
// kProvider: a provider's own token (a tenant named after the provider): it
// may write that provider's entries of the broker's directory and read; it
// submits nothing.
enum class AccessRole { kAdmin, kMember, kViewer, kProvider };
const char* RoleName(AccessRole r);                         // "admin"
std::optional<AccessRole> ParseRole(const std::string& s);  // case-insensitive

struct TenantRecord {
  TenantId id;
  std::string name;
  Micros created_at = 0;
};

struct TokenRecord {
  TokenId id;
  TenantId tenant;
  std::string tenant_name;
  AccessRole role = AccessRole::kViewer;
  std::string description;
  Micros created_at = 0;
  // The first characters of the secret ("skyrun_1a2b3c4d"): enough for a
  // person to tell tokens apart, far too few to guess the rest. "" for tokens
  // made before prefixes were kept (schema version 1).
  std::string prefix;
  Micros expires_at = 0;    // 0 = never
  Micros revoked_at = 0;    // 0 = not revoked; the record stays, for the audit
  Micros last_used_at = 0;  // 0 = never; the server records it at most once a minute

  bool Revoked() const { return revoked_at != 0; }
  bool ExpiredAt(Micros now) const { return expires_at != 0 && now >= expires_at; }
  bool LiveAt(Micros now) const { return !Revoked() && !ExpiredAt(now); }
};

// One report of the broker's directory as the store keeps it: the key, and
// the entry as JSON (catalog/directory.h reads and writes it; the store does
// not look inside).
struct DirectoryRow {
  std::string provider;
  std::string region;
  std::string zone;           // "" = the whole region
  std::string instance_type;  // "" = every type
  std::string entry_json;
  Micros updated_at = 0;
};

// What a new token carries besides its tenant, role and hash.
struct TokenOptions {
  std::string prefix;     // at most kMaxTokenPrefixLength characters
  Micros expires_at = 0;  // 0 = never
};
inline constexpr size_t kMaxTokenPrefixLength = 16;

struct JobFilter {
  std::optional<TenantId> tenant;  // unset = all tenants (admin views, controller)
  std::vector<JobState> states;    // empty = all
  bool live_only = false;          // non-terminal states only
  int limit = 0;                   // 0 = no limit; newest first when set
};

// A state change: the job must be in `from` (else FailedPrecondition and
// nothing is written), and from -> to must be legal (CanTransition, else
// FailedPrecondition). Optional fields are updated in the same transaction,
// together with the event (time from the store's Clock, reason, attempt
// number: `attempt_no` if set, else the job's current one), started_at (first
// RUNNING), finished_at (terminal state) and updated_at.
struct Transition {
  JobId job;
  JobState from;
  JobState to;
  std::string reason;
  std::optional<int> attempt_no;  // new current attempt number
  std::optional<int> restarts;    // new restart count
  std::optional<std::string> placement;
  std::optional<double> add_cost_usd;  // added to the job's cost
  // Attempt rows created (their ids are assigned; job_id is the job's) or
  // updated with the move. Updated rows are matched by id (NotFound, and
  // nothing written, when one is missing); their job_id, attempt_no and rank
  // are identity and are not changed.
  std::vector<AttemptRecord> new_attempts;
  std::vector<AttemptRecord> updated_attempts;
};

// Re-parses a stored spec (spec_yaml, spec_file) into a JobSpec. The store does
// not serialise JobSpec; with a decoder, reads fill JobRecord::spec with it.
using SpecDecoder = std::function<Result<JobSpec>(const std::string& yaml, const std::string& file)>;

class Store {
 public:
  // Opens (creating if needed, mode 0700) DIR/state.db and brings the schema
  // up to date. A database written by a newer skyrun, or a file that is not a
  // database, is refused with a message saying what to do. `clock` must
  // outlive the store.
  //
  // Without a decoder, JobRecord::spec on reads is default-constructed except
  // name, queue and priority (columns); callers re-parse spec_yaml when they
  // need the rest. With one, reads fill spec with decoder(spec_yaml, spec_file)
  // and fail (Internal, naming the job) if it fails.
  static Result<std::unique_ptr<Store>> Open(const std::string& state_dir, Clock* clock);
  static Result<std::unique_ptr<Store>> Open(const std::string& state_dir, Clock* clock, SpecDecoder decoder);
  virtual ~Store() = default;

  // --- jobs ---
  // Stores the job in SUBMITTED with its tasks (one per rank: spec.TaskCount();
  // for ps-worker the ranks take the roles' names in order) and the first
  // event; returns its id once the commit is durable. The record's id, state,
  // times, attempt_no, restarts, cost and cancel flag are assigned here; name
  // and queue come from the record, or from its spec where the record's are
  // empty (priority likewise where the record's is 0). `tenant` may be unset
  // (single-user use); a set one must exist (NotFound otherwise).
  // Concurrent calls share commits (see group_commit.h).
  virtual Result<JobId> CreateJob(const JobRecord& job) = 0;
  virtual Result<JobRecord> GetJob(JobId id) = 0;
  // Ordered by id ascending; with filter.limit, the newest `limit` jobs,
  // newest first.
  virtual Result<std::vector<JobRecord>> ListJobs(const JobFilter& filter) = 0;
  virtual Status ApplyTransition(const Transition& t) = 0;
  // Marks that a user asked to cancel (the controller acts on it). NotFound
  // for an unknown job; FailedPrecondition once the job has finished.
  // Asking twice is fine.
  virtual Status RequestCancel(JobId id) = 0;
  // Updates attempt rows without a job state change (e.g. a task started).
  virtual Status UpdateAttempts(const std::vector<AttemptRecord>& attempts) = 0;
  virtual Result<std::vector<TaskRecord>> ListTasks(JobId id) = 0;
  virtual Result<std::vector<AttemptRecord>> ListAttempts(JobId id) = 0;
  virtual Result<std::vector<EventRecord>> ListEvents(JobId id) = 0;
  // Count of jobs per state (for /metrics): every state, in enum order, with
  // zeros.
  virtual Result<std::vector<std::pair<JobState, int64_t>>> CountJobsByState() = 0;
  // (tenant id, upload digest) of every job not yet terminal that has an
  // upload (jobs without a tenant report tenant 0): the upload store keeps these.
  virtual Result<std::vector<std::pair<int64_t, std::string>>> ListLiveUploads() = 0;
  // The same, for one tenant's jobs (/metrics seen by a tenant's token).
  virtual Result<std::vector<std::pair<JobState, int64_t>>> CountTenantJobsByState(TenantId tenant) = 0;

  // --- tenants and tokens ---
  // Names are unique (AlreadyExists) and non-empty.
  virtual Result<TenantRecord> CreateTenant(const std::string& name) = 0;
  virtual Result<TenantRecord> GetTenantByName(const std::string& name) = 0;
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;
  // Stores only the hash (hex SHA-256 of the secret: 64 hex digits, checked so
  // that a secret is never stored by mistake). Hashes are unique.
  // A prefix longer than kMaxTokenPrefixLength is InvalidArgument (a prefix
  // must never carry the secret).
  virtual Result<TokenRecord> CreateToken(TenantId tenant, AccessRole role, const std::string& token_hash,
                                          const std::string& description,
                                          const TokenOptions& options = {}) = 0;
  // NotFound for an unknown hash. Revoked and expired tokens are found too:
  // the caller says which it is (server/auth.h).
  virtual Result<TokenRecord> LookupToken(const std::string& token_hash) = 0;
  // Every token (only `tenant`'s when set), by id; hashes are never returned.
  virtual Result<std::vector<TokenRecord>> ListTokens(std::optional<TenantId> tenant) = 0;
  // Revokes token `id` (already revoked: returned as it is). NotFound for an
  // unknown id. When `keep_an_admin_of` is set and the token is the last live
  // admin token of that tenant (live: neither revoked nor expired now),
  // FailedPrecondition and nothing changes; checked in the same transaction,
  // so two revokes at once cannot both pass.
  virtual Result<TokenRecord> RevokeToken(TokenId id, std::optional<TenantId> keep_an_admin_of) = 0;
  // last_used_at = max(last_used_at, at). NotFound for an unknown id.
  virtual Status RecordTokenUse(TokenId id, Micros at) = 0;

  // --- nodes (inventory as last seen from each backend) ---
  // Replaces all of `backend`'s nodes in one transaction. A node whose backend
  // is empty takes `backend`; another backend is InvalidArgument. Node names
  // are unique across backends (AlreadyExists).
  virtual Status ReplaceNodes(const std::string& backend, const std::vector<Node>& nodes) = 0;
  // All nodes, by backend then name.
  virtual Result<std::vector<Node>> ListNodes() = 0;

  // --- the broker's directory (latest report per key) ---
  // Replaces the row of row's key, durably.
  virtual Status PutDirectoryRow(const DirectoryRow& row) = 0;
  // Every row, by key.
  virtual Result<std::vector<DirectoryRow>> ListDirectoryRows() = 0;

  // --- accounting (accounting/ prices what these return) ---
  // A task's price changed at `change.at` (a spot price moved). The job must
  // exist (NotFound); a negative or non-finite price is InvalidArgument.
  virtual Status RecordPriceChange(const PriceChange& change) = 0;
  // Data moved for a job. The job must exist; gb and usd finite and >= 0.
  virtual Status RecordEgress(const EgressCharge& charge) = 0;
  // The price changes of one job, by (attempt_no, rank, at).
  virtual Result<std::vector<PriceChange>> ListPriceChanges(JobId job) = 0;
  // What overlaps [from, to): task attempts that started before `to` and had
  // not ended by `from` (still running counts), their price changes, and the
  // egress charged within it; only `tenant`'s when set.
  virtual Result<BillingData> ListBilling(Micros from, Micros to, std::optional<TenantId> tenant) = 0;

  // --- the broker's provisioning history ---
  // One try to place a job (the job must exist: NotFound).
  virtual Status RecordProvisionTry(const ProvisionTry& attempt) = 0;
  // A job's tries, oldest first.
  virtual Result<std::vector<ProvisionTry>> ListProvisionTries(JobId job) = 0;
  // Keeps a held block (replacing the row of the same place). Errors:
  // InvalidArgument for an unknown scope or an empty provider.
  virtual Status SaveHeldBlock(const HeldBlockRow& block) = 0;
  // The blocks still held at `now` (until > now), oldest expiry first; the
  // expired ones are deleted.
  virtual Result<std::vector<HeldBlockRow>> ListHeldBlocks(Micros now) = 0;
};

}  // namespace skyrun
