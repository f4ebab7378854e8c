// ReadPool: connections to the state database for reads. In WAL mode readers
// never wait for the writer (they read the last committed snapshot), so each
// read borrows a connection of its own instead of queueing behind the group
// commit. Connections are opened on demand and up to `max_idle` are kept.
//
// Who calls it: SqliteStore for every read.
// Thread-safety: Acquire() is thread-safe; a Lease and its connection belong
// to the thread that holds it.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace skyrun {

class ReadPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<SqliteDb>>()>;

  // A borrowed connection; it goes back to the pool when the lease ends.
  class Lease {
   public:
    Lease(ReadPool* pool, std::unique_ptr<SqliteDb> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    SqliteDb& db() { return *db_; }

   private:
    ReadPool* pool_;
    std::unique_ptr<SqliteDb> db_;
  };

  ReadPool(Opener opener, size_t max_idle) : opener_(std::move(opener)), max_idle_(max_idle) {}

  Result<Lease> Acquire();

 private:
  void Return(std::unique_ptr<SqliteDb> db);

  Opener opener_;
  const size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteDb>> idle_;
};

}  // namespace skyrun
