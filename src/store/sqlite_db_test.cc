// The SQLite wrapper: statement cache (including nested use of one
// statement), result-code mapping, and errors that surface as Status.
#include "store/sqlite_db.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace skyrun {
namespace {

TEST(SqliteDbTest, NestedUseOfACachedStatementGetsItsOwnCopy) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("x.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3);").ok());
  const std::string sql = "SELECT v FROM t WHERE v >= ? ORDER BY v";
  auto outer = db->Prepare(sql).value();
  outer.Bind(1, 2);
  ASSERT_TRUE(outer.Step().value());
  EXPECT_EQ(outer.Int(0), 2);
  {
    auto inner = db->Prepare(sql).value();  // the cached one is busy
    inner.Bind(1, 1);
    ASSERT_TRUE(inner.Step().value());
    EXPECT_EQ(inner.Int(0), 1);
  }
  ASSERT_TRUE(outer.Step().value());  // the outer cursor is undisturbed
  EXPECT_EQ(outer.Int(0), 3);
  EXPECT_FALSE(outer.Step().value());
}

TEST(SqliteDbTest, AStatementIsResetWhenItsQueryEnds) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("x.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2);").ok());
  {
    auto q = db->Prepare("SELECT v FROM t ORDER BY v").value();
    ASSERT_TRUE(q.Step().value());  // left mid-way
  }
  EXPECT_FALSE(db->InTransaction());  // no read transaction left open
  auto q = db->Prepare("SELECT v FROM t ORDER BY v").value();
  ASSERT_TRUE(q.Step().value());
  EXPECT_EQ(q.Int(0), 1);  // starts from the first row again
}

TEST(SqliteDbTest, ErrorsBecomeStatusCodes) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("x.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (v INTEGER UNIQUE NOT NULL);").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());

  Status dup = db->Exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("UNIQUE"), std::string::npos) << dup.message();

  auto insert = db->Prepare("INSERT INTO t VALUES (?)").value();
  insert.BindNull(1);
  Status null_value = insert.Run();
  EXPECT_EQ(null_value.code(), StatusCode::kInternal);
  EXPECT_NE(null_value.message().find("NOT NULL"), std::string::npos) << null_value.message();

  auto bad_sql = db->Prepare("SELEKT 1");
  EXPECT_FALSE(bad_sql.ok());
  EXPECT_NE(bad_sql.status().message().find("syntax error"), std::string::npos);

  // Another connection holds the write lock; with no busy timeout the
  // write is refused at once as Unavailable (transient).
  auto other = OpenRaw(dir.Sub("x.db"));
  ASSERT_TRUE(other->Exec("BEGIN IMMEDIATE").ok());
  sqlite3_busy_timeout(db->raw(), 0);
  Status busy = db->Exec("INSERT INTO t VALUES (5)");
  EXPECT_EQ(busy.code(), StatusCode::kUnavailable) << busy.ToString();
  ASSERT_TRUE(other->Exec("ROLLBACK").ok());
}

TEST(SqliteDbTest, AFailedBindIsReportedByTheNextStep) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("x.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t (s TEXT);").ok());
  sqlite3_limit(db->raw(), SQLITE_LIMIT_LENGTH, 100);
  auto insert = db->Prepare("INSERT INTO t VALUES (?)").value();
  insert.Bind(1, std::string(1000, 'x'));
  Status status = insert.Run();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("binding a value"), std::string::npos) << status.message();
  EXPECT_EQ(db->QueryInt("SELECT count(*) FROM t").value(), 0);
}

TEST(SqliteDbTest, OpeningAMissingFileWithoutCreateFails) {
  TempDir dir;
  auto db = SqliteDb::Open(dir.Sub("absent.db"), /*create=*/false);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("unable to open"), std::string::npos) << db.status().message();
}

}  // namespace
}  // namespace skyrun
