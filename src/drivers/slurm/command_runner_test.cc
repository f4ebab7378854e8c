// ProcessCommandRunner on ordinary programs: output, exit codes, environment,
// missing programs and timeouts (which must kill the whole process group).
#include "drivers/slurm/command_runner.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace skyrun {
namespace {

TEST(CommandRunner, CapturesStdoutStderrAndExitCode) {
  ProcessCommandRunner runner;
  auto r = runner.Run({"bash", "-c", "echo out; echo err >&2; exit 3"}, {}, 10000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
}

TEST(CommandRunner, LargeOutputOnBothPipesDoesNotDeadlock) {
  ProcessCommandRunner runner;
  auto r = runner.Run(
      {"bash", "-c", "head -c 300000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2"}, {},
      30000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 300000u);
  EXPECT_EQ(r->err.size(), 300000u);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(CommandRunner, EnvironmentOverridesAndStdinIsEmpty) {
  ProcessCommandRunner runner;
  auto r = runner.Run({"bash", "-c", "printf '%s|%s|' \"$SLURM_CONF\" \"$SKYRUN_T\"; cat; echo done"},
                      {{"SLURM_CONF", "/tmp/x/slurm.conf"}, {"SKYRUN_T", "a b"}}, 10000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "/tmp/x/slurm.conf|a b|done\n");
  // PATH still comes from this process: bash found `cat`.
  EXPECT_EQ(r->exit_code, 0);
}

TEST(CommandRunner, SignalsAreReportedAs128PlusN) {
  ProcessCommandRunner runner;
  auto r = runner.Run({"bash", "-c", "kill -TERM $$"}, {}, 10000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + SIGTERM);
}

TEST(CommandRunner, MissingProgramIsNotFound) {
  ProcessCommandRunner runner;
  auto r = runner.Run({"skyrun-no-such-program-xyz"}, {}, 10000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("skyrun-no-such-program-xyz"), std::string::npos);
  EXPECT_FALSE(runner.Run({}, {}, 1000).ok());
}

TEST(CommandRunner, TimeoutKillsTheCommandAndItsChildren) {
  ProcessCommandRunner runner;
  // The background sleep keeps stdout open: only a group kill ends it.
  auto r = runner.Run({"bash", "-c", "sleep 60 & echo started; wait"}, {}, 300);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  EXPECT_EQ(r->out, "started\n");
}

TEST(CommandRunner, FormatCommandQuotesWhatNeedsIt) {
  EXPECT_EQ(FormatCommand({"sbatch", "--parsable", "/a b/job.sbatch"}),
            "sbatch --parsable '/a b/job.sbatch'");
  EXPECT_EQ(FormatCommand({"squeue", "-o", "%i|%T"}), "squeue -o '%i|%T'");
}

}  // namespace
}  // namespace skyrun
