#include "store/sqlite_db.h"

#include "common/check.h"

namespace skyrun {

StatusCode SqliteStatusCode(int extended_rc) {
  switch (extended_rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return StatusCode::kAlreadyExists;
    default: break;
  }
  switch (extended_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StatusCode::kUnavailable;
    case SQLITE_FULL: return StatusCode::kResourceExhausted;
    default: return StatusCode::kInternal;
  }
}

namespace {

// `rc` is the extended code (connections are opened with extended codes on).
Status ErrorFrom(sqlite3* db, int rc) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : "";
  if (message.empty() || message == "not an error") message = sqlite3_errstr(rc);
  return Status(SqliteStatusCode(rc), message);
}

}  // namespace

// ---------------------------------------------------------------- SqliteQuery

SqliteQuery::SqliteQuery(sqlite3_stmt* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}

SqliteQuery::SqliteQuery(SqliteQuery&& other) noexcept
    : stmt_(other.stmt_), in_use_(other.in_use_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

SqliteQuery::~SqliteQuery() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Reset ends any read transaction the statement holds; its result code
  // repeats the last step's error, which the caller has already seen.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void SqliteQuery::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

SqliteQuery& SqliteQuery::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

SqliteQuery& SqliteQuery::Bind(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

SqliteQuery& SqliteQuery::Bind(int index, std::string_view value) {
  NoteBind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

SqliteQuery& SqliteQuery::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> SqliteQuery::Step() {
  if (bind_error_ != SQLITE_OK) {
    int rc = bind_error_;
    bind_error_ = SQLITE_OK;
    return Status(SqliteStatusCode(rc), std::string("binding a value: ") + sqlite3_errstr(rc));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorFrom(sqlite3_db_handle(stmt_), rc);
}

Status SqliteQuery::Run() {
  while (true) {
    SKYRUN_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void SqliteQuery::Reset() {
  sqlite3_reset(stmt_);
}

int64_t SqliteQuery::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double SqliteQuery::Real(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string SqliteQuery::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool SqliteQuery::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ------------------------------------------------------------------- SqliteDb

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status error = ErrorFrom(db, rc);
    sqlite3_close_v2(db);  // a handle is returned even on failure (null-safe)
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, cached] : cache_) {
    SKYRUN_CHECK(!cached.in_use);  // a query outlived its connection
    sqlite3_finalize(cached.stmt);
  }
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  Status error(SqliteStatusCode(sqlite3_extended_errcode(db_)),
               message != nullptr ? message : sqlite3_errstr(rc));
  sqlite3_free(message);
  return error;
}

Result<SqliteQuery> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return SqliteQuery(it->second.stmt, &it->second.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  unsigned prep_flags = it == cache_.end() ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorFrom(db_, rc);
  SKYRUN_CHECK(stmt != nullptr);  // an empty statement is a bug in the caller's SQL
  if (it != cache_.end()) return SqliteQuery(stmt, nullptr);  // nested use: private copy
  Cached& cached = cache_[sql];
  cached.stmt = stmt;
  cached.in_use = true;
  return SqliteQuery(stmt, &cached.in_use);
}

Result<int64_t> SqliteDb::QueryInt(const std::string& sql) {
  SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, Prepare(sql));
  SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return Internal("no row from: " + sql);
  return query.Int(0);
}

Result<std::string> SqliteDb::QueryText(const std::string& sql) {
  SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, Prepare(sql));
  SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return Internal("no row from: " + sql);
  return query.Text(0);
}

int64_t SqliteDb::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t SqliteDb::Changes() const {
  return sqlite3_changes64(db_);
}

bool SqliteDb::InTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

Status SqliteDb::LastError() const {
  return ErrorFrom(db_, sqlite3_extended_errcode(db_));
}

}  // namespace skyrun
