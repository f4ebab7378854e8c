// LocalDriver with real supervisors and real process groups.
#include "drivers/local/local_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "drivers/local/host_probe.h"
#include "drivers/local/local_test_util.h"
#include "drivers/local/task_files.h"
#include "image/image_manager.h"

namespace skyrun {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace testing_local;

class LocalDriverTest : public ::testing::Test {
 protected:
  std::unique_ptr<LocalDriver> MakeDriver(std::unique_ptr<ProcessLauncher> launcher = nullptr) {
    Result<std::unique_ptr<LocalDriver>> driver =
        LocalDriver::Create(TestPoolConfig(dir_), clock_, std::move(launcher));
    EXPECT_TRUE(driver.ok()) << driver.status().ToString();
    return std::move(*driver);
  }
  std::string LaunchOne(LocalDriver& driver, const LaunchFixture& f) {
    Result<std::vector<std::string>> handles = driver.Launch(f.launch);
    EXPECT_TRUE(handles.ok()) << handles.status().ToString();
    if (!handles.ok() || handles->size() != 1) return "";
    return handles->front();
  }

  TempDir dir_;
  SimulatedClock clock_{1'700'000'000 * kMicrosPerSecond};
};

TEST_F(LocalDriverTest, TaskThatExitsZeroSucceedsWithItsOutputAndOnlyItsEnv) {
  ASSERT_EQ(::setenv("SKYRUN_LEAK_CHECK", "leaked", 1), 0);  // the server's env must not reach the task
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo hello from rank $RANK; echo to-stderr >&2; env | sort");
  f->launch.tasks[0].env = {{"RANK", "0"}, {"MODEL", "bert-large"}};
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_FALSE(handle.empty());
  EXPECT_EQ(handle, dir_.Sub("jobs/7/attempt-1/rank-0"));

  TaskStatus st = WaitTerminal(*driver, handle);
  ::unsetenv("SKYRUN_LEAK_CHECK");
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_EQ(st.reason, "exit code 0");
  EXPECT_GT(st.started_at, 0);
  EXPECT_GE(st.ended_at, st.started_at);
  EXPECT_EQ(driver->LogPath(handle), handle + "/output.log");
  std::string log = ReadFileOrEmpty(driver->LogPath(handle));
  EXPECT_THAT(log, HasSubstr("hello from rank 0\n"));
  EXPECT_THAT(log, HasSubstr("to-stderr\n"));
  EXPECT_THAT(log, HasSubstr("\nMODEL=bert-large\n"));
  EXPECT_THAT(log, HasSubstr("\nRANK=0\n"));
  EXPECT_THAT(log, HasSubstr("\nPATH="));
  EXPECT_THAT(log, HasSubstr("\nCUDA_VISIBLE_DEVICES=\n"));  // no GPU placed: none visible
  EXPECT_THAT(log, HasSubstr("\nSKYRUN_MOUNT_ROOT=" + handle + "/work\n"));
  EXPECT_THAT(log, Not(HasSubstr("SKYRUN_LEAK_CHECK")));
}

// Issue 11: MASTER_PORT is chosen by the driver where the tasks run (this
// machine), once for the attempt; the controller no longer sends one.
TEST_F(LocalDriverTest, MasterPortIsChosenHereOncePerAttemptUnlessTheJobNamesOne) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo MP=$MASTER_PORT");
  TaskLaunch second = f->launch.tasks[0];
  second.rank = 1;
  f->launch.tasks.push_back(second);
  auto handles = driver->Launch(f->launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  ASSERT_EQ(handles->size(), 2u);
  std::vector<std::string> ports;
  for (const auto& h : *handles) {
    EXPECT_EQ(WaitTerminal(*driver, h).state, RunState::kSucceeded);
    std::string log = ReadFileOrEmpty(driver->LogPath(h));
    auto at = log.find("MP=");
    ASSERT_NE(at, std::string::npos) << log;
    ports.push_back(Trim(log.substr(at + 3, log.find('\n', at) - at - 3)));
  }
  auto port = ParseInt64(ports[0]);
  ASSERT_TRUE(port) << ports[0];
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);
  EXPECT_EQ(ports[1], ports[0]);

  // The job's own MASTER_PORT (its envs) is kept.
  auto own = MakeLaunch(dir_, "echo MP=$MASTER_PORT");
  own->launch.attempt_no = 2;
  own->launch.tasks[0].env["MASTER_PORT"] = "29999";
  std::string handle = LaunchOne(*driver, *own);
  ASSERT_FALSE(handle.empty());
  EXPECT_EQ(WaitTerminal(*driver, handle).state, RunState::kSucceeded);
  EXPECT_THAT(ReadFileOrEmpty(driver->LogPath(handle)), HasSubstr("MP=29999\n"));
}

TEST_F(LocalDriverTest, NonZeroExitIsFailedWithTheCode) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo about to fail; exit 75");
  std::string handle = LaunchOne(*driver, *f);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kFailed);
  EXPECT_EQ(st.exit_code, 75);
  EXPECT_EQ(st.reason, "exit code 75");
}

TEST_F(LocalDriverTest, DeathBySignalIsFailedWith128PlusSignal) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "kill -SEGV $$");
  std::string handle = LaunchOne(*driver, *f);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kFailed);
  EXPECT_EQ(st.exit_code, 128 + SIGSEGV);
  EXPECT_EQ(st.reason, "killed by SIGSEGV");
}

TEST_F(LocalDriverTest, FailedSetupMeansRunNeverStarts) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "touch run-started; echo RUN", "echo setting up; exit 3");
  std::string handle = LaunchOne(*driver, *f);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kFailed);
  EXPECT_EQ(st.exit_code, 3);
  EXPECT_EQ(st.reason, "setup failed with exit code 3");
  std::string log = ReadFileOrEmpty(driver->LogPath(handle));
  EXPECT_THAT(log, HasSubstr("setting up"));
  EXPECT_THAT(log, Not(HasSubstr("RUN")));
  EXPECT_FALSE(FileExists(handle + "/work/run-started"));
}

TEST_F(LocalDriverTest, SetupThenRunShareOneLogInOrder) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo three; echo four >&2", "echo one; echo two >&2");
  std::string handle = LaunchOne(*driver, *f);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_EQ(ReadFileOrEmpty(driver->LogPath(handle)), "one\ntwo\nthree\nfour\n");
}

TEST_F(LocalDriverTest, CancelStopsTheWholeGroupWithinTheGrace) {
  auto driver = MakeDriver();
  // The task has a child of its own (the background sleep).
  auto f = MakeLaunch(dir_, "sleep 1000 & echo child $!; sleep 1000; wait");
  f->launch.kill_grace_seconds = 30;
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "child "));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  StartedRecord started = ReadStarted(handle);
  ASSERT_GT(started.pgid, 0);
  std::string log = ReadFileOrEmpty(driver->LogPath(handle));
  pid_t child = static_cast<pid_t>(*ParseInt64(Trim(log.substr(log.find("child ") + 6))));
  ASSERT_TRUE(ProcessAlive(child));

  ASSERT_TRUE(driver->Cancel(handle).ok());
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  // SIGTERM did it: the SIGKILL would only have come after the 30 s grace.
  EXPECT_EQ(st.reason, "cancelled: stopped by SIGTERM");
  EXPECT_EQ(st.exit_code, 128 + SIGTERM);
  // The supervisor reaped the whole group before it wrote exit.json.
  EXPECT_EQ(::kill(-started.pgid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_FALSE(ProcessAlive(child));
  EXPECT_TRUE(driver->Cancel(handle).ok());  // cancelling a finished task is fine
}

TEST_F(LocalDriverTest, TaskIgnoringSigtermIsKilledAfterTheGrace) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "trap '' TERM; echo ready; sleep 1000");
  f->launch.kill_grace_seconds = 1;
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "ready"));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));  // `started` is written
  StartedRecord started = ReadStarted(handle);
  ASSERT_GT(started.pgid, 0);
  ASSERT_TRUE(driver->Cancel(handle).ok());
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  EXPECT_EQ(st.exit_code, 128 + SIGKILL);
  EXPECT_EQ(st.reason, "cancelled: killed by SIGKILL after the 1 s grace period");
  EXPECT_FALSE(GroupHasLiveProcess(started.pgid));
}

TEST_F(LocalDriverTest, CancelDuringSetupNeverStartsRun) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo RUN", "echo in-setup; sleep 1000");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "in-setup"));
  ASSERT_TRUE(driver->Cancel(handle).ok());
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  EXPECT_EQ(st.reason, "cancelled during setup: stopped by SIGTERM");
  EXPECT_THAT(ReadFileOrEmpty(driver->LogPath(handle)), Not(HasSubstr("RUN")));
}

TEST_F(LocalDriverTest, TimeLimitStopsTheTask) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "sleep 1000");
  f->launch.time_limit_seconds = 1;
  f->launch.kill_grace_seconds = 5;
  std::string handle = LaunchOne(*driver, *f);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kFailed);
  EXPECT_EQ(st.exit_code, 128 + SIGTERM);
  EXPECT_EQ(st.reason, "time limit of 1 s reached: stopped by SIGTERM");
}

TEST_F(LocalDriverTest, SupervisorOutlivesTheProcessThatLaunchedIt) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t launcher = ::fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    // A short-lived "server": launches, reports the handle, dies at once.
    ::close(pipe_fds[0]);
    SimulatedClock clock(1);
    Result<std::unique_ptr<LocalDriver>> driver = LocalDriver::Create(TestPoolConfig(dir_), clock);
    if (!driver.ok()) ::_exit(1);
    auto f = MakeLaunch(dir_, "sleep 0.5; echo finished");
    Result<std::vector<std::string>> handles = (*driver)->Launch(f->launch);
    if (!handles.ok()) ::_exit(2);
    std::string handle = handles->front() + "\n";
    (void)!::write(pipe_fds[1], handle.data(), handle.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string handle;
  char c;
  while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n') handle += c;
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(launcher, &status, 0), launcher);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  auto driver = MakeDriver();
  ASSERT_TRUE(WaitFileContains(handle + "/claim", "\n"));
  pid_t supervisor = ClaimPid(handle);
  ASSERT_GT(supervisor, 0);
  if (driver->Poll(handle).state == RunState::kRunning) {
    // Detached: a session of its own (led by the intermediate process of the
    // double fork, which is gone) and not a child of this test.
    EXPECT_NE(::getsid(supervisor), ::getsid(0));
    EXPECT_NE(::getpgid(supervisor), ::getpgid(0));
    EXPECT_EQ(::waitpid(supervisor, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_THAT(ReadFileOrEmpty(driver->LogPath(handle)), HasSubstr("finished"));
}

TEST_F(LocalDriverTest, SupervisorKilledMeansLostAndTheTaskDiesWithIt) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "sleep 1000");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  StartedRecord started = ReadStarted(handle);
  pid_t supervisor = ClaimPid(handle);
  ASSERT_GT(supervisor, 0);
  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kLost));
  TaskStatus st = driver->Poll(handle);
  EXPECT_EQ(st.reason, "supervisor died without recording an exit status");
  EXPECT_EQ(st.started_at, started.time);
  EXPECT_TRUE(WaitGroupGone(started.pgid));  // the task got SIGKILL as its supervisor died
  ::killpg(started.pgid, SIGKILL);           // (in case it did not)
}

TEST_F(LocalDriverTest, CancelOfALostTaskKillsWhatItsSupervisorLeftBehind) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "sleep 1000 & echo bg $!; sleep 1000");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "bg "));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  std::string log = ReadFileOrEmpty(driver->LogPath(handle));
  pid_t background = static_cast<pid_t>(*ParseInt64(Trim(log.substr(log.find("bg ") + 3))));
  ASSERT_EQ(::kill(ClaimPid(handle), SIGKILL), 0);
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kLost));
  // Its main process died with the supervisor; the background one did not.
  ASSERT_TRUE(ProcessAlive(background));
  ASSERT_TRUE(driver->Cancel(handle).ok());
  EXPECT_TRUE(WaitGroupGone(ReadStarted(handle).pgid));
  EXPECT_FALSE(ProcessAlive(background));
  ::kill(background, SIGKILL);  // (in case it did survive)
}

TEST_F(LocalDriverTest, VoidedBeforeTheSupervisorStartsMeansTheTaskNeverRuns) {
  std::vector<HeldLauncher::Call> held;
  auto driver = MakeDriver(std::make_unique<HeldLauncher>(&held));
  auto f = MakeLaunch(dir_, "echo RAN; touch ran");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].argv, (std::vector<std::string>{SupervisorBinary(), "supervise", handle}));
  EXPECT_EQ(driver->Poll(handle).state, RunState::kLaunching);

  ASSERT_TRUE(driver->VoidIfUnclaimed(handle).ok());
  EXPECT_TRUE(driver->VoidIfUnclaimed(handle).ok());  // idempotent
  // The supervisor that was on its way finds the claim taken and does nothing.
  EXPECT_EQ(RunAndWait(held[0].argv), 0);
  EXPECT_FALSE(FileExists(handle + "/started"));
  EXPECT_FALSE(FileExists(handle + "/exit.json"));
  EXPECT_FALSE(FileExists(handle + "/work/ran"));
  EXPECT_THAT(ReadFileOrEmpty(driver->LogPath(handle)), Not(HasSubstr("RAN")));
  TaskStatus st = driver->Poll(handle);
  EXPECT_EQ(st.state, RunState::kLost);
  EXPECT_EQ(st.reason, "never started: voided before a supervisor claimed it");
}

TEST_F(LocalDriverTest, VoidAfterTheSupervisorClaimedIsAlreadyExists) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo hi");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_EQ(WaitTerminal(*driver, handle).state, RunState::kSucceeded);
  Status voided = driver->VoidIfUnclaimed(handle);
  EXPECT_EQ(voided.code(), StatusCode::kAlreadyExists) << voided.ToString();
  EXPECT_EQ(driver->Poll(handle).state, RunState::kSucceeded);
}

TEST_F(LocalDriverTest, CancelBeforeTheSupervisorStartsMeansKilledAndNeverRuns) {
  std::vector<HeldLauncher::Call> held;
  auto driver = MakeDriver(std::make_unique<HeldLauncher>(&held));
  auto f = MakeLaunch(dir_, "touch ran");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(driver->Cancel(handle).ok());
  EXPECT_EQ(RunAndWait(held.at(0).argv), 0);
  EXPECT_FALSE(FileExists(handle + "/work/ran"));
  TaskStatus st = driver->Poll(handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  EXPECT_EQ(st.reason, "cancelled before it started");
  EXPECT_TRUE(driver->VoidIfUnclaimed(handle).ok());  // never ran either way
}

TEST_F(LocalDriverTest, SecondSupervisorOnTheSameTaskDoesNothing) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo once >> runs.txt; sleep 1000");
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(handle + "/work/runs.txt", "once"));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  std::string claim = ReadFileOrEmpty(handle + "/claim");
  std::string started = ReadFileOrEmpty(handle + "/started");

  EXPECT_EQ(RunAndWait({SupervisorBinary(), "supervise", handle}), 0);
  EXPECT_EQ(ReadFileOrEmpty(handle + "/claim"), claim);
  EXPECT_EQ(ReadFileOrEmpty(handle + "/started"), started);
  EXPECT_EQ(driver->Poll(handle).state, RunState::kRunning);

  ASSERT_TRUE(driver->Cancel(handle).ok());
  ASSERT_EQ(WaitTerminal(*driver, handle).state, RunState::kKilled);
  std::string exit_json = ReadFileOrEmpty(handle + "/exit.json");
  // Nor does one that comes after the end.
  EXPECT_EQ(RunAndWait({SupervisorBinary(), "supervise", handle}), 0);
  EXPECT_EQ(ReadFileOrEmpty(handle + "/exit.json"), exit_json);
  EXPECT_EQ(ReadFileOrEmpty(handle + "/work/runs.txt"), "once\n");
}

TEST_F(LocalDriverTest, UnclaimedTaskIsLaunchingThenLostAfterTheGrace) {
  std::vector<HeldLauncher::Call> held;
  auto driver = MakeDriver(std::make_unique<HeldLauncher>(&held));
  auto f = MakeLaunch(dir_, "true");
  std::string handle = LaunchOne(*driver, *f);
  EXPECT_EQ(driver->Poll(handle).state, RunState::kLaunching);
  clock_.Advance(29 * kMicrosPerSecond);
  EXPECT_EQ(driver->Poll(handle).state, RunState::kLaunching);
  clock_.Advance(2 * kMicrosPerSecond);
  TaskStatus st = driver->Poll(handle);
  EXPECT_EQ(st.state, RunState::kLost);
  EXPECT_THAT(st.reason, StartsWith("no supervisor claimed the task within 30 s"));
}

TEST_F(LocalDriverTest, WorkdirAndFileMountsAreStagedIntoTheCwd) {
  namespace fs = std::filesystem;
  std::string base = dir_.Sub("project");
  fs::create_directories(base + "/train/sub");
  fs::create_directories(base + "/data");
  fs::create_directories(base + "/conf");
  std::ofstream(base + "/train/main.txt") << "workdir file\n";
  std::ofstream(base + "/train/sub/deep.txt") << "deep file\n";
  std::ofstream(base + "/data/a.txt") << "data file\n";
  std::ofstream(base + "/conf/x.txt") << "config file\n";
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_,
                      "cat main.txt sub/deep.txt \"$SKYRUN_MOUNT_ROOT/data/a.txt\" cfg/x.txt; "
                      "test \"$PWD\" = \"$SKYRUN_MOUNT_ROOT\" && echo cwd-ok");
  f->spec.base_dir = base;
  f->spec.workdir = "train";
  f->spec.file_mounts = {{"/data", "data"}, {"cfg/x.txt", base + "/conf/x.txt"}};
  std::string handle = LaunchOne(*driver, *f);
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason << ReadFileOrEmpty(driver->LogPath(handle));
  EXPECT_EQ(ReadFileOrEmpty(driver->LogPath(handle)),
            "workdir file\ndeep file\ndata file\nconfig file\ncwd-ok\n");
}

TEST_F(LocalDriverTest, MissingWorkdirFailsTheLaunchWithThePath) {
  std::vector<HeldLauncher::Call> held;
  auto driver = MakeDriver(std::make_unique<HeldLauncher>(&held));
  auto f = MakeLaunch(dir_, "true");
  f->spec.base_dir = dir_.path();
  f->spec.workdir = "no-such-dir";
  Result<std::vector<std::string>> handles = driver->Launch(f->launch);
  ASSERT_FALSE(handles.ok());
  EXPECT_EQ(handles.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(handles.status().message(), HasSubstr("workdir no-such-dir does not exist"));
  EXPECT_TRUE(held.empty());  // nothing started
}

TEST_F(LocalDriverTest, GangStartsOneSupervisedTaskPerRank) {
  auto driver = MakeDriver();
  auto f = MakeLaunch(dir_, "echo rank $RANK of $WORLD_SIZE");
  TaskLaunch second = f->launch.tasks[0];
  second.rank = 1;
  second.placement.gpu_indices = {1, 3};
  f->launch.tasks[0].env = {{"RANK", "0"}, {"WORLD_SIZE", "2"}};
  second.env = {{"RANK", "1"}, {"WORLD_SIZE", "2"}};
  second.run = "echo rank $RANK of $WORLD_SIZE on gpus $CUDA_VISIBLE_DEVICES";
  f->launch.tasks.push_back(second);
  Result<std::vector<std::string>> handles = driver->Launch(f->launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  ASSERT_EQ(handles->size(), 2u);
  EXPECT_EQ((*handles)[1], dir_.Sub("jobs/7/attempt-1/rank-1"));
  TaskStatus first = WaitTerminal(*driver, (*handles)[0]);
  TaskStatus other = WaitTerminal(*driver, (*handles)[1]);
  EXPECT_EQ(first.state, RunState::kSucceeded);
  EXPECT_EQ(first.rank, 0);
  EXPECT_EQ(other.state, RunState::kSucceeded);
  EXPECT_EQ(other.rank, 1);
  EXPECT_EQ(ReadFileOrEmpty(driver->LogPath((*handles)[0])), "rank 0 of 2\n");
  EXPECT_EQ(ReadFileOrEmpty(driver->LogPath((*handles)[1])), "rank 1 of 2 on gpus 1,3\n");
}

TEST_F(LocalDriverTest, TheSameAttemptIsNeverLaunchedTwice) {
  std::vector<HeldLauncher::Call> held;
  auto driver = MakeDriver(std::make_unique<HeldLauncher>(&held));
  auto f = MakeLaunch(dir_, "true");
  ASSERT_TRUE(driver->Launch(f->launch).ok());
  Result<std::vector<std::string>> again = driver->Launch(f->launch);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(held.size(), 1u);
}

TEST_F(LocalDriverTest, ImageWithoutARuntimeIsRefusedWithTheReason) {
  auto driver = MakeDriver();
  JobSpec spec;
  spec.run = "python train.py";
  EXPECT_TRUE(driver->CanRun(spec).ok());
  spec.image = "registry.example.org/ml/pytorch:2.3";
  Status refused = driver->CanRun(spec);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      refused.message(),
      "no container runtime is configured for the local pool; set local.runtime in the server config or "
      "drop `image`");
  spec.image.clear();
  spec.roles.push_back(Role{"worker", 2, {}, "pytorch:2.3", ""});
  EXPECT_EQ(driver->CanRun(spec).code(), StatusCode::kFailedPrecondition);

  auto f = MakeLaunch(dir_, "true");
  f->launch.tasks[0].image = "pytorch:2.3";
  EXPECT_EQ(driver->Launch(f->launch).status().code(), StatusCode::kFailedPrecondition);

  LocalPoolConfig with_runtime = TestPoolConfig(dir_);
  with_runtime.runtime = "podman";
  Result<std::unique_ptr<LocalDriver>> podman = LocalDriver::Create(with_runtime, clock_);
  ASSERT_TRUE(podman.ok());
  EXPECT_TRUE((*podman)->CanRun(spec).ok());
}

TEST_F(LocalDriverTest, WithAnImageManagerImagesAreRunBySkyrunAndBadReferencesRefused) {
  auto images = image::ImageManager::Open(dir_.Sub("images"), {});
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  LocalPoolConfig config = TestPoolConfig(dir_);
  config.images = images->get();
  config.sandbox.enabled = true;  // images run inside it
  auto driver = LocalDriver::Create(config, clock_);
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  JobSpec spec;
  spec.image = "127.0.0.1:5000/ml/py:3.11";
  EXPECT_TRUE((*driver)->CanRun(spec).ok());
  spec.image = "127.0.0.1:5000/ML/py";
  Status bad = (*driver)->CanRun(spec);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("image: image reference '127.0.0.1:5000/ML/py'"), std::string::npos)
      << bad.message();
  spec.image.clear();
  spec.roles.push_back(Role{"worker", 2, {}, "UPPER", ""});
  EXPECT_NE((*driver)->CanRun(spec).message().find("roles.worker.image"), std::string::npos);

  // Images run inside the sandbox: without it they are refused.
  config.sandbox.enabled = false;
  auto unsandboxed = LocalDriver::Create(config, clock_);
  ASSERT_TRUE(unsandboxed.ok());
  spec.roles.clear();
  spec.image = "127.0.0.1:5000/ml/py:3.11";
  Status off = (*unsandboxed)->CanRun(spec);
  EXPECT_EQ(off.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(off.message().find("local.sandbox.enabled: false"), std::string::npos) << off.message();

  // A registry that is not there fails the launch, and starts nothing.
  auto f = MakeLaunch(dir_, "true");
  f->launch.tasks[0].image = "127.0.0.1:1/ml/py:3.11";
  auto launched = (*driver)->Launch(f->launch);
  ASSERT_FALSE(launched.ok());
  EXPECT_NE(launched.status().message().find("registry 127.0.0.1:1 could not be reached"), std::string::npos)
      << launched.status().message();
}

TEST_F(LocalDriverTest, InventoryListsTheDeclaredNodesAndGpus) {
  LocalPoolConfig config = TestPoolConfig(dir_);
  config.nodes[0].gpus = {{"A100-80GB", 81920, 2}, {"T4", 15360, 1}};
  config.nodes[0].attributes = {{"Region", "lab"}};
  LocalNodeConfig cpu_only;
  cpu_only.name = "node1";
  cpu_only.cpus_milli = 2500;
  cpu_only.memory_mib = 1024;
  config.nodes.push_back(cpu_only);
  config.price_per_gpu_hour = 1.5;
  config.price_per_cpu_hour = 0.05;
  Result<std::unique_ptr<LocalDriver>> driver = LocalDriver::Create(config, clock_);
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  Result<std::vector<Node>> nodes = (*driver)->Inventory();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  const Node& gpu_node = (*nodes)[0];
  EXPECT_EQ(gpu_node.name, "node0");
  EXPECT_EQ(gpu_node.backend, "local");
  EXPECT_EQ(gpu_node.cpus_milli.raw(), 4000);
  EXPECT_EQ(gpu_node.memory_mib.raw(), 8192);
  ASSERT_EQ(gpu_node.gpus.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gpu_node.gpus[i].index, i);
  EXPECT_EQ(gpu_node.gpus[1].model, "A100-80GB");
  EXPECT_EQ(gpu_node.gpus[1].memory_mb.raw(), 81920);
  EXPECT_EQ(gpu_node.gpus[2].model, "T4");
  EXPECT_EQ(gpu_node.attributes.at("Region"), "lab");
  EXPECT_EQ(gpu_node.attributes.at("Provider"), "local");
  EXPECT_DOUBLE_EQ(gpu_node.price_per_gpu_hour, 1.5);
  EXPECT_DOUBLE_EQ(gpu_node.price_per_cpu_hour, 0.05);
  EXPECT_TRUE((*nodes)[1].gpus.empty());
  EXPECT_EQ((*nodes)[1].cpus_milli.raw(), 2500);
  // The note always says where limits stand on this machine.
  CgroupSupport expected = DescribeCgroupSupport(ProbeCgroupFacts("/sys/fs/cgroup"));
  EXPECT_EQ(gpu_node.limits_enforced, expected.enforced);
  EXPECT_EQ(gpu_node.limits_note, expected.note);
  if (!gpu_node.limits_enforced) {
    EXPECT_THAT(gpu_node.limits_note, HasSubstr("limits are not enforced"));
  }
}

TEST_F(LocalDriverTest, WithoutDeclaredNodesTheMachineItselfIsTheNode) {
  LocalPoolConfig config = TestPoolConfig(dir_);
  config.nodes.clear();
  Result<std::unique_ptr<LocalDriver>> driver = LocalDriver::Create(config, clock_);
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  Result<std::vector<Node>> nodes = (*driver)->Inventory();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  const Node& node = (*nodes)[0];
  EXPECT_EQ(node.name, "local");
  Result<std::string> nproc = RunAndCapture({"nproc"});  // coreutils reads the affinity mask too
  ASSERT_TRUE(nproc.ok());
  EXPECT_EQ(node.cpus_milli.raw(), *ParseInt64(Trim(*nproc)) * 1000);
  EXPECT_GT(node.memory_mib.raw(), 0);
  EXPECT_EQ(node.memory_mib.raw(), *ParseMemInfoTotalMiB(ReadFileOrEmpty("/proc/meminfo")));
  if (FindOnPath("nvidia-smi").empty()) {
    EXPECT_TRUE(node.gpus.empty());
  }
}

TEST_F(LocalDriverTest, BadConfigIsRefusedWithWhatToFix) {
  LocalPoolConfig config = TestPoolConfig(dir_);
  config.runtime = "podmn";
  Result<std::unique_ptr<LocalDriver>> driver = LocalDriver::Create(config, clock_);
  ASSERT_FALSE(driver.ok());
  EXPECT_THAT(driver.status().message(), HasSubstr("did you mean 'podman'"));

  config = TestPoolConfig(dir_);
  config.nodes.push_back(config.nodes[0]);
  driver = LocalDriver::Create(config, clock_);
  ASSERT_FALSE(driver.ok());
  EXPECT_THAT(driver.status().message(), HasSubstr("'node0' is used twice"));

  config = TestPoolConfig(dir_);
  config.supervisor_binary = dir_.Sub("no-such-binary");
  driver = LocalDriver::Create(config, clock_);
  ASSERT_FALSE(driver.ok());
  EXPECT_THAT(driver.status().message(), HasSubstr("local.supervisor_binary"));
}

TEST_F(LocalDriverTest, PollOfAMissingTaskDirectoryIsLost) {
  auto driver = MakeDriver();
  TaskStatus st = driver->Poll(dir_.Sub("nowhere"));
  EXPECT_EQ(st.state, RunState::kLost);
  EXPECT_THAT(st.reason, HasSubstr(dir_.Sub("nowhere")));
  EXPECT_EQ(driver->Cancel(dir_.Sub("nowhere")).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skyrun
