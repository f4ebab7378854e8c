// The state database's schema as an ordered list of migrations. Version N of
// the schema is what steps 1..N leave; the version a database is at lives in
// PRAGMA user_version (0 = empty). Opening a database applies the steps it
// lacks, each in its own transaction, so a crash mid-upgrade leaves a
// database at a whole version. A database newer than this binary is refused.
//
// Rule for changing the schema: never edit a released step; append one.
//
// Who calls it: SqliteStore::Open, and tests (with their own step lists).
// Thread-safety: functions of one connection; callers serialise.
#pragma once

#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace skyrun {

struct Migration {
  int version;              // 1, 2, 3, ... in order
  const char* description;  // for error messages: "initial schema"
  const char* sql;          // one or more statements
};

// skyrun's own steps, oldest first.
const std::vector<Migration>& StoreMigrations();
int LatestSchemaVersion();

// Brings the database from its user_version up to the last of `steps`.
// Returns FailedPrecondition when the database is newer than `steps`, and the
// failing step's error (with its version) when a step fails; the database
// then stays at the last whole version.
Status MigrateSchema(SqliteDb& db, const std::vector<Migration>& steps);

}  // namespace skyrun
