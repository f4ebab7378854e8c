// One server per state directory (issue 10, item 11): the lock refuses a
// second holder and names the first.
#include "server/state_lock.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace skyrun {
namespace {

TEST(StateLockTest, Item11_ASecondHolderIsRefusedWithTheFirstsPidAndAddress) {
  test_support::TempDir tmp("skyrun-lock");
  const std::string& dir = tmp.path();
  auto first = StateLock::Acquire(dir);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(first->WriteOwner("http://127.0.0.1:8787").ok());
  // flock locks belong to an open file: a second open, even in this process, is refused.
  auto second = StateLock::Acquire(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("http://127.0.0.1:8787"), std::string::npos)
      << second.status().message();
}

TEST(StateLockTest, Item11_TheLockIsFreeAgainOnceItsHolderIsGone) {
  test_support::TempDir tmp("skyrun-lock");
  const std::string& dir = tmp.path();
  {
    auto first = StateLock::Acquire(dir);
    ASSERT_TRUE(first.ok());
  }
  auto again = StateLock::Acquire(dir);
  EXPECT_TRUE(again.ok()) << again.status().message();
}

}  // namespace
}  // namespace skyrun
