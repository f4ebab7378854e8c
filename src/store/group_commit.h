// GroupCommitter: the single writer of the state database. Callers hand it a
// unit of work (a function of the write connection) and block until that
// work is durable or has failed. One writer thread takes every unit waiting
// at that moment, runs them in ONE transaction (each inside its own
// SAVEPOINT, so a unit that fails is undone alone), commits once -- one
// fsync shared by the whole batch -- and then wakes each caller with its own
// Status. Units that arrive during a commit form the next batch. There are no
// timers: a lone caller is served at once.
//
// Who calls it: SqliteStore for every write (submissions, transitions,
// tenants, tokens, nodes).
//
// Thread-safety: Run() may be called from any number of threads. Work runs on
// the writer thread only, so it may use the write connection freely; it must
// not call Run() itself.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace skyrun {

class GroupCommitter {
 public:
  using Work = std::function<Status(SqliteDb& db)>;

  // Statistics, for tests and benchmarks.
  struct Stats {
    int64_t commits = 0;    // transactions committed (or attempted)
    int64_t units = 0;      // units of work run
    int64_t max_batch = 0;  // most units in one transaction
  };

  // Takes the write connection and starts the writer thread.
  explicit GroupCommitter(std::unique_ptr<SqliteDb> db);
  // Finishes the work already handed in, then stops the writer.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `work` in the next batch and returns once its transaction has
  // committed (OK) or the work or the commit failed. `operation` names the
  // work for errors at commit time: "storing job: committing: disk I/O error".
  Status Run(const std::string& operation, const Work& work);

  Stats stats() const;
  // Units handed in and not yet taken by the writer (tests use it to line up
  // a batch).
  size_t QueuedUnits() const;

 private:
  struct Unit {
    const std::string* operation;
    const Work* work;
    Status status;
    bool done = false;                // guarded by mu_
    std::condition_variable done_cv;  // signalled under mu_, so the caller may return at once
  };

  void WriterLoop();
  void RunBatch(const std::vector<Unit*>& batch);

  std::unique_ptr<SqliteDb> db_;  // used by the writer thread only

  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // writer waits: pending_ non-empty or stopping_
  std::deque<Unit*> pending_;
  bool stopping_ = false;
  Stats stats_;

  std::thread writer_;  // last: starts after every member above exists
};

}  // namespace skyrun
