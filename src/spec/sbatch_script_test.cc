// A Slurm batch script read as a job spec (issue 15, item 2).
#include "spec/sbatch_script.h"

#include <gtest/gtest.h>

#include <string>

#include "spec/spec_overrides.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

const char* kScript = R"(#!/bin/bash
#SBATCH --job-name=Train-GPT
#SBATCH -N 2
#SBATCH --ntasks-per-node=2
#SBATCH --gres=gpu:a100:4
#SBATCH --cpus-per-task=8
#SBATCH --mem=64G
#SBATCH -t 90
#SBATCH --output=slurm-%j.out   # not used by skyrun
srun python train.py
#SBATCH --array=0-9
)";

TEST(SbatchScriptTest, DirectivesBecomeTheSpec) {
  SpecParseResult r = ParseJobSpecs(kScript, "train.sbatch");
  ASSERT_TRUE(r.ok()) << r.problems.front().ToString();
  ASSERT_EQ(r.specs.size(), 1u);
  const JobSpec& s = r.specs[0];
  EXPECT_EQ(s.name, "train-gpt");
  EXPECT_EQ(s.mode, JobMode::kGang);
  EXPECT_EQ(s.num_nodes, 4);  // tasks: 2 nodes x 2
  EXPECT_EQ(s.tasks_per_node, 2);
  EXPECT_EQ(s.resources.accelerators.at("A100"), 2);  // 4 per node over 2 tasks
  EXPECT_EQ(s.resources.cpus_milli.raw(), 8000);
  EXPECT_EQ(s.resources.memory_mib.raw(), 32 * 1024);  // 64G per node over 2 tasks
  EXPECT_EQ(s.time_limit_seconds, 90 * 60);            // a bare --time is minutes
  EXPECT_TRUE(s.slurm_env);
  EXPECT_EQ(s.run, kScript);  // the #SBATCH after the first command is not a directive
}

TEST(SbatchScriptTest, UnknownAndUnbuiltDirectivesAreRefusedWithTheirLine) {
  SpecParseResult r = ParseJobSpecs(
      "#!/bin/bash\n#SBATCH --array=0-99%10\n#SBATCH -p gpu\n#SBATCH --gres=gpu:2\n#SBATCH "
      "--exclusive\necho\n",
      "a.sh");
  ASSERT_EQ(r.problems.size(), 3u);  // --array is read (sbatch_array_test.cc)
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[0].field, "--partition");
  EXPECT_NE(r.problems[1].message.find("name the GPU type (gpu:a100:2)"), std::string::npos);
  EXPECT_EQ(r.problems[2].field, "--exclusive");
}

TEST(SbatchScriptTest, OnlyAShebangScriptWithDirectivesIsOne) {
  EXPECT_TRUE(spec_internal::LooksLikeSbatch("#!/bin/sh\n# comment\n#SBATCH -N 1\necho\n"));
  EXPECT_FALSE(spec_internal::LooksLikeSbatch("#!/bin/sh\necho\n#SBATCH -N 1\n"));
  EXPECT_FALSE(spec_internal::LooksLikeSbatch("# SBATCH-like comment\nrun: x\n"));
  LaunchOverrides o;
  o.num_nodes = 2;
  EXPECT_FALSE(ApplyLaunchOverrides("#!/bin/sh\n#SBATCH -N 1\necho\n", o).ok());
}

}  // namespace
}  // namespace skyrun
