// Helpers for the store's tests: a temporary directory per test, and job
// records built the way the server builds them.
#pragma once

#include <string>

#include "common/ids.h"
#include "model/job.h"
#include "store/sqlite_db.h"

namespace skyrun {

// mkdtemp under $TMPDIR (or /tmp); removed with its contents at scope end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A job as the server would hand it to CreateJob.
JobRecord MakeJob(TenantId tenant, const std::string& name, int num_nodes = 1,
                  const std::string& queue = "default", int priority = 0);

// A raw connection to DIR/state.db, for poking at the file behind the store.
std::unique_ptr<SqliteDb> OpenRaw(const std::string& db_path);

// A valid token hash (64 hex digits) derived from `seed`.
std::string FakeHash(int seed);

}  // namespace skyrun
