// sbatch --array read into JobArray, and the stored text of each element
// (issue 15). The SLURM_ARRAY_TASK_STEP values were read from sbatch on the
// suite's Slurm cluster (Slurm 22+): "1,3,5" -> 1, "0-8:4" -> 4,
// "0-4:2,7" -> 2, "1,2-8:3,9-11:2" -> 3.
#include "spec/sbatch_array.h"

#include <gtest/gtest.h>

#include "spec/spec_parser.h"

namespace skyrun {
namespace {

JobArray Parsed(const std::string& text) {
  JobArray a;
  auto bad = ParseArraySpec(text, &a);
  EXPECT_FALSE(bad.has_value()) << text << ": " << bad.value_or("");
  return a;
}

std::string Refusal(const std::string& text) {
  JobArray a;
  return ParseArraySpec(text, &a).value_or("");
}

TEST(SbatchArrayTest, RangesListsStepsAndLimit) {
  EXPECT_EQ(Parsed("0-3").indices, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(Parsed("1,3,5").indices, (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(Parsed("0-15:4").indices, (std::vector<int>{0, 4, 8, 12}));
  JobArray a = Parsed("0-99%10");
  EXPECT_EQ(a.indices.size(), 100u);
  EXPECT_EQ(a.limit, 10);
  EXPECT_EQ(Parsed("5,1-2,2").indices, (std::vector<int>{1, 2, 5}));  // sorted, once each
  EXPECT_EQ(Parsed("7").indices, (std::vector<int>{7}));
  EXPECT_EQ(Parsed("0-3").limit, 0);
}

TEST(SbatchArrayTest, StepIsTheFirstOneWrittenAsSlurmSetsIt) {
  EXPECT_EQ(Parsed("1,3,5").step, 1);
  EXPECT_EQ(Parsed("0-8:4").step, 4);
  EXPECT_EQ(Parsed("0-4:2,7").step, 2);
  EXPECT_EQ(Parsed("1,2-8:3,9-11:2%2").step, 3);
}

TEST(SbatchArrayTest, BadIndicesAreRefusedWithWhatWasWrong) {
  EXPECT_NE(Refusal("").find("expected indices"), std::string::npos);
  EXPECT_NE(Refusal("a-b").find("expected indices"), std::string::npos);
  EXPECT_NE(Refusal("-1").find("expected indices"), std::string::npos);
  EXPECT_NE(Refusal("5-1").find("ends before it starts"), std::string::npos);
  EXPECT_NE(Refusal("0-1001").find("over 1000"), std::string::npos);
  EXPECT_NE(Refusal("0-99999999999").find("expected indices"), std::string::npos);
  EXPECT_NE(Refusal("0-9:0").find("step"), std::string::npos);
  EXPECT_NE(Refusal("3:2").find("a step needs a range"), std::string::npos);
  EXPECT_NE(Refusal("0-9%0").find("at least 1"), std::string::npos);
  EXPECT_NE(Refusal("0-9%").find("at least 1"), std::string::npos);
  EXPECT_NE(Refusal("0-9%2%3").find("at least 1"), std::string::npos);
  EXPECT_NE(Refusal("0,,3").find("expected indices"), std::string::npos);
}

TEST(SbatchArrayTest, AnArrayScriptParsesToTheWholeArray) {
  SpecParseResult r = ParseJobSpecs("#!/bin/bash\n#SBATCH -J sweep\n#SBATCH -a 0-15:4%2\necho\n", "s.sh");
  ASSERT_TRUE(r.ok()) << r.problems.front().ToString();
  const JobArray& a = r.specs[0].array;
  EXPECT_EQ(a.indices, (std::vector<int>{0, 4, 8, 12}));
  EXPECT_EQ(a.limit, 2);
  EXPECT_EQ(a.step, 4);
  EXPECT_EQ(a.task_id, -1);  // not expanded yet
}

TEST(SbatchArrayTest, ABadArrayIsRefusedAtItsLine) {
  SpecParseResult r = ParseJobSpecs("#!/bin/bash\n#SBATCH -N 1\n#SBATCH --array=3-1\necho\n", "s.sh");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].ToString(), "s.sh:3:1: --array: the range '3-1' ends before it starts");
}

TEST(SbatchArrayTest, EachElementsStoredTextReadsBackAsThatElement) {
  std::string script =
      "#!/bin/bash\n#SBATCH --job-name=sweep\n#SBATCH --array=0-6:2%2\necho $SLURM_ARRAY_TASK_ID\n";
  std::string stored = ArrayElementText(script, 4, 17);
  EXPECT_EQ(stored, script + "#SKYRUN-ARRAY-ELEMENT task=4 array_job=17\n");
  auto decoded = DecodeStoredJobSpec(stored, "sweep.sbatch");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->array.task_id, 4);
  EXPECT_EQ(decoded->array.array_job_id, 17);
  EXPECT_EQ(decoded->array.limit, 2);
  EXPECT_EQ(decoded->name, "sweep");
  EXPECT_EQ(decoded->run, script);  // the element line is not part of the script
  // The first element: its own id is the array's.
  auto first = DecodeStoredJobSpec(ArrayElementText(script, 0, 0), "sweep.sbatch");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->array.task_id, 0);
  EXPECT_EQ(first->array.array_job_id, 0);
  EXPECT_EQ(ArrayElementName("sweep", 4), "sweep_[4]");
}

TEST(SbatchArrayTest, AnElementLineThatDoesNotFitIsRefused) {
  std::string script = "#!/bin/bash\n#SBATCH --array=0-3\necho\n";
  // An index the array does not hold.
  auto outside = ParseJobSpecs(ArrayElementText(script, 9, 1), "a.sh");
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.problems[0].message.find("not one of the array's indices (line 2)"), std::string::npos)
      << outside.problems[0].ToString();
  // An element line on a script without --array.
  auto plain = ParseJobSpecs(ArrayElementText("#!/bin/bash\n#SBATCH -N 1\necho\n", 0, 0), "a.sh");
  ASSERT_FALSE(plain.ok());
  // Malformed, or followed by more lines: refused, never half read.
  for (const std::string& bad :
       {script + "#SKYRUN-ARRAY-ELEMENT task=x array_job=1\n", script + "#SKYRUN-ARRAY-ELEMENT task=1\n",
        script + "#SKYRUN-ARRAY-ELEMENT task=1 array_job=-4\n",
        script + "#SKYRUN-ARRAY-ELEMENT task=1 array_job=1\necho more\n"}) {
    auto r = ParseJobSpecs(bad, "a.sh");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.problems[0].line, 4) << r.problems[0].ToString();
    EXPECT_NE(r.problems[0].message.find("written by the server"), std::string::npos);
  }
}

// The same array written in a YAML spec (`array:`): the whole array at
// submission, each stored element read back as itself; a forged or stray
// element line, an array in a file of several jobs, and bad indices refused.
TEST(SbatchArrayTest, AYamlArrayReadsAsTheSbatchOne) {
  std::string yaml = "name: sweep\narray: 0-6:2%2\nresources: {cpus: 1}\nrun: echo $SKYRUN_ARRAY_TASK_ID\n";
  auto whole = ParseJobSpecs(yaml, "sweep.yaml");
  ASSERT_TRUE(whole.ok()) << whole.problems[0].ToString();
  EXPECT_EQ(whole.specs[0].array.indices, (std::vector<int>{0, 2, 4, 6}));
  EXPECT_EQ(whole.specs[0].array.limit, 2);
  EXPECT_EQ(whole.specs[0].array.task_id, -1);
  EXPECT_FALSE(whole.specs[0].slurm_env);

  auto element = DecodeStoredJobSpec(ArrayElementText(yaml, 4, 17), "sweep.yaml");
  ASSERT_TRUE(element.ok()) << element.status().ToString();
  EXPECT_EQ(element->array.task_id, 4);
  EXPECT_EQ(element->array.array_job_id, 17);

  auto outside = ParseJobSpecs(ArrayElementText(yaml, 5, 17), "sweep.yaml");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.problems[0].line, 5) << outside.problems[0].ToString();
  auto stray = ParseJobSpecs(ArrayElementText("run: echo\n", 0, 0), "x.yaml");
  ASSERT_FALSE(stray.ok());
  EXPECT_NE(stray.problems[0].message.find("written by the server"), std::string::npos);

  auto stages = ParseJobSpecs("name: a\narray: 0-1\nrun: echo\n---\nname: b\nrun: echo\n", "p.yaml");
  ASSERT_FALSE(stages.ok());
  EXPECT_NE(stages.problems[0].message.find("file of its own"), std::string::npos)
      << stages.problems[0].ToString();

  auto bad = ParseJobSpecs("array: 3-1\nrun: echo\n", "b.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.problems[0].line, 1);
  EXPECT_EQ(bad.problems[0].field, "array");
}

}  // namespace
}  // namespace skyrun
