// How the records of model/ map to rows of the state database: the column
// lists the SQLite store selects, and the conversions of a result row into a
// record (with the text forms of states and GPU index lists). A stored value
// this binary cannot read (an unknown state name, a malformed GPU list)
// becomes an Internal error naming the row, never a crash.
//
// Who calls it: sqlite_store*.cc. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "model/job.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace skyrun {

// SELECT <kJobColumns> FROM jobs j LEFT JOIN tenants t ON t.id = j.tenant_id
extern const char* const kJobColumns;
// SELECT <kAttemptColumns> FROM attempts
extern const char* const kAttemptColumns;
extern const int kAttemptColumnCount;  // how many kAttemptColumns names
// SELECT <kEventColumns> FROM events
extern const char* const kEventColumns;
// SELECT <kTaskColumns> FROM tasks
extern const char* const kTaskColumns;
// SELECT <kTokenColumns> FROM tokens k JOIN tenants t ON t.id = k.tenant_id
extern const char* const kTokenColumns;

Result<JobRecord> JobFromRow(const SqliteQuery& row);
Result<AttemptRecord> AttemptFromRow(const SqliteQuery& row);
Result<EventRecord> EventFromRow(const SqliteQuery& row);
TaskRecord TaskFromRow(const SqliteQuery& row);
Result<TokenRecord> TokenFromRow(const SqliteQuery& row);

// "0,1,3" <-> {0, 1, 3}.
std::string FormatGpuIndices(const std::vector<int>& indices);
Result<std::vector<int>> ParseGpuIndices(const std::string& text);

// Binds an attempt's mutable fields (node .. cost_usd) at `first`, first+1, ...
// in the order of kAttemptMutableColumns; returns the next free index.
int BindAttemptFields(SqliteQuery& query, int first, const AttemptRecord& attempt);
// "node, backend, gpu_indices, ..., cost_usd": the fields BindAttemptFields binds.
extern const char* const kAttemptMutableColumns;
constexpr int kAttemptMutableCount = 14;

}  // namespace skyrun
