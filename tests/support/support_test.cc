// The test-support library's own tests: a TempDir goes away even when a test
// left it read-only, a golden mismatch fails and says where, and the fake
// driver reports what the test made happen.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/fake_driver.h"
#include "support/golden.h"
#include "support/spec_text.h"
#include "support/temp_dir.h"

namespace skyrun::test_support {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, MadeFreshAndRemovedWithReadOnlyContents) {
  std::string path;
  {
    TempDir a("skyrun-support-test"), b("skyrun-support-test");
    path = a.path();
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(fs::is_directory(a.path()));
    EXPECT_NE(fs::path(a.path()).filename().string().find("skyrun-support-test-"), std::string::npos);
    const std::string file = a.Write("sub/dir/f.txt", "hello");
    EXPECT_EQ(file, a.Sub("sub/dir/f.txt"));
    EXPECT_EQ(ReadFileOrEmpty(file), "hello");
    ASSERT_EQ(::chmod(a.Sub("sub/dir").c_str(), 0500), 0);  // as a refusal test might leave it
  }
  EXPECT_FALSE(fs::exists(path));
}

// A command with quotes, backslashes, '$' and ':' is one double-quoted scalar.
TEST(SpecTextTest, QuotedEscapesQuotesAndBackslashesOnly) {
  EXPECT_EQ(Quoted("echo a: $X"), "\"echo a: $X\"");
  EXPECT_EQ(Quoted("say \"hi\" \\n"), "\"say \\\"hi\\\" \\\\n\"");
  EXPECT_EQ(Quoted(""), "\"\"");
}

TEST(GoldenTest, FirstDifferenceNamesTheLine) {
  EXPECT_EQ(FirstDifference("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(FirstDifference("a\nb\nc\n", "a\nB\nc\n"), "2: want 'b', got 'B'");
  EXPECT_EQ(FirstDifference("a\n", "a\nextra\n"), "2: want <end of file>, got 'extra'");
  EXPECT_EQ(FirstDifference("a\nb\n", "a\nb"), "2: one ends with a newline, the other does not");
}

TEST(GoldenTest, MismatchAndMissingFileFail) {
  ASSERT_EQ(::unsetenv("SKYRUN_UPDATE_GOLDEN"), 0);
  TempDir dir;
  const std::string golden = dir.Write("case.golden", "one\ntwo\n");
  EXPECT_TRUE(ExpectMatchesGolden(golden, "one\ntwo\n"));
  EXPECT_NONFATAL_FAILURE(ExpectMatchesGolden(golden, "one\nTWO\n"), "case.golden:2: want 'two', got 'TWO'");
  EXPECT_NONFATAL_FAILURE(ExpectMatchesGolden(dir.Sub("absent.golden"), "x"), "SKYRUN_UPDATE_GOLDEN=1");
}

TEST(GoldenTest, UpdateModeWritesTheFile) {
  TempDir dir;
  const std::string golden = dir.Sub("new.golden");
  ASSERT_EQ(::setenv("SKYRUN_UPDATE_GOLDEN", "1", 1), 0);
  EXPECT_TRUE(ExpectMatchesGolden(golden, "fresh\n"));
  ASSERT_EQ(::unsetenv("SKYRUN_UPDATE_GOLDEN"), 0);
  EXPECT_EQ(ReadFileOrEmpty(golden), "fresh\n");
  EXPECT_TRUE(ExpectMatchesGolden(golden, "fresh\n"));
}

TEST(GoldenTest, SourceDirIsTheRepository) {
  EXPECT_TRUE(fs::exists(SourceDir() / "tests" / "support" / "golden.h")) << SourceDir();
}

FakeDriver::Options Named(const std::string& name) {
  FakeDriver::Options options;
  options.name = name;
  return options;
}

Node MakeNode(const std::string& name) {
  Node n;
  n.name = name;
  n.backend = "fake";
  return n;
}

AttemptLaunch TwoRanks(const std::string& job, int attempt, const std::string& node0,
                       const std::string& node1) {
  AttemptLaunch launch;
  launch.job_name = job;
  launch.attempt_no = attempt;
  for (int rank = 0; rank < 2; ++rank) {
    TaskLaunch t;
    t.rank = rank;
    t.placement.node = rank == 0 ? node0 : node1;
    launch.tasks.push_back(t);
  }
  return launch;
}

TEST(FakeDriverTest, TasksRunUntilTheTestEndsThem) {
  FakeDriver driver(Named("fake"), {MakeNode("n1"), MakeNode("n2")});
  auto handles = driver.Launch(TwoRanks("train", 1, "n1", "n2"));
  ASSERT_TRUE(handles.ok());
  EXPECT_EQ(*handles, (std::vector<std::string>{"train:1:0", "train:1:1"}));
  EXPECT_EQ(driver.launched_nodes(), (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(driver.Poll("train:1:0").state, RunState::kRunning);

  driver.Finish("train:1:0", 0);
  driver.Finish("train:1:1", 3);
  EXPECT_EQ(driver.Poll("train:1:0").state, RunState::kSucceeded);
  TaskStatus failed = driver.Poll("train:1:1");
  EXPECT_EQ(failed.state, RunState::kFailed);
  EXPECT_EQ(failed.rank, 1);
  EXPECT_EQ(failed.exit_code, 3);

  auto next = driver.Launch(TwoRanks("serve", 2, "n1", "n2"));
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(driver.Cancel("serve:2:0").ok());
  EXPECT_EQ(driver.Poll("serve:2:0").state, RunState::kKilled);
  driver.FinishJob("serve", 0);
  EXPECT_EQ(driver.Poll("serve:2:1").state, RunState::kSucceeded);

  FakeDriver::Calls calls = driver.calls();
  EXPECT_EQ(calls.launches, 2);
  EXPECT_EQ(calls.polls, 5);
  EXPECT_EQ(calls.cancels, 1);
}

TEST(FakeDriverTest, AFailedNodeIsDownAndItsTasksAreLost) {
  FakeDriver driver(Named("slurm/x"), {MakeNode("n1"), MakeNode("n2")});
  ASSERT_TRUE(driver.Launch(TwoRanks("gang", 1, "n1", "n2")).ok());
  driver.FailNode("n2");
  auto nodes = driver.Inventory();
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ((*nodes)[0].state, NodeState::kUp);
  EXPECT_EQ((*nodes)[1].state, NodeState::kDown);
  EXPECT_EQ(driver.Poll("gang:1:0").state, RunState::kRunning);
  TaskStatus lost = driver.Poll("gang:1:1");
  EXPECT_EQ(lost.state, RunState::kLost);
  EXPECT_EQ(lost.reason, "NODE_FAIL (node n2 is down)");
  // Back up: the node is offered again; its lost task stays lost.
  driver.RestoreNode("n2");
  EXPECT_EQ((*driver.Inventory())[1].state, NodeState::kUp);
  EXPECT_EQ(driver.Poll("gang:1:1").state, RunState::kLost);
  EXPECT_EQ(driver.Poll("gang:1:0").state, RunState::kRunning);
  // PollMany (the driver interface's default) goes through Poll.
  auto many = driver.PollMany({"gang:1:0", "gang:1:1"});
  ASSERT_EQ(many.size(), 2u);
  EXPECT_EQ(many[1].state, RunState::kLost);
}

TEST(FakeDriverTest, RefusalsLaunchFailuresAndForget) {
  FakeDriver driver(Named("k8s"), {MakeNode("n1")});
  JobSpec spec;
  spec.name = "big";
  EXPECT_TRUE(driver.CanRun(spec).ok());
  driver.RefuseJobs("no container runtime");
  Status refused = driver.CanRun(spec);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "k8s cannot run job 'big': no container runtime");
  driver.RefuseJobs("");
  EXPECT_TRUE(driver.CanRun(spec).ok());

  driver.FailLaunches(Unavailable("apiserver down"));
  EXPECT_EQ(driver.Launch(TwoRanks("a", 1, "n1", "n1")).status().message(), "apiserver down");
  driver.FailLaunches(Status::Ok());
  ASSERT_TRUE(driver.Launch(TwoRanks("a", 2, "n1", "n1")).ok());
  driver.Forget("a:2:0");
  EXPECT_EQ(driver.forgotten(), (std::vector<std::string>{"a:2:0"}));
  EXPECT_EQ(driver.Poll("a:2:0").state, RunState::kLost);  // a forgotten handle is unknown
  EXPECT_EQ(driver.handles(), (std::vector<std::string>{"a:2:0", "a:2:1"}));
}

TEST(FakeDriverTest, CountedLaunchFailuresFailedCancelsVoidsAndPollBatches) {
  FakeDriver driver(Named("local"), CpuNodes("local", {"n1", "n2"}));
  driver.FailLaunches(Unavailable("the engine refused the job"), 1);
  EXPECT_FALSE(driver.Launch(TwoRanks("a", 1, "n1", "n2")).ok());
  ASSERT_TRUE(driver.Launch(TwoRanks("a", 2, "n1", "n2")).ok()) << "only one launch was to fail";

  driver.FailCancels(Unavailable("the engine did not answer"));
  EXPECT_EQ(driver.Cancel("a:2:0").code(), StatusCode::kUnavailable);
  EXPECT_EQ(driver.Poll("a:2:0").state, RunState::kRunning) << "a failed cancel leaves the task running";
  driver.FailCancels(Status::Ok());
  ASSERT_TRUE(driver.Cancel("a:2:0").ok());
  EXPECT_EQ(driver.Poll("a:2:0").state, RunState::kKilled);

  EXPECT_TRUE(driver.VoidIfUnclaimed("a:1:0").ok()) << "the failed launch started nothing";
  EXPECT_EQ(driver.VoidIfUnclaimed("a:2:1").code(), StatusCode::kAlreadyExists);

  driver.PollMany({"a:2:0", "a:2:1"});
  driver.PollMany({"a:2:1"});
  EXPECT_EQ(driver.poll_batches(), (std::vector<size_t>{2, 1}));

  std::vector<Node> nodes = CpuNodes("slurm/hpc1", {"n1"}, "slurm/hpc1/");
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "slurm/hpc1/n1");
  EXPECT_EQ(nodes[0].backend, "slurm/hpc1");
  EXPECT_EQ(nodes[0].cpus_milli.raw(), 4000);
}

}  // namespace
}  // namespace skyrun::test_support
