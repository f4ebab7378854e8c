#include "store/read_pool.h"

namespace skyrun {

ReadPool::Lease::~Lease() {
  if (db_ != nullptr) pool_->Return(std::move(db_));
}

Result<ReadPool::Lease> ReadPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<SqliteDb> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  // Opened outside the lock: other readers keep going meanwhile.
  SKYRUN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, opener_());
  return Lease(this, std::move(db));
}

void ReadPool::Return(std::unique_ptr<SqliteDb> db) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(db));
  // else: closed here, as the pool already keeps enough
}

}  // namespace skyrun
