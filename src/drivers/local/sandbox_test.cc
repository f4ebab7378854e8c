// The local sandbox attacked from inside a task: LocalDriver with real
// supervisors, real bubblewrap and (where the test runs as root) a real uid
// drop. Each test is what a hostile job would try (issue 10, items 1 and 2).
#include "drivers/local/sandbox.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/strings.h"
#include "drivers/local/local_driver.h"
#include "drivers/local/local_test_util.h"

namespace skyrun {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing_local;
namespace fs = std::filesystem;

constexpr int kNobody = 65534;

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

// Every live process whose argv contains `marker` (zombies do not count).
std::vector<pid_t> ProcessesWith(const std::string& marker) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::optional<int64_t> pid = ParseInt64(entry.path().filename().string());
    if (!pid) continue;
    std::string cmdline = ReadFileOrEmpty(entry.path().string() + "/cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(marker) != std::string::npos && ProcessAlive(static_cast<pid_t>(*pid))) {
      out.push_back(static_cast<pid_t>(*pid));
    }
  }
  return out;
}

// Waits (hang guard only) until no process carries `marker`; kills them after.
bool WaitMarkerGone(const std::string& marker) {
  for (int i = 0; i < 1000; ++i) {
    if (ProcessesWith(marker).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (pid_t pid : ProcessesWith(marker)) ::kill(pid, SIGKILL);
  return false;
}

// A `sleep` argument no other process has: 90000.<random digits>.
std::string UniqueSleep() {
  std::random_device rd;
  return "9" + std::to_string(10000 + rd() % 80000) + "." + std::to_string(100000 + rd() % 800000);
}

class SandboxTest : public ::testing::Test {
 protected:
  SandboxTest() {
    // Open to everyone: what the task cannot see below is hidden by the
    // sandbox, not merely closed by permissions.
    ::chmod(dir_.path().c_str(), 0755);
    config_ = TestPoolConfig(dir_);
    config_.sandbox.enabled = true;
    config_.sandbox.default_uid = kNobody;
  }

  std::unique_ptr<LocalDriver> MakeDriver() {
    Result<std::unique_ptr<LocalDriver>> driver = LocalDriver::Create(config_, clock_);
    EXPECT_TRUE(driver.ok()) << driver.status().ToString();
    return driver.ok() ? std::move(*driver) : nullptr;
  }

  // A launch laid out as the server does: the job under STATE/jobs/<id>, its
  // checkpoints beside its attempts.
  std::unique_ptr<LaunchFixture> MakeServerLaunch(const std::string& run, int64_t job = 7) {
    auto f = MakeLaunch(dir_, run);
    f->launch.job_id = JobId(job);
    f->launch.job_dir = config_.state_dir + "/jobs/" + std::to_string(job);
    f->launch.checkpoint_dir = f->launch.job_dir + "/checkpoints";
    return f;
  }

  std::string LaunchOne(LocalDriver& driver, const LaunchFixture& f) {
    Result<std::vector<std::string>> handles = driver.Launch(f.launch);
    EXPECT_TRUE(handles.ok()) << handles.status().ToString();
    if (!handles.ok() || handles->size() != 1) return "";
    return handles->front();
  }

  // Runs `run` to its end; returns its log.
  std::string RunToEnd(const std::string& run, TaskStatus* status = nullptr) {
    auto driver = MakeDriver();
    if (!driver) return "";
    auto f = MakeServerLaunch(run, next_job_++);
    std::string handle = LaunchOne(*driver, *f);
    TaskStatus st = WaitTerminal(*driver, handle);
    if (status) *status = st;
    return ReadFileOrEmpty(driver->LogPath(handle));
  }

  TempDir dir_;
  int64_t next_job_ = 7;
  LocalPoolConfig config_;
  SimulatedClock clock_{1'700'000'000 * kMicrosPerSecond};
};

TEST_F(SandboxTest, Item1_TaskRunsAsTheUnprivilegedTaskUser) {
  TaskStatus st;
  std::string log = RunToEnd("echo uid=$(id -u) gid=$(id -g) home=$HOME", &st);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason << "\n" << log;
  if (::geteuid() == 0) {
    EXPECT_THAT(log, HasSubstr("uid=65534 gid=65534"));
  } else {
    EXPECT_THAT(log, HasSubstr("uid=" + std::to_string(::geteuid())));
  }
}

TEST_F(SandboxTest, Item1_TaskCannotReadARootOnlyFileOutsideItsDirectories) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the task must run as another uid than the file's owner";
  // Outside /tmp (the task's /tmp is private) and outside the state.
  std::string outside = "/var/tmp/skyrun-sandbox-test-" + std::to_string(::getpid());
  WriteFile(outside + "/root-only", "ROOT-ONLY-SECRET\n", 0600);
  ::chmod(outside.c_str(), 0755);
  TaskStatus st;
  std::string log = RunToEnd("cat " + outside + "/root-only; echo rc=$?", &st);
  fs::remove_all(outside);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_THAT(log, Not(HasSubstr("ROOT-ONLY-SECRET")));
  EXPECT_THAT(log, HasSubstr("rc=1"));
}

TEST_F(SandboxTest, Item1_TaskCannotSeeTheStateDirectoryNorOtherJobs) {
  const std::string state = config_.state_dir;
  // World-readable on purpose: only the sandbox keeps them from the task.
  WriteFile(state + "/admin.token", "ADMIN-TOKEN-SECRET\n", 0644);
  WriteFile(state + "/state.db", "DATABASE-SECRET\n", 0644);
  WriteFile(state + "/jobs/8/attempt-1/rank-0/output.log", "OTHER-LOG-SECRET\n", 0644);
  WriteFile(state + "/jobs/8/attempt-1/rank-0/work/data", "OTHER-WORK-SECRET\n", 0644);
  WriteFile(state + "/jobs/8/checkpoints/ckpt", "OTHER-CKPT-SECRET\n", 0644);
  WriteFile(state + "/jobs/7/attempt-0/rank-0/task.json", "OWN-OLD-TASK-SECRET\n", 0644);
  TaskStatus st;
  std::string log = RunToEnd(
      "cat $SKYRUN_CHECKPOINT_DIR/../../../admin.token " + state + "/admin.token " + state + "/state.db " +
          state + "/jobs/8/attempt-1/rank-0/output.log " + state + "/jobs/8/attempt-1/rank-0/work/data " +
          state + "/jobs/8/checkpoints/ckpt $SKYRUN_CHECKPOINT_DIR/../../8/checkpoints/ckpt " +
          "$SKYRUN_CHECKPOINT_DIR/../attempt-0/rank-0/task.json ../task.json ../output.log; "
          "echo LS-BEGIN; ls -aR " +
          state + " | tr '\\n' ' '; echo LS-END; echo done",
      &st);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_THAT(log, HasSubstr("done"));
  for (const char* secret :
       {"ADMIN-TOKEN", "DATABASE", "OTHER-LOG", "OTHER-WORK", "OTHER-CKPT", "OWN-OLD-TASK"}) {
    EXPECT_THAT(log, Not(HasSubstr(std::string(secret) + "-SECRET"))) << log;
  }
  // What the task sees of the state: only the way to its own directories.
  size_t begin = log.find("LS-BEGIN"), end = log.find("LS-END");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string listing = log.substr(begin, end - begin);
  EXPECT_THAT(listing, Not(HasSubstr("admin.token")));
  EXPECT_THAT(listing, Not(HasSubstr("state.db")));
  EXPECT_THAT(listing, Not(HasSubstr(" 8 ")));
  EXPECT_THAT(listing, Not(HasSubstr("attempt-0")));
  EXPECT_THAT(listing, Not(HasSubstr("output.log")));
}

TEST_F(SandboxTest, Item1_TaskCanWriteOnlyItsWorkCheckpointAndPrivateTmp) {
  // A directory every uid may write to, outside the task: the read-only view
  // must stop the write, not the permissions.
  std::string open_dir = "/var/tmp/skyrun-sandbox-open-" + std::to_string(::getpid());
  fs::create_directories(open_dir);
  ::chmod(open_dir.c_str(), 01777);
  const std::string state = config_.state_dir;
  std::string host_tmp_marker = "/tmp/skyrun-sandbox-tmp-" + std::to_string(::getpid());
  TaskStatus st;
  std::string log =
      RunToEnd("for f in " + open_dir + "/x " + state + "/x $SKYRUN_CHECKPOINT_DIR/../x" +
                   " /etc/skyrun-x /usr/skyrun-x /var/tmp/skyrun-x; do "
                   "  (echo pwned > $f) 2>/dev/null && echo WROTE $f; done; "
                   // Under /tmp: it lands in the task's private /tmp, not on the host.
                   "echo private > " +
                   dir_.Sub("x") +
                   "; "
                   "echo ok > ./in-work && echo ok > $SKYRUN_CHECKPOINT_DIR/in-ckpt && echo ok > " +
                   host_tmp_marker + " && echo ok > /dev/shm/x && echo writes-ok",
               &st);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason << "\n" << log;
  EXPECT_THAT(log, Not(HasSubstr("WROTE")));
  EXPECT_THAT(log, HasSubstr("writes-ok"));
  EXPECT_FALSE(FileExists(open_dir + "/x"));
  EXPECT_FALSE(FileExists(state + "/x"));
  EXPECT_FALSE(FileExists(state + "/jobs/7/x"));
  EXPECT_FALSE(FileExists(dir_.Sub("x")));
  EXPECT_FALSE(FileExists(host_tmp_marker));  // its /tmp was its own
  fs::remove_all(open_dir);
  const std::string work = state + "/jobs/7/attempt-1/rank-0/work";
  EXPECT_EQ(ReadFileOrEmpty(work + "/in-work"), "ok\n");
  EXPECT_EQ(ReadFileOrEmpty(state + "/jobs/7/checkpoints/in-ckpt"), "ok\n");
  if (::geteuid() == 0) {
    struct stat st_work, st_ckpt;
    ASSERT_EQ(::stat(work.c_str(), &st_work), 0);
    ASSERT_EQ(::stat((state + "/jobs/7/checkpoints").c_str(), &st_ckpt), 0);
    EXPECT_EQ(st_work.st_uid, static_cast<uid_t>(kNobody));
    EXPECT_EQ(st_ckpt.st_uid, static_cast<uid_t>(kNobody));
    EXPECT_EQ(st_work.st_mode & 0777, 0700u);  // closed to other tenants' uids
    EXPECT_EQ(st_ckpt.st_mode & 0777, 0700u);
    // The task's own protocol files stay the server's.
    struct stat st_log;
    ASSERT_EQ(::stat((state + "/jobs/7/attempt-1/rank-0/output.log").c_str(), &st_log), 0);
    EXPECT_EQ(st_log.st_uid, 0u);
  }
}

TEST_F(SandboxTest, Item1_TaskSeesOnlyItsOwnProcesses) {
  std::string marker = UniqueSleep();
  pid_t outsider = ::fork();
  ASSERT_GE(outsider, 0);
  if (outsider == 0) {
    ::execl("/bin/sleep", "sleep", marker.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  TaskStatus st;
  std::string log = RunToEnd(
      "echo self=$$; for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done; ps -e -o pid,args",
      &st);
  ::kill(outsider, SIGKILL);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_THAT(log, Not(HasSubstr(marker)));
  EXPECT_THAT(log, Not(HasSubstr("local_supervisor_for_test")));
  EXPECT_THAT(log, Not(HasSubstr("drivers_local_test")));
  std::string self = log.substr(log.find("self=") + 5);
  std::optional<int64_t> pid = ParseInt64(Trim(self.substr(0, self.find('\n'))));
  ASSERT_TRUE(pid.has_value()) << log;
  EXPECT_LE(*pid, 3);  // a fresh PID namespace: bwrap's init is 1
}

TEST_F(SandboxTest, Item2_Kill9OfTheSupervisorLeavesNoTaskProcess) {
  auto driver = MakeDriver();
  ASSERT_TRUE(driver);
  std::string bg = UniqueSleep(), detached = UniqueSleep(), main = UniqueSleep();
  auto f = MakeServerLaunch("sleep " + bg + " & setsid sleep " + detached + " & echo up; sleep " + main);
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "up"));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  for (int i = 0; i < 500 && ProcessesWith(detached).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(ProcessesWith(bg).empty());
  ASSERT_FALSE(ProcessesWith(detached).empty());
  ASSERT_EQ(::kill(ClaimPid(handle), SIGKILL), 0);
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kLost));
  // Nobody cancelled anything: the namespace died with its supervisor.
  EXPECT_TRUE(WaitMarkerGone(bg));
  EXPECT_TRUE(WaitMarkerGone(detached));
  EXPECT_TRUE(WaitMarkerGone(main));
  // Cancel of the LOST task still answers (nothing is left to kill).
  EXPECT_TRUE(driver->Cancel(handle).ok());
  EXPECT_EQ(driver->Poll(handle).state, RunState::kLost);
}

TEST_F(SandboxTest, Item2_SetsidChildIsKilledByCancel) {
  auto driver = MakeDriver();
  ASSERT_TRUE(driver);
  std::string detached = UniqueSleep();
  auto f = MakeServerLaunch("setsid sleep " + detached + " & echo up; sleep 1000");
  f->launch.kill_grace_seconds = 30;
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "up"));
  for (int i = 0; i < 500 && ProcessesWith(detached).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(ProcessesWith(detached).empty());
  ASSERT_TRUE(driver->Cancel(handle).ok());
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  // SIGTERM reached the task (no wait for the 30 s grace).
  EXPECT_EQ(st.reason, "cancelled: stopped by SIGTERM");
  // exit.json is written after the namespace is gone: nothing is left now.
  EXPECT_TRUE(ProcessesWith(detached).empty());
  EXPECT_TRUE(WaitMarkerGone(detached));
}

TEST_F(SandboxTest, Item2_SetsidChildDiesWhenTheMainProcessExits) {
  std::string detached = UniqueSleep();
  TaskStatus st;
  std::string log = RunToEnd("setsid sleep " + detached + " & sleep 0.2; echo main-done", &st);
  EXPECT_EQ(st.state, RunState::kSucceeded) << st.reason;
  EXPECT_THAT(log, HasSubstr("main-done"));
  EXPECT_TRUE(ProcessesWith(detached).empty());
  EXPECT_TRUE(WaitMarkerGone(detached));
}

TEST_F(SandboxTest, Item1_SandboxedTaskKeepsItsGraceExitCodesAndSignals) {
  TaskStatus st;
  RunToEnd("exit 75", &st);
  EXPECT_EQ(st.state, RunState::kFailed);
  EXPECT_EQ(st.exit_code, 75);
  RunToEnd("kill -SEGV $$", &st);
  EXPECT_EQ(st.exit_code, 128 + SIGSEGV);
  EXPECT_EQ(st.reason, "killed by SIGSEGV");

  // Cancel: SIGTERM reaches the task, which may save its state in the grace.
  auto driver = MakeDriver();
  ASSERT_TRUE(driver);
  auto f = MakeServerLaunch(
      "trap 'sleep 0.3; echo saved > $SKYRUN_CHECKPOINT_DIR/on-term; exit 7' TERM; echo ready; sleep 1000 & "
      "wait",
      next_job_++);
  f->launch.kill_grace_seconds = 30;
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "ready"));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  ASSERT_TRUE(driver->Cancel(handle).ok());
  st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  EXPECT_EQ(st.exit_code, 7);
  EXPECT_EQ(ReadFileOrEmpty(f->launch.checkpoint_dir + "/on-term"), "saved\n");
}

TEST_F(SandboxTest, Item1_TaskIgnoringSigtermIsKilledAfterTheGrace) {
  auto driver = MakeDriver();
  ASSERT_TRUE(driver);
  auto f = MakeServerLaunch("trap '' TERM; echo ready; sleep 1000");
  f->launch.kill_grace_seconds = 1;
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_TRUE(WaitFileContains(driver->LogPath(handle), "ready"));
  ASSERT_TRUE(WaitState(*driver, handle, RunState::kRunning));
  ASSERT_TRUE(driver->Cancel(handle).ok());
  TaskStatus st = WaitTerminal(*driver, handle);
  EXPECT_EQ(st.state, RunState::kKilled);
  EXPECT_EQ(st.reason, "cancelled: killed by SIGKILL after the 1 s grace period");
}

TEST_F(SandboxTest, Item1_WithoutBubblewrapTheDriverRefusesToStart) {
  config_.sandbox.bwrap = dir_.Sub("no-such-bwrap");
  Result<std::unique_ptr<LocalDriver>> driver = LocalDriver::Create(config_, clock_);
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(driver.status().message(), HasSubstr("bubblewrap"));
  EXPECT_THAT(driver.status().message(), HasSubstr("enabled: false"));
  config_.sandbox.enabled = false;  // the documented, unsafe way out
  EXPECT_TRUE(LocalDriver::Create(config_, clock_).ok());
}

TEST(SandboxUidTest, Item1_EachTenantGetsItsOwnUidFromTheRange) {
  LocalSandboxConfig c;
  EXPECT_EQ(*TaskUidFor(c, TenantId(3), "a"), 65534);  // default: nobody
  c.task_uid_range = std::make_pair(int64_t{200000}, int64_t{200010});
  EXPECT_EQ(*TaskUidFor(c, TenantId(3), "a"), 200003);
  EXPECT_EQ(*TaskUidFor(c, TenantId(4), "b"), 200004);
  c.tenant_uids["b"] = 1234;
  EXPECT_EQ(*TaskUidFor(c, TenantId(4), "b"), 1234);
  Result<int64_t> beyond = TaskUidFor(c, TenantId(11), "c");
  ASSERT_FALSE(beyond.ok());
  EXPECT_THAT(beyond.status().message(), HasSubstr("task_uid_range"));
}

TEST_F(SandboxTest, Item1_TenantsDirectoriesAreClosedToEachOthersUids) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: uids per tenant";
  config_.sandbox.task_uid_range = std::make_pair(int64_t{230000}, int64_t{230100});
  auto driver = MakeDriver();
  ASSERT_TRUE(driver);
  auto b = MakeServerLaunch("echo B-SECRET > $SKYRUN_CHECKPOINT_DIR/b; echo B-SECRET > ./b", 8);
  b->launch.tenant_id = TenantId(2);
  b->launch.tenant = "b";
  std::string b_handle = LaunchOne(*driver, *b);
  ASSERT_EQ(WaitTerminal(*driver, b_handle).state, RunState::kSucceeded);
  struct stat st;
  ASSERT_EQ(::stat(b->launch.checkpoint_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 230002u);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // Tenant A's task, as its own uid, with the paths in hand (the sandbox
  // hides them; the uid would stop it even if they were bound in).
  auto a = MakeServerLaunch(
      "id -u; cat " + b->launch.checkpoint_dir + "/b " + b_handle + "/work/b; echo rc=$?", 9);
  a->launch.tenant_id = TenantId(1);
  a->launch.tenant = "a";
  std::string a_handle = LaunchOne(*driver, *a);
  ASSERT_EQ(WaitTerminal(*driver, a_handle).state, RunState::kSucceeded);
  std::string log = ReadFileOrEmpty(driver->LogPath(a_handle));
  EXPECT_THAT(log, HasSubstr("230001"));
  EXPECT_THAT(log, Not(HasSubstr("B-SECRET")));
}

// The command line itself: the system read-only first, then the private
// mounts, the hidden directories, the writable ones bound back into them, and
// the hidden ones made read-only again (so that they are no scratch space).
TEST(SandboxPlanTest, Item1_BwrapHidesTheStateAndBindsOnlyTheTasksDirectoriesBack) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::filesystem::create_directories(dir.Sub("state/jobs/7/checkpoints"));
  std::filesystem::create_directories(dir.Sub("state/jobs/7/attempt-1/rank-0/work"));
  TaskSandbox sb;
  sb.enabled = true;
  sb.hidden = {dir.Sub("state"), dir.Sub("state/jobs/7"), dir.Sub("state/jobs/7/attempt-1"),
               dir.Sub("absent")};
  sb.writable = {dir.Sub("state/jobs/7/attempt-1/rank-0/work"), dir.Sub("state/jobs/7/checkpoints")};
  Result<SandboxPlan> plan =
      PlanSandbox(sb, /*running_as_root=*/false, sb.writable[0], {"/bin/bash", "-c", "x"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->drop_user);
  EXPECT_TRUE(plan->root_tmpfs.empty());
  std::string argv = Join(plan->argv, " ");
  EXPECT_THAT(argv, HasSubstr("--die-with-parent --unshare-pid --unshare-ipc --ro-bind / / --dev /dev"));
  EXPECT_THAT(argv, HasSubstr("--proc /proc --tmpfs /tmp --tmpfs " + dir.Sub("state") + " --bind"));
  EXPECT_THAT(argv, HasSubstr("--bind " + sb.writable[0] + " " + sb.writable[0]));
  EXPECT_THAT(argv, HasSubstr("--bind " + sb.writable[1] + " " + sb.writable[1]));
  EXPECT_THAT(argv, HasSubstr("--remount-ro " + dir.Sub("state") + " --chdir " + sb.writable[0] +
                              " -- /bin/bash -c x"));
  EXPECT_THAT(argv, Not(HasSubstr("--tmpfs " + dir.Sub("state/jobs"))));  // nested: already hidden
  EXPECT_THAT(argv, Not(HasSubstr("absent")));                            // nothing to hide there

  // As root: the uid is dropped, and a closed ancestor is hidden in its place.
  ::chmod(dir.path().c_str(), 0700);
  sb.uid = sb.gid = kNobody;
  plan = PlanSandbox(sb, /*running_as_root=*/true, sb.writable[0], {"/bin/true"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->drop_user);
  EXPECT_EQ(plan->uid, static_cast<uid_t>(kNobody));
  EXPECT_EQ(plan->root_tmpfs, std::vector<std::string>{dir.path()});
  EXPECT_EQ(plan->root_binds, sb.writable);
  sb.uid = sb.gid = -1;
  EXPECT_FALSE(PlanSandbox(sb, /*running_as_root=*/true, sb.writable[0], {"/bin/true"}).ok());
}

TEST(SandboxPlanTest, ImageTreeIsTheReadOnlyRootAndNothingOfTheHostIsBound) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string rootfs = dir.Sub("state/images/rootfs/abc");
  fs::create_directories(rootfs + "/usr/bin");
  fs::create_directories(rootfs + "/var/lib/apt");
  fs::create_directories(rootfs + "/proc");
  fs::create_directories(rootfs + "/tmp");
  fs::create_symlink("usr/bin", rootfs + "/bin");
  std::ofstream(rootfs + "/etc-file") << "x";
  // A writable directory whose ancestors exist in the image (/var/lib): the
  // image's /var and /var/lib are laid out entry by entry, not bound whole.
  const std::string work = "/var/lib/skyrun-test-state/jobs/1/attempt-1/rank-0/work";
  TaskSandbox sb;
  sb.enabled = true;
  sb.rootfs = rootfs;
  sb.hidden = {dir.Sub("state")};
  sb.writable = {work};
  Result<SandboxPlan> plan = PlanSandbox(sb, /*running_as_root=*/false, work, {"/bin/sh", "-c", "x"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::string argv = Join(plan->argv, " ");
  EXPECT_THAT(argv, HasSubstr("--symlink usr/bin /bin"));
  EXPECT_THAT(argv, HasSubstr("--ro-bind " + rootfs + "/usr /usr"));
  EXPECT_THAT(argv, HasSubstr("--ro-bind " + rootfs + "/etc-file /etc-file"));
  EXPECT_THAT(argv, HasSubstr("--dir /var --dir /var/lib --ro-bind " + rootfs + "/var/lib/apt /var/lib/apt"));
  EXPECT_THAT(argv, Not(HasSubstr("--ro-bind / /")));
  EXPECT_THAT(argv, Not(HasSubstr(rootfs + "/proc")));
  EXPECT_THAT(argv, Not(HasSubstr(rootfs + "/tmp")));
  EXPECT_THAT(argv, Not(HasSubstr("--tmpfs " + dir.Sub("state"))));  // nothing of the host to hide
  EXPECT_THAT(argv, HasSubstr("--proc /proc --tmpfs /tmp --bind " + work + " " + work +
                              " --remount-ro / --chdir " + work + " -- /bin/sh -c x"));
  EXPECT_THAT(argv, Not(HasSubstr("--unshare-user")));
  // The image's User: a user namespace of the task's own, with its ids.
  sb.image_uid = 4242;
  sb.image_gid = 0;
  plan = PlanSandbox(sb, /*running_as_root=*/false, work, {"/bin/sh", "-c", "x"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(Join(plan->argv, " "), HasSubstr("--unshare-ipc --unshare-user --uid 4242 --gid 0 "));
  sb.image_uid = sb.image_gid = -1;

  // As root with the state closed to the task's uid: the tree is bound back
  // into the hiding tmpfs, like the writable directories.
  ::chmod(dir.path().c_str(), 0700);
  sb.uid = sb.gid = kNobody;
  plan = PlanSandbox(sb, /*running_as_root=*/true, work, {"/bin/true"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->root_tmpfs, std::vector<std::string>{dir.path()});
  EXPECT_EQ(plan->root_binds, std::vector<std::string>{rootfs});

  // A tree that is gone is a clear failure, not an empty root.
  sb.rootfs = dir.Sub("state/images/rootfs/gone");
  Result<SandboxPlan> gone = PlanSandbox(sb, /*running_as_root=*/true, work, {"/bin/true"});
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.status().message(), HasSubstr("is missing"));
}

// Volumes: bound after the writable directories (their targets lie in the
// work directory), read-only where asked, and reachable by the task's uid
// through the hidden state (bound back by the root child).
TEST(SandboxPlanTest, VolumesAreBoundAfterTheWorkDirAndBackThroughTheHiddenState) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("state/volumes/a/data/v"));
  std::filesystem::create_directories(dir.Sub("state/jobs/7/attempt-1/rank-0/work"));
  TaskSandbox sb;
  sb.enabled = true;
  sb.hidden = {dir.Sub("state")};
  sb.writable = {dir.Sub("state/jobs/7/attempt-1/rank-0/work")};
  sb.binds = {{dir.Sub("state/volumes/a/data/v"), sb.writable[0] + "/data", true},
              {dir.Sub("state/volumes/a/data/v"), sb.writable[0] + "/rw", false}};
  Result<SandboxPlan> plan = PlanSandbox(sb, /*running_as_root=*/false, sb.writable[0], {"/bin/true"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::string argv = Join(plan->argv, " ");
  const std::string work_bind = "--bind " + sb.writable[0] + " " + sb.writable[0];
  const std::string ro = "--ro-bind " + sb.binds[0].source + " " + sb.binds[0].target;
  const std::string rw = "--bind " + sb.binds[1].source + " " + sb.binds[1].target;
  ASSERT_THAT(argv, HasSubstr(ro));
  ASSERT_THAT(argv, HasSubstr(rw));
  EXPECT_LT(argv.find(work_bind), argv.find(ro));
  EXPECT_LT(argv.find(ro), argv.find("--remount-ro"));

  ::chmod(dir.path().c_str(), 0700);
  sb.uid = sb.gid = kNobody;
  plan = PlanSandbox(sb, /*running_as_root=*/true, sb.writable[0], {"/bin/true"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(plan->root_binds, ::testing::Contains(sb.binds[0].source));

  sb.binds = {{"relative", "/x", false}};
  EXPECT_FALSE(PlanSandbox(sb, false, sb.writable[0], {"/bin/true"}).ok());
  sb.binds = {{"/x", "/", false}};
  EXPECT_FALSE(PlanSandbox(sb, false, sb.writable[0], {"/bin/true"}).ok());
}

// A task reads a read-only volume and cannot write it; writes a read-write
// one; the volume lands at its path under the work directory.
TEST_F(SandboxTest, VolumesAreMountedReadOnlyOrWritable) {
  std::filesystem::create_directories(config_.state_dir + "/volumes/t/data/ro");
  std::filesystem::create_directories(config_.state_dir + "/volumes/t/meta");
  std::filesystem::create_directories(config_.state_dir + "/volumes/t/data/rw");
  WriteFile(config_.state_dir + "/volumes/t/data/ro/in", "VOLUME-IN\n", 0644);
  std::ofstream(config_.state_dir + "/volumes/t/meta/ro.json") << R"({"size_bytes": 0})";
  std::ofstream(config_.state_dir + "/volumes/t/meta/rw.json") << R"({"size_bytes": 0})";
  auto driver = MakeDriver();
  ASSERT_TRUE(driver);
  auto f = MakeServerLaunch(
      "cat $SKYRUN_MOUNT_ROOT/in/in; (echo x > $SKYRUN_MOUNT_ROOT/in/new) 2>/dev/null && echo WROTE-RO; "
      "echo OUT > $SKYRUN_MOUNT_ROOT/out/result && echo wrote-rw; ls " +
      config_.state_dir + "/volumes 2>&1; echo end");
  f->spec.volumes = {{"ro", "/in", true}, {"rw", "/out", false}};
  f->launch.tenant = "t";
  std::string handle = LaunchOne(*driver, *f);
  ASSERT_EQ(WaitTerminal(*driver, handle).state, RunState::kSucceeded)
      << ReadFileOrEmpty(driver->LogPath(handle));
  std::string log = ReadFileOrEmpty(driver->LogPath(handle));
  EXPECT_THAT(log, HasSubstr("VOLUME-IN"));
  EXPECT_THAT(log, Not(HasSubstr("WROTE-RO")));
  EXPECT_THAT(log, HasSubstr("wrote-rw"));
  EXPECT_THAT(log, Not(HasSubstr("meta")));  // the volumes' directory is hidden
  EXPECT_EQ(ReadFileOrEmpty(config_.state_dir + "/volumes/t/data/rw/result"), "OUT\n");
  EXPECT_FALSE(std::filesystem::exists(config_.state_dir + "/volumes/t/data/ro/new"));
}

}  // namespace
}  // namespace skyrun
