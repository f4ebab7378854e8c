#include "drivers/local/task_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <tuple>

#include "drivers/local/local_test_util.h"

namespace skyrun {
namespace {

using testing_local::TempDir;

TEST(TaskFilesTest, TaskFileRoundTrips) {
  TaskFile t;
  t.job_id = "42";
  t.attempt_no = 3;
  t.rank = 2;
  t.role = "worker";
  t.cwd = "/x/work";
  t.log_path = "/x/output.log";
  t.setup_argv = {"/bin/bash", "-c", "pip install -r requirements.txt"};
  t.run_argv = {"/bin/bash", "-c", "echo \"quoted\" 'and' $VAR"};
  t.env = {{"A", "1"}, {"B", "two words"}};
  t.grace_seconds = 7;
  t.time_limit_seconds = 3600;
  t.limits = {2500, 4096, "/sys/fs/cgroup/skyrun"};
  t.launched_at = 123456789;
  Result<TaskFile> back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->job_id, "42");
  EXPECT_EQ(back->attempt_no, 3);
  EXPECT_EQ(back->rank, 2);
  EXPECT_EQ(back->role, "worker");
  EXPECT_EQ(back->setup_argv, t.setup_argv);
  EXPECT_EQ(back->run_argv, t.run_argv);
  EXPECT_EQ(back->env, t.env);
  EXPECT_EQ(back->grace_seconds, 7);
  EXPECT_EQ(back->time_limit_seconds, 3600);
  EXPECT_EQ(back->limits.cpus_milli, 2500);
  EXPECT_EQ(back->limits.memory_mib, 4096);
  EXPECT_EQ(back->limits.cgroup_parent, "/sys/fs/cgroup/skyrun");
  EXPECT_EQ(back->launched_at, 123456789);

  t.time_limit_seconds.reset();
  back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->time_limit_seconds.has_value());
}

TEST(TaskFilesTest, WhatWasMovedRoundTripsAndNegativeFiguresAreRefused) {
  TaskFile t;
  t.job_id = "1";
  t.cwd = "/x";
  t.log_path = "/x/log";
  t.run_argv = {"true"};
  t.moved.in_bytes = int64_t{5} << 33;
  t.moved.in_cached_bytes = 7;
  t.moved.in_micros = 11;
  t.moved.image_bytes = 13;
  t.moved.image_micros = 17;
  t.moved.in_by_location = {{"aws/us-east-1", int64_t{5} << 33}};
  Result<TaskFile> back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->moved.in_bytes, int64_t{5} << 33);
  EXPECT_EQ(back->moved.in_cached_bytes, 7);
  EXPECT_EQ(back->moved.in_micros, 11);
  EXPECT_EQ(back->moved.image_bytes, 13);
  EXPECT_EQ(back->moved.image_micros, 17);
  EXPECT_EQ(back->moved.in_by_location, t.moved.in_by_location);

  DataMoved out;
  out.out_bytes = 19;
  out.out_micros = 23;
  out.out_by_location = {{"gcp/us-central1", 19}};
  Result<DataMoved> up = DataMovedFromJson(DataMovedToJson(out));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->out_bytes, 19);
  EXPECT_EQ(up->out_micros, 23);
  EXPECT_EQ(up->out_by_location, out.out_by_location);
  // A file altered to hold a negative figure or a wrong type is refused.
  EXPECT_EQ(DataMovedFromJson("{\"out_bytes\": -5}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DataMovedFromJson("{\"out_bytes\": \"x\"}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DataMovedFromJson("[]").status().code(), StatusCode::kInvalidArgument);
}

TEST(TaskFilesTest, BadTaskFilesAreRefused) {
  EXPECT_EQ(TaskFileFromJson("[1]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TaskFileFromJson("{\"version\": 1}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TaskFileFromJson("{\"version\": 2}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TaskFileFromJson("{").status().code(), StatusCode::kInvalidArgument);
}

TEST(TaskFilesTest, ExitAndStartedRecordsRoundTrip) {
  ExitRecord e;
  e.exit_code = 137;
  e.signal = 9;
  e.cancelled = true;
  e.reason = "cancelled: killed by SIGKILL after the 10 s grace period";
  e.started_at = 5;
  e.ended_at = 9;
  Result<ExitRecord> back = ExitRecordFromJson(ExitRecordToJson(e));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->signal, 9);
  EXPECT_TRUE(back->cancelled);
  EXPECT_FALSE(back->timed_out);
  EXPECT_EQ(back->reason, e.reason);
  EXPECT_EQ(back->started_at, 5);
  EXPECT_EQ(back->ended_at, 9);
  e.exit_code.reset();
  EXPECT_FALSE(ExitRecordFromJson(ExitRecordToJson(e))->exit_code.has_value());

  Result<StartedRecord> s = StartedRecordFromJson(StartedRecordToJson({11, 12, 13, "setup"}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->pid, 11);
  EXPECT_EQ(s->pgid, 12);
  EXPECT_EQ(s->time, 13);
  EXPECT_EQ(s->phase, "setup");
}

TEST(TaskFilesTest, AtomicWriteReplacesAndLeavesNoTempFile) {
  TempDir dir;
  std::string path = dir.Sub("f.json");
  ASSERT_TRUE(WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two").ok());
  EXPECT_EQ(*ReadWholeFile(path), "two");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(ReadWholeFile(dir.Sub("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(WriteFileAtomic(dir.Sub("no/such/dir/f"), "x").ok());
}

TEST(TaskFilesTest, OnlyTheFirstExclusiveCreateWins) {
  TempDir dir;
  std::string path = dir.Sub("claim");
  ASSERT_TRUE(CreateExclusive(path, "123\n").ok());
  Status second = CreateExclusive(path, "voided\n");
  EXPECT_EQ(second.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*ReadWholeFile(path), "123\n");
}

TEST(TaskFilesTest, LockProbeSeesAnExclusiveHolder) {
  TempDir dir;
  std::string path = dir.Sub("lock");
  EXPECT_FALSE(*IsLockHeld(path));  // no file: nobody holds it
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(*IsLockHeld(path));
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_TRUE(*IsLockHeld(path));
  EXPECT_TRUE(*IsLockHeld(path));  // probing does not disturb the holder
  ::close(fd);
  EXPECT_FALSE(*IsLockHeld(path));
}

TEST(TaskFilesTest, SignalsHaveTheirNames) {
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
}

// The least task.json a sandboxed task has.
TaskFile SandboxedTask() {
  TaskFile t;
  t.job_id = "1";
  t.cwd = "/x/work";
  t.log_path = "/x/output.log";
  t.run_argv = {"/bin/true"};
  t.sandbox.enabled = true;
  return t;
}

TEST(TaskFilesTest, SandboxBindsRoundTripAndMustBeAbsolute) {
  TaskFile t = SandboxedTask();
  t.sandbox.binds = {{"/state/volumes/a/data/v", "/x/work/data", true}, {"/s/w", "/x/work/w", false}};
  Result<TaskFile> back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->sandbox.binds.size(), 2u);
  EXPECT_EQ(back->sandbox.binds[0].source, "/state/volumes/a/data/v");
  EXPECT_EQ(back->sandbox.binds[0].target, "/x/work/data");
  EXPECT_TRUE(back->sandbox.binds[0].read_only);
  EXPECT_FALSE(back->sandbox.binds[1].read_only);
  t.outputs = {{"out", "s3://results/run1/"}};
  back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->outputs.size(), 1u);
  EXPECT_EQ(back->outputs[0].rel, "out");
  EXPECT_EQ(back->outputs[0].uri, "s3://results/run1/");
  t.sandbox.binds = {{"relative", "/x", false}};
  EXPECT_FALSE(TaskFileFromJson(TaskFileToJson(t)).ok());
}

// The image's User travels in task.json; half of it, an id out of range or
// one without an image tree is refused.
TEST(TaskFilesTest, ImageUserRoundTripsAndIsChecked) {
  TaskFile t = SandboxedTask();
  t.sandbox.rootfs = "/state/images/rootfs/abc";
  t.sandbox.image_uid = 4242;
  t.sandbox.image_gid = 0;
  Result<TaskFile> back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->sandbox.image_uid, 4242);
  EXPECT_EQ(back->sandbox.image_gid, 0);
  t.sandbox.image_uid = t.sandbox.image_gid = -1;
  back = TaskFileFromJson(TaskFileToJson(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sandbox.image_uid, -1);
  for (auto [uid, gid, rootfs] :
       std::vector<std::tuple<int64_t, int64_t, std::string>>{{5, -1, "/r"},
                                                              {-1, 5, "/r"},
                                                              {int64_t{1} << 32, 1, "/r"},
                                                              {1, int64_t{1} << 32, "/r"},
                                                              {1, 1, ""}}) {
    std::string text = TaskFileToJson(t);
    nlohmann::json j = nlohmann::json::parse(text);
    j["sandbox"]["image_uid"] = uid;
    j["sandbox"]["image_gid"] = gid;
    j["sandbox"]["rootfs"] = rootfs;
    EXPECT_FALSE(TaskFileFromJson(j.dump()).ok()) << uid << ":" << gid << " " << rootfs;
  }
}

}  // namespace
}  // namespace skyrun
