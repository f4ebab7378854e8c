// Checkpointer: folds the write-ahead log back into the database file on a
// thread and connection of its own, so that a submission never waits for a
// checkpoint (which writes and fsyncs many pages of the main file).
//
// The writer connection's WAL hook calls OnCommit() after every commit with
// the log's size. Once `soft_pages` pages have been added since the last
// checkpoint, the checkpointer is woken to run a PASSIVE checkpoint (it copies
// what it can without blocking the writer or the readers). Under a steady
// stream of commits the log cannot restart (SQLite restarts it only when a
// write begins with every page copied), so it keeps growing; at `hard_pages`
// OnCommit returns true and the writer checkpoints inline -- cheap by then,
// as the background has copied almost everything -- and the next write
// restarts the log. The log therefore stays under about `hard_pages`.
//
// Who calls it: SqliteStore (owns it; installs the hook with InstallOn).
// Thread-safety: OnCommit may be called from any thread; the checkpoint runs
// on the checkpointer's thread only. It must outlive the connection it is
// installed on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite_db.h"

namespace skyrun {

class Checkpointer {
 public:
  struct Stats {
    int64_t background = 0;   // checkpoints run on the checkpointer's thread
    int64_t inline_runs = 0;  // checkpoints the writer had to run itself
    int64_t failures = 0;     // checkpoints that returned an error (busy: retried later)
  };

  Checkpointer(std::unique_ptr<SqliteDb> db, int soft_pages, int hard_pages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Replaces `writer`'s autocheckpoint with this checkpointer.
  void InstallOn(SqliteDb& writer);

  // Returns true when the caller should checkpoint inline now.
  bool OnCommit(int wal_pages);

  Stats stats() const;

 private:
  static int WalHook(void* self, sqlite3* db, const char* schema, int wal_pages);
  void Loop();
  // Records a finished checkpoint's outcome (pages copied, or -1).
  void Finished(bool background, int rc, int copied);

  std::unique_ptr<SqliteDb> db_;  // used by the checkpointer's thread only
  const int soft_pages_;
  const int hard_pages_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool running_ = false;
  bool stopping_ = false;
  int backfilled_ = 0;  // log pages copied by the last checkpoint (0 after a restart)
  Stats stats_;

  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace skyrun
