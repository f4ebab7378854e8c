// Schema migrations: from an empty file, from an older version, a failing
// step, and a database newer than the binary.
#include "store/schema.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace skyrun {
namespace {

int64_t UserVersion(SqliteDb& db) {
  return db.QueryInt("PRAGMA user_version").value();
}

bool HasTable(SqliteDb& db, const std::string& name) {
  auto query = db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
  EXPECT_TRUE(query.ok());
  query->Bind(1, name);
  EXPECT_TRUE(query->Step().value());
  return query->Int(0) == 1;
}

const std::vector<Migration> kTwoSteps = {
    {1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
    {2, "people get an age", "ALTER TABLE people ADD COLUMN age INTEGER NOT NULL DEFAULT 0;"},
};

TEST(SchemaTest, EmptyDatabaseGetsEveryStep) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("state.db"));
  EXPECT_EQ(UserVersion(*db), 0);
  ASSERT_TRUE(MigrateSchema(*db, StoreMigrations()).ok());
  EXPECT_EQ(UserVersion(*db), LatestSchemaVersion());
  for (const char* table : {"tenants", "tokens", "jobs", "tasks", "attempts", "events", "nodes"}) {
    EXPECT_TRUE(HasTable(*db, table)) << table;
  }
  // Applying again is a no-op.
  ASSERT_TRUE(MigrateSchema(*db, StoreMigrations()).ok());
  EXPECT_EQ(UserVersion(*db), LatestSchemaVersion());
}

TEST(SchemaTest, OlderDatabaseIsUpgradedAndKeepsItsRows) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("state.db"));
  const std::vector<Migration> first_only = {kTwoSteps[0]};
  ASSERT_TRUE(MigrateSchema(*db, first_only).ok());
  EXPECT_EQ(UserVersion(*db), 1);
  ASSERT_TRUE(db->Exec("INSERT INTO people (name) VALUES ('ada')").ok());

  // Step 1 would fail if it ran again ("table people already exists").
  ASSERT_TRUE(MigrateSchema(*db, kTwoSteps).ok());
  EXPECT_EQ(UserVersion(*db), 2);
  EXPECT_EQ(db->QueryText("SELECT name || ':' || age FROM people").value(), "ada:0");
}

TEST(SchemaTest, FailingStepIsRolledBackAndNamed) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("state.db"));
  const std::vector<Migration> broken = {
      kTwoSteps[0],
      {2, "half-done step", "CREATE TABLE pets (id INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  Status status = MigrateSchema(*db, broken);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("schema version 2 (half-done step)"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("no such table: nowhere"), std::string::npos) << status.message();
  EXPECT_EQ(UserVersion(*db), 1);  // step 1 stands, step 2 left nothing behind
  EXPECT_TRUE(HasTable(*db, "people"));
  EXPECT_FALSE(HasTable(*db, "pets"));
  EXPECT_FALSE(db->InTransaction());
}

TEST(SchemaTest, NewerDatabaseIsRefused) {
  TempDir dir;
  auto db = OpenRaw(dir.Sub("state.db"));
  ASSERT_TRUE(db->Exec("PRAGMA user_version = 3").ok());
  Status status = MigrateSchema(*db, kTwoSteps);
  ASSERT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("schema version 3"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("newer skyrun"), std::string::npos) << status.message();
  EXPECT_FALSE(HasTable(*db, "people"));
}

TEST(SchemaTest, StoreOpenUpgradesAnEmptyDatabaseFile) {
  TempDir dir;
  { auto db = OpenRaw(dir.Sub("state.db")); }  // an empty file at version 0
  SimulatedClock clock(1);
  {
    auto store = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE((*store)->CreateTenant("t").ok());
  }
  auto db = OpenRaw(dir.Sub("state.db"));
  EXPECT_EQ(UserVersion(*db), LatestSchemaVersion());
}

TEST(SchemaTest, StoreOpenRefusesAFutureVersion) {
  TempDir dir;
  SimulatedClock clock(1);
  {
    auto store = Store::Open(dir.path(), &clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  {
    auto db = OpenRaw(dir.Sub("state.db"));
    ASSERT_TRUE(db->Exec("PRAGMA user_version = 1000").ok());
  }
  auto store = Store::Open(dir.path(), &clock);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 1000"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find(dir.Sub("state.db")), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace skyrun

namespace skyrun {
namespace {

// Version 7 adds the data-moved columns to attempts: a database at version 6
// holding an attempt is upgraded, the row reads back with zeros, and new
// figures are kept.
TEST(SchemaTest, Version7AddsDataMovedToAttemptsOfAVersion6Database) {
  TempDir dir;
  {
    auto db = OpenRaw(dir.Sub("state.db"));
    std::vector<Migration> up_to_6(StoreMigrations().begin(), StoreMigrations().begin() + 6);
    ASSERT_EQ(up_to_6.back().version, 6);
    ASSERT_TRUE(MigrateSchema(*db, up_to_6).ok());
    ASSERT_TRUE(db->Exec("INSERT INTO tenants (id, name, created_at) VALUES (1, 't', 1)").ok());
    ASSERT_TRUE(db->Exec("INSERT INTO jobs (id, tenant_id, name, queue, priority, state, reason, spec_yaml, "
                         "spec_file, num_tasks, submitted_at, updated_at) VALUES (1, 1, 'j', 'default', 0, "
                         "'SUCCEEDED', "
                         "'', 'run: x\n', 'j.yaml', 1, 1, 1)")
                    .ok());
    ASSERT_TRUE(db->Exec("INSERT INTO attempts (job_id, attempt_no, rank, node, backend, state) "
                         "VALUES (1, 1, 0, 'box', 'local', 'SUCCEEDED')")
                    .ok());
  }
  SimulatedClock clock(1);
  auto store = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto attempts = (*store)->ListAttempts(JobId(1));
  ASSERT_TRUE(attempts.ok()) << attempts.status().ToString();
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ(attempts->at(0).node, "box");
  EXPECT_TRUE(attempts->at(0).moved.Empty());

  AttemptRecord a = attempts->at(0);
  a.moved.in_bytes = 10;
  a.moved.in_cached_bytes = 20;
  a.moved.image_bytes = 30;
  ASSERT_TRUE((*store)->UpdateAttempts({a}).ok());
  auto again = (*store)->ListAttempts(JobId(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at(0).moved.in_bytes, 10);
  EXPECT_EQ(again->at(0).moved.in_cached_bytes, 20);
  EXPECT_EQ(again->at(0).moved.image_bytes, 30);
}

}  // namespace
}  // namespace skyrun

namespace skyrun {
namespace {

// Version 8 adds held_blocks to a version 7 database; a held block is one row
// per place (a later refusal moves its expiry), expired rows go when listed,
// and a block that names no provider or an unknown scope is refused.
TEST(SchemaTest, Version8KeepsHeldBlocksOnePerPlaceUntilTheyExpire) {
  TempDir dir;
  {
    auto db = OpenRaw(dir.Sub("state.db"));
    std::vector<Migration> up_to_7(StoreMigrations().begin(), StoreMigrations().begin() + 7);
    ASSERT_EQ(up_to_7.back().version, 7);
    ASSERT_TRUE(MigrateSchema(*db, up_to_7).ok());
  }
  SimulatedClock clock(1);
  auto store = Store::Open(dir.path(), &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  HeldBlockRow zone{"zone", "aws", "us-east-1", "us-east-1a", "capacity error", 1000};
  HeldBlockRow region{"region", "gcp", "us-central1", "", "quota error", 5000};
  ASSERT_TRUE((*store)->SaveHeldBlock(zone).ok());
  ASSERT_TRUE((*store)->SaveHeldBlock(region).ok());
  zone.until = 2000;  // refused again: the same place, a later expiry
  ASSERT_TRUE((*store)->SaveHeldBlock(zone).ok());
  auto rows = (*store)->ListHeldBlocks(1500);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).zone, "us-east-1a");
  EXPECT_EQ(rows->at(0).until, 2000);
  EXPECT_EQ(rows->at(1).scope, "region");
  EXPECT_EQ(rows->at(1).why, "quota error");

  auto later = (*store)->ListHeldBlocks(2000);  // the zone's expiry has come
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->at(0).provider, "gcp");
  auto again = (*store)->ListHeldBlocks(0);  // and its row is gone for good
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 1u);

  Status bad_scope = (*store)->SaveHeldBlock({"planet", "aws", "", "", "x", 9000});
  EXPECT_EQ(bad_scope.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_scope.message().find("scope must be zone, region or provider"), std::string::npos);
  EXPECT_EQ((*store)->SaveHeldBlock({"provider", "", "", "", "x", 9000}).code(),
            StatusCode::kInvalidArgument);
  auto unchanged = (*store)->ListHeldBlocks(0);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->size(), 1u);
}

}  // namespace
}  // namespace skyrun
