// Helpers for the store's tests: job records built the way the server builds
// them (the temporary directory is the test-support library's TempDir).
#pragma once

#include <string>

#include "common/ids.h"
#include "model/job.h"
#include "store/sqlite_db.h"
#include "support/temp_dir.h"

namespace skyrun {

using test_support::TempDir;

// A job as the server would hand it to CreateJob.
JobRecord MakeJob(TenantId tenant, const std::string& name, int num_nodes = 1,
                  const std::string& queue = "default", int priority = 0);

// A raw connection to DIR/state.db, for poking at the file behind the store.
std::unique_ptr<SqliteDb> OpenRaw(const std::string& db_path);

// A valid token hash (64 hex digits) derived from `seed`.
std::string FakeHash(int seed);

}  // namespace skyrun
