// A thin RAII layer over the sqlite3 C API: a connection (SqliteDb) with a
// cache of prepared statements, and a statement in use (SqliteQuery) that
// resets itself when it goes out of scope, so that no read transaction is
// left open by accident. SQLite result codes become Status values here; the
// caller adds what it was doing ("storing job: disk I/O error").
//
// Who calls it: the SQLite store (sqlite_store.cc, schema.cc, group_commit.cc)
// and its tests. Nothing outside src/store/ should need it.
//
// Thread-safety: a SqliteDb and its queries belong to one thread at a time
// (connections are opened in SQLite's multi-thread mode). Hand a connection
// to another thread only when no SqliteQuery of it is alive.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace skyrun {

// Maps a SQLite result code to a Status code: busy/locked -> Unavailable,
// full -> ResourceExhausted, unique/primary-key violation -> AlreadyExists,
// anything else (other constraints included: the store checks what callers
// can get wrong before writing) -> Internal.
StatusCode SqliteStatusCode(int extended_rc);

// A prepared statement in use. Binding indices are 1-based, columns 0-based.
// A failed bind (a value too big, no memory, a wrong index) is reported by
// the next Step() or Run().
class SqliteQuery {
 public:
  // `in_use` is the cache's flag for a cached statement (cleared when this
  // query ends); null for a private statement that this query finalizes.
  SqliteQuery(sqlite3_stmt* stmt, bool* in_use);
  SqliteQuery(SqliteQuery&& other) noexcept;
  SqliteQuery& operator=(SqliteQuery&&) = delete;
  SqliteQuery(const SqliteQuery&) = delete;
  ~SqliteQuery();

  SqliteQuery& Bind(int index, int64_t value);
  SqliteQuery& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  SqliteQuery& Bind(int index, double value);
  SqliteQuery& Bind(int index, std::string_view value);
  SqliteQuery& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  SqliteQuery& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  SqliteQuery& BindNull(int index);
  template <typename T>
  SqliteQuery& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // One step: true when a row is ready, false when the statement is done.
  Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  Status Run();
  // Makes the statement ready to run again (bindings are kept; bind anew).
  void Reset();

  int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  void NoteBind(int rc);

  sqlite3_stmt* stmt_;
  bool* in_use_;
  int bind_error_ = SQLITE_OK;  // first failed bind since the last step
};

class SqliteDb {
 public:
  // Opens `path` in multi-thread mode. With `create` the file is made when
  // missing; without it a missing file is an error.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(const std::string& sql);
  // A cached prepared statement (prepared once per connection). If the cached
  // one is already in use (a nested query), a private copy is prepared.
  Result<SqliteQuery> Prepare(const std::string& sql);
  // The first column of the first row, for pragmas and counts.
  Result<int64_t> QueryInt(const std::string& sql);
  Result<std::string> QueryText(const std::string& sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  bool InTransaction() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

  // A Status for the connection's last error, e.g. "disk I/O error".
  Status LastError() const;

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, Cached> cache_;  // node-based: &in_use stays valid
};

}  // namespace skyrun
