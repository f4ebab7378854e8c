// Checkpointer: the WAL is folded into the database file by the background
// thread past the soft size, and by the writer itself past the hard size.
#include "store/checkpointer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "store/store_test_util.h"

namespace skyrun {
namespace {

off_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Sub("c.db");
    writer_ = OpenRaw(path_);
    ASSERT_TRUE(writer_
                    ->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                           "CREATE TABLE blob (b TEXT);")
                    .ok());
    // Fold the schema in now, so that the file size below counts only rows.
    ASSERT_TRUE(writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    initial_size_ = FileSize(path_);
  }

  void Start(int soft_pages, int hard_pages) {
    checkpointer_ = std::make_unique<Checkpointer>(OpenRaw(path_), soft_pages, hard_pages);
    checkpointer_->InstallOn(*writer_);
  }

  // ~40 pages of rows, one commit each time.
  void WriteSomePages(int commits) {
    for (int i = 0; i < commits; ++i) {
      ASSERT_TRUE(writer_->Exec("INSERT INTO blob VALUES (printf('%.16000c', 'x'))").ok());
    }
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteDb> writer_;
  std::unique_ptr<Checkpointer> checkpointer_;
  off_t initial_size_ = 0;
};

TEST_F(CheckpointerTest, BackgroundCheckpointPastTheSoftSize) {
  Start(/*soft_pages=*/10, /*hard_pages=*/1000000);
  WriteSomePages(10);
  // No timing: wait for the background run however long it takes.
  while (checkpointer_->stats().background == 0) std::this_thread::yield();
  EXPECT_EQ(checkpointer_->stats().inline_runs, 0);
  EXPECT_GT(FileSize(path_), initial_size_);  // rows reached the main file
}

TEST_F(CheckpointerTest, WriterCheckpointsInlinePastTheHardSize) {
  Start(/*soft_pages=*/1000000, /*hard_pages=*/10);
  WriteSomePages(10);
  auto stats = checkpointer_->stats();
  EXPECT_GT(stats.inline_runs, 0);
  EXPECT_EQ(stats.background, 0);
  EXPECT_EQ(stats.failures, 0);
  EXPECT_GT(FileSize(path_), initial_size_);
}

TEST_F(CheckpointerTest, NothingHappensBelowTheSoftSize) {
  Start(/*soft_pages=*/1000000, /*hard_pages=*/2000000);
  WriteSomePages(3);
  auto stats = checkpointer_->stats();
  EXPECT_EQ(stats.background + stats.inline_runs, 0);
  EXPECT_EQ(FileSize(path_), initial_size_);  // everything still in the WAL
}

}  // namespace
}  // namespace skyrun
