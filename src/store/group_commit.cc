#include "store/group_commit.h"

#include <algorithm>

#include "common/check.h"

namespace skyrun {

namespace {

// Bounds one transaction's size (and so the latency of its first caller)
// when a very large number of callers queue at once.
constexpr size_t kMaxBatch = 1024;

}  // namespace

GroupCommitter::GroupCommitter(std::unique_ptr<SqliteDb> db)
    : db_(std::move(db)), writer_([this] { WriterLoop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  writer_.join();
}

Status GroupCommitter::Run(const std::string& operation, const Work& work) {
  Unit unit;
  unit.operation = &operation;
  unit.work = &work;
  std::unique_lock<std::mutex> lock(mu_);
  SKYRUN_CHECK(!stopping_);  // a write after the store was closed is a bug in the caller
  pending_.push_back(&unit);
  work_ready_.notify_one();
  unit.done_cv.wait(lock, [&unit] { return unit.done; });
  return std::move(unit.status);
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t GroupCommitter::QueuedUnits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

void GroupCommitter::WriterLoop() {
  std::vector<Unit*> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_ready_.wait(lock, [this] { return !pending_.empty() || stopping_; });
      if (pending_.empty()) return;  // stopping, and everything handed in is done
      size_t n = std::min(pending_.size(), kMaxBatch);
      batch.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    RunBatch(batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.commits += 1;
      stats_.units += static_cast<int64_t>(batch.size());
      stats_.max_batch = std::max(stats_.max_batch, static_cast<int64_t>(batch.size()));
      // Under the lock: once `done` is seen the caller returns and its Unit
      // (and this condition variable) is gone.
      for (Unit* unit : batch) {
        unit->done = true;
        unit->done_cv.notify_one();
      }
    }
    batch.clear();
  }
}

void GroupCommitter::RunBatch(const std::vector<Unit*>& batch) {
  // Units whose work succeeded in the open transaction: they share its fate.
  std::vector<Unit*> in_transaction;
  Status begun = db_->Exec("BEGIN IMMEDIATE");

  // SQLite ended the transaction on its own (I/O error, disk full): every
  // unit run in it is lost; start a new one for the units still to come.
  auto transaction_lost = [&](const Status& cause) {
    if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
    for (Unit* unit : in_transaction) {
      unit->status = cause.WithContext(*unit->operation + ": the transaction was rolled back");
    }
    in_transaction.clear();
    begun = db_->Exec("BEGIN IMMEDIATE");
  };

  for (Unit* unit : batch) {
    if (!begun.ok()) {
      unit->status = begun.WithContext(*unit->operation + ": starting a transaction");
      continue;
    }
    Status status = db_->Exec("SAVEPOINT unit");
    if (!status.ok()) {
      unit->status = status.WithContext(*unit->operation);
      transaction_lost(unit->status);
      continue;
    }
    status = (*unit->work)(*db_);
    if (status.ok()) {
      Status released = db_->Exec("RELEASE unit");
      if (!released.ok()) status = released.WithContext(*unit->operation);
    }
    if (!status.ok() && db_->InTransaction()) {
      // Undo this unit alone; the others in the batch stand.
      Status undone = db_->Exec("ROLLBACK TO unit");
      if (undone.ok()) undone = db_->Exec("RELEASE unit");
      if (!undone.ok()) {
        unit->status = status;
        transaction_lost(undone.WithContext("undoing a failed write"));
        continue;
      }
    }
    unit->status = status;
    if (!db_->InTransaction()) {
      SKYRUN_CHECK(!status.ok());  // work must never end the batch's transaction itself
      transaction_lost(status);
      continue;
    }
    if (status.ok()) in_transaction.push_back(unit);
  }

  if (!begun.ok()) return;
  // The one fsync of the batch (synchronous=FULL in WAL mode).
  Status committed = db_->Exec("COMMIT");
  if (!committed.ok()) {
    if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
    for (Unit* unit : in_transaction) unit->status = committed.WithContext(*unit->operation + ": committing");
  }
}

}  // namespace skyrun
