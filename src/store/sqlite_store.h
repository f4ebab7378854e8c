// SqliteStore: the Store of store.h on one SQLite file, DIR/state.db.
//
// Layout: one write connection owned by a GroupCommitter (every write is a
// unit of work in a shared, durable transaction: WAL, synchronous=FULL); a
// ReadPool of connections for reads, which in WAL mode see the last committed
// state without waiting for the writer; and a Checkpointer with a connection
// of its own that folds the WAL into the database file off the commit path.
// Foreign keys are on; busy_timeout covers another process holding the file
// briefly.
//
// Errors: every SQLite failure becomes a Status whose message starts with the
// operation ("storing job: disk I/O error"). Logical refusals (not found, wrong
// state, duplicate name) carry their own complete message.
//
// Who calls it: Store::Open (store.cc), and tests that need the commit
// statistics. Thread-safety: all methods are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "store/checkpointer.h"
#include "store/group_commit.h"
#include "store/read_pool.h"
#include "store/store.h"

namespace skyrun {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& state_dir, Clock* clock,
                                                   SpecDecoder decoder);
  ~SqliteStore() override;

  Result<JobId> CreateJob(const JobRecord& job) override;
  Result<JobRecord> GetJob(JobId id) override;
  Result<std::vector<JobRecord>> ListJobs(const JobFilter& filter) override;
  Result<std::vector<std::pair<int64_t, std::string>>> ListLiveUploads() override;
  Status ApplyTransition(const Transition& t) override;
  Status RequestCancel(JobId id) override;
  Status UpdateAttempts(const std::vector<AttemptRecord>& attempts) override;
  // The three lists below are empty for an unknown job.
  Result<std::vector<TaskRecord>> ListTasks(JobId id) override;
  Result<std::vector<AttemptRecord>> ListAttempts(JobId id) override;
  Result<std::vector<EventRecord>> ListEvents(JobId id) override;
  Result<std::vector<std::pair<JobState, int64_t>>> CountJobsByState() override;
  Result<std::vector<std::pair<JobState, int64_t>>> CountTenantJobsByState(TenantId tenant) override;

  Result<TenantRecord> CreateTenant(const std::string& name) override;
  Result<TenantRecord> GetTenantByName(const std::string& name) override;
  Result<std::vector<TenantRecord>> ListTenants() override;
  Result<TokenRecord> CreateToken(TenantId tenant, AccessRole role, const std::string& token_hash,
                                  const std::string& description, const TokenOptions& options = {}) override;
  Result<TokenRecord> LookupToken(const std::string& token_hash) override;
  Result<std::vector<TokenRecord>> ListTokens(std::optional<TenantId> tenant) override;
  Result<TokenRecord> RevokeToken(TokenId id, std::optional<TenantId> keep_an_admin_of) override;
  Status RecordTokenUse(TokenId id, Micros at) override;

  Status ReplaceNodes(const std::string& backend, const std::vector<Node>& nodes) override;
  Result<std::vector<Node>> ListNodes() override;
  Status PutDirectoryRow(const DirectoryRow& row) override;
  Result<std::vector<DirectoryRow>> ListDirectoryRows() override;
  Status RecordPriceChange(const PriceChange& change) override;
  Status RecordEgress(const EgressCharge& charge) override;
  Result<std::vector<PriceChange>> ListPriceChanges(JobId job) override;
  Result<BillingData> ListBilling(Micros from, Micros to, std::optional<TenantId> tenant) override;
  Status RecordProvisionTry(const ProvisionTry& attempt) override;
  Result<std::vector<ProvisionTry>> ListProvisionTries(JobId job) override;
  Status SaveHeldBlock(const HeldBlockRow& block) override;
  Result<std::vector<HeldBlockRow>> ListHeldBlocks(Micros now) override;

  // How well writes were grouped so far, and how the WAL was checkpointed
  // (tests, benchmarks).
  GroupCommitter::Stats commit_stats() const { return committer_->stats(); }
  Checkpointer::Stats checkpoint_stats() const { return checkpointer_->stats(); }
  const std::string& db_path() const { return db_path_; }

 private:
  Result<std::vector<std::pair<JobState, int64_t>>> CountJobs(std::optional<TenantId> tenant);
  SqliteStore(std::string db_path, Clock* clock, SpecDecoder decoder,
              std::unique_ptr<Checkpointer> checkpointer, std::unique_ptr<GroupCommitter> committer,
              std::unique_ptr<ReadPool> readers);

  // Runs `work` as one unit of the next group commit; database errors get
  // `operation` in front.
  Status Write(const std::string& operation, const GroupCommitter::Work& work);
  // Runs `read` on a pooled read connection; database errors get `operation`
  // in front.
  template <typename T, typename Fn>
  Result<T> Read(const std::string& operation, Fn&& read);
  // Fills job->spec with the decoder, when there is one.
  Status DecodeSpec(JobRecord* job) const;

  const std::string db_path_;
  Clock* const clock_;
  const SpecDecoder decoder_;
  // Destroyed in reverse: readers, then the writer (whose WAL hook points at
  // the checkpointer), then the checkpointer, whose connection is the last to
  // close and so folds the whole WAL back into the database file.
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<ReadPool> readers_;
};

// Database failures (Internal, Unavailable, ResourceExhausted) get
// `operation` in front; refusals (NotFound, FailedPrecondition,
// InvalidArgument, AlreadyExists) carry their own complete message and are
// returned as they are.
Status WithOperation(const Status& status, const std::string& operation);

template <typename T, typename Fn>
Result<T> SqliteStore::Read(const std::string& operation, Fn&& read) {
  auto lease = readers_->Acquire();
  if (!lease.ok()) return WithOperation(lease.status(), operation);
  Result<T> result = read(lease->db());
  if (!result.ok()) return WithOperation(result.status(), operation);
  return result;
}

}  // namespace skyrun
