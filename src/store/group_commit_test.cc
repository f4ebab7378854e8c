// GroupCommitter: work is durable when Run returns, units queued together
// share one transaction, a failing unit is undone alone, and a failed commit
// fails every unit of its batch.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/store_test_util.h"

namespace skyrun {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Sub("g.db");
    auto db = OpenRaw(path_);
    ASSERT_TRUE(db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                         "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                         "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
                         "  REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"
                         "CREATE TABLE item (v INTEGER NOT NULL UNIQUE);")
                    .ok());
    committer_ = std::make_unique<GroupCommitter>(std::move(db));
    reader_ = OpenRaw(path_);
  }

  static GroupCommitter::Work Insert(int v) {
    return [v](SqliteDb& db) { return db.Exec("INSERT INTO item (v) VALUES (" + std::to_string(v) + ")"); };
  }

  int64_t Count(const std::string& where = "1") {
    return reader_->QueryInt("SELECT count(*) FROM item WHERE " + where).value();
  }

  // Blocks the writer inside a unit until released, so that units handed in
  // meanwhile form one batch.
  struct Gate {
    std::atomic<bool> entered{false};
    std::atomic<bool> open{false};
  };
  GroupCommitter::Work Blocker(Gate* gate) {
    return [gate](SqliteDb&) {
      gate->entered = true;
      while (!gate->open) std::this_thread::yield();
      return Status::Ok();
    };
  }
  void WaitQueued(size_t n) {
    while (committer_->QueuedUnits() < n) std::this_thread::yield();
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<SqliteDb> reader_;
};

TEST_F(GroupCommitTest, WorkIsCommittedWhenRunReturns) {
  ASSERT_TRUE(committer_->Run("adding", Insert(1)).ok());
  EXPECT_EQ(Count(), 1);  // visible to another connection at once
  auto stats = committer_->stats();
  EXPECT_EQ(stats.commits, 1);
  EXPECT_EQ(stats.units, 1);
}

TEST_F(GroupCommitTest, QueuedUnitsShareOneTransactionAndFailAlone) {
  Gate gate;
  std::thread blocker([&] { EXPECT_TRUE(committer_->Run("blocking", Blocker(&gate)).ok()); });
  while (!gate.entered) std::this_thread::yield();

  Status good_status, bad_status, also_good_status;
  std::thread good([&] { good_status = committer_->Run("adding 10", Insert(10)); });
  WaitQueued(1);
  std::thread bad([&] {
    bad_status = committer_->Run("adding twice", [](SqliteDb& db) {
      Status first = db.Exec("INSERT INTO item (v) VALUES (20)");
      if (!first.ok()) return first;
      return db.Exec("INSERT INTO item (v) VALUES (10)");  // duplicate of the unit before
    });
  });
  WaitQueued(2);
  std::thread also_good([&] { also_good_status = committer_->Run("adding 30", Insert(30)); });
  WaitQueued(3);
  gate.open = true;
  for (std::thread* t : {&blocker, &good, &bad, &also_good}) t->join();

  EXPECT_TRUE(good_status.ok()) << good_status.ToString();
  EXPECT_EQ(bad_status.code(), StatusCode::kAlreadyExists) << bad_status.ToString();
  EXPECT_TRUE(also_good_status.ok()) << also_good_status.ToString();
  EXPECT_EQ(Count("v = 10"), 1);
  EXPECT_EQ(Count("v = 20"), 0);  // the failing unit's first insert was undone too
  EXPECT_EQ(Count("v = 30"), 1);
  auto stats = committer_->stats();
  EXPECT_EQ(stats.commits, 2);  // the blocker's batch, then the three together
  EXPECT_EQ(stats.units, 4);
  EXPECT_EQ(stats.max_batch, 3);
}

TEST_F(GroupCommitTest, FailedCommitFailsTheWholeBatch) {
  Gate gate;
  std::thread blocker([&] { EXPECT_TRUE(committer_->Run("blocking", Blocker(&gate)).ok()); });
  while (!gate.entered) std::this_thread::yield();
  Status innocent_status, culprit_status;
  std::thread innocent([&] { innocent_status = committer_->Run("adding 1", Insert(1)); });
  WaitQueued(1);
  std::thread culprit([&] {
    // A deferred foreign-key violation is only detected at COMMIT.
    culprit_status = committer_->Run("adding an orphan", [](SqliteDb& db) {
      return db.Exec("INSERT INTO child (id, parent_id) VALUES (1, 99)");
    });
  });
  WaitQueued(2);
  gate.open = true;
  for (std::thread* t : {&blocker, &innocent, &culprit}) t->join();

  EXPECT_FALSE(innocent_status.ok());
  EXPECT_EQ(innocent_status.message().rfind("adding 1: committing: ", 0), 0u) << innocent_status.message();
  EXPECT_FALSE(culprit_status.ok());
  EXPECT_NE(culprit_status.message().find("FOREIGN KEY"), std::string::npos) << culprit_status.message();
  EXPECT_EQ(Count(), 0);
  // The writer recovers for the next batch.
  ASSERT_TRUE(committer_->Run("adding 2", Insert(2)).ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(GroupCommitTest, ManyThreadsAllLand) {
  constexpr int kThreads = 16;
  constexpr int kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!committer_->Run("adding", Insert(t * kEach + i)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(), kThreads * kEach);
  auto stats = committer_->stats();
  EXPECT_EQ(stats.units, kThreads * kEach);
  EXPECT_LE(stats.commits, stats.units);
}

}  // namespace
}  // namespace skyrun
