#include "store/checkpointer.h"

namespace skyrun {

Checkpointer::Checkpointer(std::unique_ptr<SqliteDb> db, int soft_pages, int hard_pages)
    : db_(std::move(db)), soft_pages_(soft_pages), hard_pages_(hard_pages), thread_([this] { Loop(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::InstallOn(SqliteDb& writer) {
  sqlite3_wal_hook(writer.raw(), &Checkpointer::WalHook, this);
}

int Checkpointer::WalHook(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto* checkpointer = static_cast<Checkpointer*>(self);
  if (checkpointer->OnCommit(wal_pages)) {
    // The commit has succeeded already; a failed checkpoint only leaves the
    // log longer, and the next commit tries again.
    int copied = -1;
    int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    checkpointer->Finished(/*background=*/false, rc, copied);
  }
  return SQLITE_OK;
}

bool Checkpointer::OnCommit(int wal_pages) {
  if (wal_pages >= hard_pages_) return true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (wal_pages < backfilled_) backfilled_ = 0;  // the log restarted
    if (wal_pages - backfilled_ < soft_pages_ || wanted_ || running_) return false;
    wanted_ = true;
  }
  wake_.notify_one();
  return false;
}

void Checkpointer::Finished(bool background, int rc, int copied) {
  std::lock_guard<std::mutex> lock(mu_);
  if (background) {
    stats_.background += 1;
  } else {
    stats_.inline_runs += 1;
  }
  if (rc != SQLITE_OK) stats_.failures += 1;
  if (rc == SQLITE_OK && copied >= 0) backfilled_ = copied;
}

Checkpointer::Stats Checkpointer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

namespace {

// A connection knows the file is in WAL mode only once it has read it; until
// then a checkpoint is a silent no-op (it reports a log of -1 pages).
void ReadHeader(SqliteDb& db) {
  (void)db.QueryInt("SELECT count(*) FROM sqlite_schema");
}

}  // namespace

void Checkpointer::Loop() {
  ReadHeader(*db_);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
      running_ = true;
    }
    int copied = -1;
    int rc = sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    if (rc == SQLITE_OK && copied < 0) {
      ReadHeader(*db_);
      rc = sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    }
    Finished(/*background=*/true, rc, copied);
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
}

}  // namespace skyrun
