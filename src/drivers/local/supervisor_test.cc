// The supervisor on its own: a hand-written task.json, the real supervisor
// program run as a child of the test (not detached), then its files.
#include "drivers/local/supervisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "common/strings.h"
#include "drivers/local/local_test_util.h"
#include "drivers/local/task_files.h"

namespace skyrun {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing_local;

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() : paths_(dir_.Sub("task")) {
    std::filesystem::create_directories(paths_.WorkDir());
    task_.job_id = "3";
    task_.cwd = paths_.WorkDir();
    task_.log_path = paths_.OutputLog();
    task_.grace_seconds = 5;
  }
  // Writes task.json and runs the supervisor to its end; returns its status.
  int Supervise() {
    EXPECT_TRUE(WriteFileAtomic(paths_.TaskJson(), TaskFileToJson(task_)).ok());
    return RunAndWait({SupervisorBinary(), "supervise", paths_.dir()});
  }
  ExitRecord Exit() {
    Result<ExitRecord> exit = ExitRecordFromJson(ReadFileOrEmpty(paths_.ExitJson()));
    EXPECT_TRUE(exit.ok()) << exit.status().ToString();
    return exit.ok() ? *exit : ExitRecord{};
  }

  TempDir dir_;
  TaskPaths paths_;
  TaskFile task_;
};

TEST_F(SupervisorTest, RunsTheTaskInItsCwdWithItsEnvAndRecordsTheEnd) {
  task_.run_argv = {"/bin/bash", "-c", "echo \"$GREETING from $PWD\"; echo \"home=$HOME\""};
  task_.env = {{"GREETING", "hello"}};
  EXPECT_EQ(Supervise(), 0);
  ExitRecord exit = Exit();
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_FALSE(exit.cancelled);
  EXPECT_EQ(exit.reason, "exit code 0");
  EXPECT_GT(exit.started_at, 0);
  EXPECT_GE(exit.ended_at, exit.started_at);
  std::string log = ReadFileOrEmpty(paths_.OutputLog());
  EXPECT_THAT(log, HasSubstr("hello from " + paths_.WorkDir() + "\n"));
  EXPECT_THAT(log, Not(HasSubstr("home=\n")));  // HOME comes from the clean base env
  StartedRecord started = ReadStarted(paths_.dir());
  EXPECT_GT(started.pid, 0);
  EXPECT_EQ(started.pgid, started.pid);  // the task leads its own group
  EXPECT_EQ(started.phase, "run");
  EXPECT_EQ(started.time, exit.started_at);
  std::optional<int64_t> owner = ParseInt64(Trim(ReadFileOrEmpty(paths_.Claim())));
  ASSERT_TRUE(owner.has_value());  // the supervisor's pid, not the task's
  EXPECT_NE(*owner, started.pid);
}

TEST_F(SupervisorTest, NothingOfTheGroupOutlivesTheMainProcess) {
  task_.run_argv = {"/bin/bash", "-c", "sleep 1000 & echo $! > bg.pid; exit 0"};
  EXPECT_EQ(Supervise(), 0);
  EXPECT_EQ(Exit().exit_code, 0);
  std::optional<int64_t> bg = ParseInt64(Trim(ReadFileOrEmpty(paths_.WorkDir() + "/bg.pid")));
  ASSERT_TRUE(bg.has_value());
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(*bg)));
  EXPECT_EQ(::kill(-ReadStarted(paths_.dir()).pgid, 0), -1);  // reaped, not even a zombie left
}

TEST_F(SupervisorTest, AProgramThatCannotStartExitsWith127AndSaysWhy) {
  task_.run_argv = {"/no/such/program"};
  EXPECT_EQ(Supervise(), 0);
  ExitRecord exit = Exit();
  EXPECT_EQ(exit.exit_code, 127);
  EXPECT_EQ(exit.reason, "exit code 127");
  EXPECT_THAT(
      ReadFileOrEmpty(paths_.OutputLog()),
      HasSubstr("skyrun: cannot start /no/such/program for the task's run: No such file or directory"));
}

TEST_F(SupervisorTest, AMissingCwdIsReportedInTheLog) {
  task_.run_argv = {"/bin/bash", "-c", "true"};
  task_.cwd = dir_.Sub("gone");
  EXPECT_EQ(Supervise(), 0);
  EXPECT_EQ(Exit().exit_code, 127);
  EXPECT_THAT(ReadFileOrEmpty(paths_.OutputLog()),
              HasSubstr("cannot enter the task's directory " + dir_.Sub("gone")));
}

TEST_F(SupervisorTest, SetupKilledBySignalIsASetupFailure) {
  task_.setup_argv = {"/bin/bash", "-c", "kill -KILL $$"};
  task_.run_argv = {"/bin/bash", "-c", "echo RUN"};
  EXPECT_EQ(Supervise(), 0);
  ExitRecord exit = Exit();
  EXPECT_EQ(exit.exit_code, 137);
  EXPECT_EQ(exit.reason, "setup failed with exit code 137 (killed by SIGKILL)");
  EXPECT_EQ(ReadStarted(paths_.dir()).phase, "setup");
}

TEST_F(SupervisorTest, AnUnreadableTaskFileIsRecordedAsTheExit) {
  ASSERT_TRUE(WriteFileAtomic(paths_.TaskJson(), "{not json").ok());
  EXPECT_EQ(RunAndWait({SupervisorBinary(), "supervise", paths_.dir()}), 1);
  ExitRecord exit = Exit();
  EXPECT_EQ(exit.exit_code, 127);
  EXPECT_THAT(exit.reason, HasSubstr("could not read task.json"));
}

TEST_F(SupervisorTest, ANonTaskDirectoryIsRefused) {
  EXPECT_EQ(RunAndWait({SupervisorBinary(), "supervise", dir_.Sub("no/such/dir")}), 2);
}

}  // namespace
}  // namespace skyrun
