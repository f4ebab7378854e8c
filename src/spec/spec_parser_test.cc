// Tests of the spec parser that are not a file and its golden output: the
// DESIGN.md example field by field, the quantity forms, limits (size,
// nesting, aliases), pipelines, positions, and reading files.
#include "spec/spec_parser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

fs::path SpecsDir() {
  return (test_support::SourceDir() / "tests" / "specs").lexically_normal();
}

// Parses one document that must be valid.
JobSpec ParseOne(const std::string& text) {
  SpecParseResult result = ParseJobSpecs(text, "job.yaml");
  for (const auto& problem : result.problems) ADD_FAILURE() << problem.ToString() << "\nin:\n" << text;
  if (result.specs.size() != 1) {
    ADD_FAILURE() << "expected one spec, got " << result.specs.size();
    return JobSpec{};
  }
  return result.specs[0];
}

// The problems of a text that must be refused, one ToString() per line.
std::string Problems(const std::string& text) {
  SpecParseResult result = ParseJobSpecs(text, "job.yaml");
  EXPECT_FALSE(result.ok()) << text;
  EXPECT_TRUE(result.specs.empty());
  std::string out;
  for (const auto& problem : result.problems) out += problem.ToString() + "\n";
  return out;
}

// Every field that is built (use_spot, max_hourly_cost, inputs and outputs
// are refused until they are: bad/not_built_yet.yaml).
TEST(SpecParserTest, DesignExampleSetsEveryField) {
  SpecParseResult result = ParseJobSpecFile((SpecsDir() / "good" / "design_example.yaml").string());
  for (const auto& problem : result.problems) ADD_FAILURE() << problem.ToString();
  ASSERT_EQ(result.specs.size(), 1u);
  const JobSpec& s = result.specs[0];
  EXPECT_EQ(s.name, "bert-finetune");
  EXPECT_EQ(s.queue, "research");
  EXPECT_EQ(s.priority, 100);
  EXPECT_EQ(s.mode, JobMode::kGang);
  EXPECT_EQ(s.num_nodes, 2);
  EXPECT_TRUE(s.roles.empty());  // `roles:` with only a comment is empty
  EXPECT_EQ(s.resources.accelerators, (std::map<std::string, int>{{"A100", 1}}));
  EXPECT_EQ(s.resources.gpu_milli.raw(), 500);
  EXPECT_EQ(s.resources.cpus_milli.raw(), 8000);
  EXPECT_FALSE(s.resources.cpus_exact);
  EXPECT_EQ(s.resources.memory_mib.raw(), 64 * 1024);
  EXPECT_FALSE(s.resources.memory_exact);
  EXPECT_FALSE(s.resources.use_spot);
  EXPECT_EQ(s.resources.requirements, "GpuMemoryMB >= 40000 && member(Country, {\"US\", \"DE\"})");
  EXPECT_EQ(s.resources.rank, "-HourlyPrice");
  EXPECT_EQ(s.resources.infra, (std::vector<std::string>{"local", "slurm/hpc1", "aws/us-east-1"}));
  EXPECT_FALSE(s.resources.max_hourly_cost.has_value());
  EXPECT_EQ(s.image, "registry.example.org/ml/pytorch:2.3-cuda12");
  EXPECT_EQ(s.envs, (std::map<std::string, std::string>{{"MODEL", "bert-large"}}));
  EXPECT_EQ(s.workdir, "./train");
  EXPECT_EQ(s.file_mounts, (std::map<std::string, std::string>{{"/data", "./data"}}));
  EXPECT_TRUE(s.inputs.empty());
  EXPECT_TRUE(s.outputs.empty());
  EXPECT_EQ(s.setup, "pip install -r requirements.txt");
  EXPECT_EQ(s.run,
            "torchrun --nnodes=$SKYRUN_NUM_NODES --node_rank=$SKYRUN_NODE_RANK train.py --ckpt "
            "$SKYRUN_CHECKPOINT_DIR");
  EXPECT_EQ(s.checkpoint_dir, "/ckpt");
  EXPECT_EQ(s.recovery.strategy, "failover");
  EXPECT_EQ(s.recovery.max_restarts_on_errors, 3);
  EXPECT_EQ(s.recovery.recover_on_exit_codes, (std::vector<int>{75}));
  EXPECT_EQ(s.objective, "cost");
  EXPECT_EQ(s.deadline_seconds, 6 * 3600);
  EXPECT_FALSE(s.budget_usd.has_value());
  EXPECT_TRUE(s.depends_on.empty());
  EXPECT_EQ(s.base_dir, fs::absolute(SpecsDir() / "good").lexically_normal().string());
  EXPECT_EQ(s.TaskCount(), 2);
}

TEST(SpecParserTest, CpuForms) {
  struct Case {
    const char* text;
    int64_t milli;
    bool exact;
  };
  for (const Case& c :
       {Case{"8+", 8000, false}, Case{"8", 8000, true}, Case{"\"8\"", 8000, true}, Case{"0.5", 500, true},
        Case{"500m", 500, true}, Case{"2.5+", 2500, false}, Case{"1", 1000, true}}) {
    SCOPED_TRACE(c.text);
    JobSpec spec = ParseOne(std::string("resources: {cpus: ") + c.text + "}\nrun: x\n");
    EXPECT_EQ(spec.resources.cpus_milli.raw(), c.milli);
    EXPECT_EQ(spec.resources.cpus_exact, c.exact);
  }
  for (const char* bad : {"0", "-1", "0m", "-500m", "lots", "8++", "+", "1e3", "0.0001"}) {
    SCOPED_TRACE(bad);
    EXPECT_NE(Problems(std::string("resources: {cpus: '") + bad + "'}\nrun: x\n").find("resources.cpus"),
              std::string::npos);
  }
}

TEST(SpecParserTest, MemoryForms) {
  struct Case {
    const char* text;
    int64_t mib;
    bool exact;
  };
  for (const Case& c :
       {Case{"64+", 64 * 1024, false}, Case{"64", 64 * 1024, true}, Case{"64GiB", 64 * 1024, true},
        Case{"512MiB", 512, true}, Case{"1.5", 1536, true}, Case{"1TiB+", 1024 * 1024, false}}) {
    SCOPED_TRACE(c.text);
    JobSpec spec = ParseOne(std::string("resources: {memory: ") + c.text + "}\nrun: x\n");
    EXPECT_EQ(spec.resources.memory_mib.raw(), c.mib);
    EXPECT_EQ(spec.resources.memory_exact, c.exact);
  }
  for (const char* bad : {"0", "-64", "0MiB", "lots", "64 GB of RAM", "+"}) {
    SCOPED_TRACE(bad);
    EXPECT_NE(Problems(std::string("resources: {memory: '") + bad + "'}\nrun: x\n").find("resources.memory"),
              std::string::npos);
  }
}

TEST(SpecParserTest, AcceleratorForms) {
  using Gpus = std::map<std::string, int>;
  EXPECT_EQ(ParseOne("resources: {accelerators: A100:8}\nrun: x").resources.accelerators,
            (Gpus{{"A100", 8}}));
  EXPECT_EQ(ParseOne("resources: {accelerators: A100}\nrun: x").resources.accelerators, (Gpus{{"A100", 1}}));
  EXPECT_EQ(ParseOne("resources: {accelerators: A100-80GB:1}\nrun: x").resources.accelerators,
            (Gpus{{"A100-80GB", 1}}));
  EXPECT_EQ(ParseOne("resources: {accelerators: {A100: 8, H100: 8}}\nrun: x").resources.accelerators,
            (Gpus{{"A100", 8}, {"H100", 8}}));
  EXPECT_EQ(ParseOne("resources: {accelerators: [A100:2, H100]}\nrun: x").resources.accelerators,
            (Gpus{{"A100", 2}, {"H100", 1}}));
  EXPECT_EQ(ParseOne("resources: {accelerators: A100:64}\nrun: x").resources.accelerators,
            (Gpus{{"A100", 64}}));

  // A share of any GPU, and a share of an A100.
  JobSpec any = ParseOne("resources: {gpu_milli: 300}\nrun: x");
  EXPECT_EQ(any.resources.gpu_milli.raw(), 300);
  EXPECT_TRUE(any.resources.accelerators.empty());
  EXPECT_EQ(any.resources.GpuMilliFor("H100").raw(), 300);
  JobSpec a100 = ParseOne("resources: {gpu_milli: 1000, accelerators: A100:1}\nrun: x");
  EXPECT_EQ(a100.resources.gpu_milli.raw(), 1000);
  EXPECT_EQ(a100.resources.accelerators, (Gpus{{"A100", 1}}));
  EXPECT_EQ(ParseOne("resources: {gpu_milli: 1}\nrun: x").resources.gpu_milli.raw(), 1);
}

TEST(SpecParserTest, NegativeGpusArePreciselyLocated) {
  SpecParseResult result = ParseJobSpecs("run: x\nresources:\n  accelerators: A100:-4\n", "job.yaml");
  ASSERT_EQ(result.problems.size(), 1u);
  const SpecProblem& p = result.problems[0];
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.column, 17);
  EXPECT_EQ(p.field, "resources.accelerators");
  EXPECT_NE(p.message.find("negative GPUs"), std::string::npos) << p.message;
  EXPECT_NE(p.message.find("-4"), std::string::npos) << p.message;
}

TEST(SpecParserTest, GpuMilliRange) {
  for (int milli : {0, 1001, -5}) {
    SpecParseResult result =
        ParseJobSpecs("run: x\nresources:\n  gpu_milli: " + std::to_string(milli) + "\n", "job.yaml");
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].ToString(),
              "job.yaml:3:14: resources.gpu_milli: must be between 1 and 1000, got " + std::to_string(milli));
  }
  EXPECT_NE(Problems("resources: {gpu_milli: 500, accelerators: {A100: 1, H100: 2}}\nrun: x")
                .find("resources.gpu_milli: a GPU share is for single-GPU tasks"),
            std::string::npos);
}

TEST(SpecParserTest, TenMegabyteTextIsRefusedUnparsed) {
  // Valid-looking YAML, so that only the size check can refuse it.
  std::string text = "run: x\nenvs:\n";
  while (text.size() < 10 * 1024 * 1024) text += "  K" + std::to_string(text.size()) + ": v\n";
  SpecParseResult result = ParseJobSpecs(text, "big.yaml");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].line, 0);
  EXPECT_NE(result.problems[0].message.find("at most 1 MiB"), std::string::npos)
      << result.problems[0].message;
  EXPECT_NE(result.problems[0].ToString().find("big.yaml: the file is 10.0 MiB"), std::string::npos)
      << result.problems[0].ToString();
  // Just under the limit is parsed.
  std::string fits = "run: x\n# " + std::string(kMaxSpecBytes - 20, 'x') + "\n";
  ASSERT_LE(fits.size(), kMaxSpecBytes);
  EXPECT_TRUE(ParseJobSpecs(fits, "fits.yaml").ok());
}

TEST(SpecParserTest, DeepNestingIsRefused) {
  const std::string deep_inputs[] = {
      std::string(100000, '['),
      std::string(100000, '{'),
      "run: x\nenvs: " + std::string(65, '[') + std::string(65, ']'),
  };
  for (const auto& text : deep_inputs) {
    SpecParseResult result = ParseJobSpecs(text, "deep.yaml");
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_NE(result.problems[0].message.find("nests deeper than 64"), std::string::npos)
        << result.problems[0].message;
  }
  // Block nesting has no brackets: yaml-cpp's own guard stops it, and that is a problem too.
  std::string dashes;
  for (int i = 0; i < 100000; ++i) dashes += "- ";
  std::string indented;
  for (int i = 0; i < 1000; ++i) indented += std::string(i, ' ') + "k:\n";
  for (const auto& text : {dashes, indented}) {
    SpecParseResult result = ParseJobSpecs(text, "deep.yaml");
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_NE(result.problems[0].message.find("nests too deeply"), std::string::npos)
        << result.problems[0].message;
  }
  // Nesting up to the limit is only a type problem.
  std::string ok_depth = "run: x\nenvs: " + std::string(64, '[') + std::string(64, ']');
  EXPECT_NE(Problems(ok_depth).find("envs: expected a map"), std::string::npos);
}

TEST(SpecParserTest, AliasesCannotLoopOrExplode) {
  // A list that contains itself.
  EXPECT_NE(Problems("run: x\nresources: {infra: &a [local, *a]}\n").find("resources.infra[1]: expected"),
            std::string::npos);
  // A map that contains itself, where a role's resources are expected.
  EXPECT_NE(Problems("run: x\nmode: ps-worker\nroles: &r {w: {resources: *r}}\n").find("unknown field"),
            std::string::npos);
  // "Billion laughs": each level doubles; the reader visits each list once.
  std::string laughs = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 40; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
              std::to_string(i - 1) + "]\n";
  }
  laughs += "run: x\n";
  SpecParseResult result = ParseJobSpecs(laughs, "laughs.yaml");
  EXPECT_EQ(result.problems.size(), 40u);  // 40 unknown fields, nothing more
  // Aliases where values are expected work as values.
  JobSpec spec = ParseOne("run: &cmd python train.py\nsetup: *cmd\n");
  EXPECT_EQ(spec.setup, "python train.py");
}

TEST(SpecParserTest, EveryProblemIsListedInFileOrder) {
  SpecParseResult result = ParseJobSpecs(
      "name: -bad\n"
      "resources:\n"
      "  gpu_milli: 0\n"
      "  cpus: none\n"
      "mode: teams\n"
      "envs: {1X: y}\n",
      "job.yaml");
  std::vector<std::string> lines;
  for (const auto& p : result.problems) lines.push_back(p.ToString());
  ASSERT_EQ(lines.size(), 6u) << testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind("job.yaml:1:1: run: is required", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("job.yaml:1:7: name: must be 1 to 63 characters", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], "job.yaml:3:14: resources.gpu_milli: must be between 1 and 1000, got 0");
  EXPECT_EQ(lines[3].rfind("job.yaml:4:9: resources.cpus: expected a CPU count", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4].rfind("job.yaml:5:7: mode: expected one of single, gang", 0), 0u) << lines[4];
  EXPECT_EQ(lines[5].rfind("job.yaml:6:8: envs: '1X' is not an environment variable name", 0), 0u)
      << lines[5];
}

TEST(SpecParserTest, UnknownFieldsSuggestTheNearestName) {
  EXPECT_EQ(Problems("resourses: {cpus: 1}\nrun: x\n"),
            "job.yaml:1:1: resourses: unknown field, did you mean 'resources'?\n");
  EXPECT_EQ(Problems("run: x\nresources: {gpus: A100:1}\n"),
            "job.yaml:2:13: resources.gpus: unknown field, did you mean 'accelerators'?\n");
  std::string far = Problems("run: x\nzzzzzzzz: 1\n");
  EXPECT_NE(far.find("zzzzzzzz: unknown field; the fields allowed here are name, queue"), std::string::npos)
      << far;
}

TEST(SpecParserTest, MalformedYamlIsOneLocatedProblem) {
  SpecParseResult result = ParseJobSpecs("run: x\nresources: [1, 2\nname: y\n", "job.yaml");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_GT(result.problems[0].line, 0);
  EXPECT_GT(result.problems[0].column, 0);
  EXPECT_EQ(result.problems[0].message.rfind("invalid YAML: ", 0), 0u) << result.problems[0].message;
}

// yaml-cpp 0.7's LoadAll never returns on these (found by spec_fuzz).
TEST(SpecParserTest, InputsThatHangYamlCppAreRefused) {
  for (const char* text : {",", "\"x\",", "'x',", "- a\n,", "[a]\n,", "run: x\n---\n,", "# c\n, ,", "&x ,"}) {
    SpecParseResult result = ParseJobSpecs(text, "job.yaml");
    ASSERT_EQ(result.problems.size(), 1u) << text;
    EXPECT_EQ(result.problems[0].message.rfind("invalid YAML: ", 0), 0u) << result.problems[0].message;
    EXPECT_GT(result.problems[0].line, 0) << text;
  }
  EXPECT_NE(Problems("run: x\n---\n,\n").find("job.yaml:3:1: invalid YAML: a ',' here separates nothing"),
            std::string::npos);
}

TEST(SpecParserTest, EmptyTexts) {
  for (const char* text : {"", "\n\n", "# just a comment\n", "---\n", "---\n...\n", "~\n"}) {
    SpecParseResult result = ParseJobSpecs(text, "job.yaml");
    ASSERT_EQ(result.problems.size(), 1u) << text;
    EXPECT_EQ(result.problems[0].ToString(), "job.yaml: the file is empty: a job spec needs at least `run`");
  }
}

TEST(SpecParserTest, PipelineOfDocuments) {
  SpecParseResult result = ParseJobSpecFile((SpecsDir() / "good" / "pipeline.yaml").string());
  for (const auto& problem : result.problems) ADD_FAILURE() << problem.ToString();
  ASSERT_EQ(result.specs.size(), 3u);
  EXPECT_EQ(result.specs[0].name, "prepare");
  EXPECT_TRUE(result.specs[0].depends_on.empty());
  EXPECT_EQ(result.specs[1].name, "train");
  EXPECT_EQ(result.specs[1].depends_on, (std::vector<std::string>{"prepare"}));
  EXPECT_EQ(result.specs[1].TaskCount(), 4);
  EXPECT_EQ(result.specs[2].depends_on, (std::vector<std::string>{"train", "prepare"}));
  // A cycle through three stages is reported once, at the entry that closes it.
  std::string cycle = Problems(
      "name: a\ndepends_on: [b]\nrun: x\n---\nname: b\ndepends_on: [c]\nrun: x\n"
      "---\nname: c\ndepends_on: [a]\nrun: x\n");
  EXPECT_EQ(
      cycle,
      "job.yaml:10:14: depends_on[0]: 'a' -> 'b' -> 'c' -> 'a' is a cycle; the stages of a pipeline must "
      "not depend on each other in a loop\n");
}

TEST(SpecParserTest, LongDependencyChainsDoNotRecurse) {
  std::string text;
  constexpr int kStages = 20000;
  for (int i = 0; i < kStages; ++i) {
    text += "name: s" + std::to_string(i) + "\nrun: x\n";
    if (i > 0) text += "depends_on: s" + std::to_string(i - 1) + "\n";
    text += "---\n";
  }
  SpecParseResult ok = ParseJobSpecs(text, "chain.yaml");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.specs.size(), static_cast<size_t>(kStages));
  text += "name: first\nrun: x\ndepends_on: s" + std::to_string(kStages - 1) + "\n";
  text.replace(text.find("name: s0\nrun: x\n"), 16, "name: s0\nrun: x\ndepends_on: first\n");
  SpecParseResult loop = ParseJobSpecs(text, "chain.yaml");
  ASSERT_EQ(loop.problems.size(), 1u);
  EXPECT_NE(loop.problems[0].message.find("more) -> "), std::string::npos) << loop.problems[0].message;
}

TEST(SpecParserTest, ProblemsAreCapped) {
  std::string text = "run: x\nenvs:\n";
  for (int i = 0; i < 3000; ++i) text += "  " + std::to_string(i) + "X: v\n";
  SpecParseResult result = ParseJobSpecs(text, "job.yaml");
  ASSERT_EQ(result.problems.size(), kMaxSpecProblems + 1);
  EXPECT_EQ(result.problems.back().message, "and 2000 more problems; fix these and validate again");
}

TEST(SpecParserTest, ServiceIsRefusedWithTheReason) {
  SpecParseResult result = ParseJobSpecs("mode: service\nrun: python serve.py\n", "svc.yaml");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].ToString(),
            "svc.yaml:1:7: mode: service is on the roadmap and not available yet");
}

TEST(SpecParserTest, RolesTakeTheJobsResourcesUnlessTheyHaveTheirOwn) {
  JobSpec spec = ParseOne(
      "mode: ps-worker\n"
      "resources: {cpus: 4, memory: 8}\n"
      "roles:\n"
      "  ps: {count: 1, run: python ps.py}\n"
      "  worker:\n"
      "    count: 3\n"
      "    resources: {accelerators: A100:1}\n"
      "run: python worker.py\n");
  ASSERT_EQ(spec.roles.size(), 2u);
  EXPECT_EQ(spec.roles[0].name, "ps");
  EXPECT_EQ(spec.roles[0].resources.cpus_milli.raw(), 4000);
  EXPECT_EQ(spec.roles[0].resources.memory_mib.raw(), 8192);
  EXPECT_EQ(spec.roles[0].run, "python ps.py");
  EXPECT_EQ(spec.roles[1].name, "worker");
  EXPECT_EQ(spec.roles[1].count, 3);
  EXPECT_EQ(spec.roles[1].resources.cpus_milli.raw(), 1000);  // its own resources replace the job's
  EXPECT_EQ(spec.roles[1].resources.accelerators.at("A100"), 1);
  EXPECT_EQ(spec.TaskCount(), 4);
  // Without a top-level run, every role needs its own.
  EXPECT_NE(Problems("mode: ps-worker\nroles: {ps: {run: a}, worker: {count: 2}}\n").find("run: is required"),
            std::string::npos);
}

TEST(SpecParserTest, DefaultNameIsTheFileStem) {
  EXPECT_EQ(ParseJobSpecs("run: x", "train-bert.yaml").specs.at(0).name, "train-bert");
  EXPECT_EQ(ParseJobSpecs("run: x", "/some/dir/My Job.v2.yml").specs.at(0).name, "my-job.v2");
  EXPECT_EQ(ParseJobSpecs("run: x", "<stdin>").specs.at(0).name, "stdin");
  EXPECT_EQ(ParseJobSpecs("run: x", "").specs.at(0).name, "job");
  EXPECT_EQ(ParseJobSpecs("run: x\nname: given", "file.yaml").specs.at(0).name, "given");
}

TEST(SpecParserTest, FieldPositionsAreRecorded) {
  JobSpec spec = ParseOne("run: x\nresources:\n  requirements: 'Gpus > 1'\ndepends_on: []\n");
  ASSERT_TRUE(spec.field_positions.count("resources.requirements"));
  EXPECT_EQ(spec.field_positions.at("resources.requirements").line, 3);
  EXPECT_EQ(spec.field_positions.at("resources.requirements").column, 17);
  EXPECT_EQ(spec.field_positions.at("run").line, 1);
  EXPECT_EQ(spec.field_positions.at("run").column, 6);
}

TEST(SpecParserTest, ProblemToString) {
  EXPECT_EQ(
      (SpecProblem{"job.yaml", 7, 14, "resources.gpu_milli", "must be between 1 and 1000, got 0"}).ToString(),
      "job.yaml:7:14: resources.gpu_milli: must be between 1 and 1000, got 0");
  EXPECT_EQ((SpecProblem{"job.yaml", 0, 0, "", "the file is empty"}).ToString(),
            "job.yaml: the file is empty");
  EXPECT_EQ((SpecProblem{"job.yaml", 3, 0, "run", "is required"}).ToString(), "job.yaml:3: run: is required");
}

TEST(SpecParserTest, ControlCharactersAreEscapedInMessages) {
  std::string problems = Problems(std::string("run: x\nmode: \"a\\u0001b\\tc\"\n"));
  EXPECT_NE(problems.find("'a\\x01b\\tc'"), std::string::npos) << problems;
}

TEST(SpecParserTest, KeysInFieldPathsStayOnOneLine) {
  SpecParseResult result = ParseJobSpecs("run: x\nenvs: {\"A\\nB\": {}, " + std::string(100, 'K') +
                                             ": []}\npriority: " + std::string(50, '9') + "\n",
                                         "job.yaml");
  ASSERT_EQ(result.problems.size(), 3u);
  EXPECT_EQ(result.problems[0].field, "envs");  // not a variable name
  EXPECT_EQ(result.problems[1].field, "envs.'" + std::string(40, 'K') + "...'");
  EXPECT_EQ(
      result.problems[2].ToString(),
      "job.yaml:3:11: priority: must be between -1000000 and 1000000, got '" + std::string(40, '9') + "...'");
  for (const auto& p : result.problems) EXPECT_EQ(p.ToString().find('\n'), std::string::npos) << p.ToString();
}

TEST(SpecFileTest, ReadsFileAndSetsBaseDir) {
  test_support::TempDir dir;
  fs::path file = dir.Write("finetune.yaml", "run: python train.py\nworkdir: ./src\n");
  SpecParseResult result = ParseJobSpecFile(file.string());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.specs[0].name, "finetune");
  EXPECT_EQ(result.specs[0].base_dir, fs::absolute(dir.path()).lexically_normal().string());
  EXPECT_EQ(result.specs[0].workdir, "./src");
}

TEST(SpecFileTest, RefusesWhatItCannotRead) {
  test_support::TempDir dir;
  SpecParseResult missing = ParseJobSpecFile(dir.Sub("nope.yaml"));
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].message.find("no such file"), std::string::npos)
      << missing.problems[0].message;

  SpecParseResult directory = ParseJobSpecFile(dir.path());
  ASSERT_EQ(directory.problems.size(), 1u);
  EXPECT_NE(directory.problems[0].message.find("is a directory"), std::string::npos);

  fs::path big = dir.Write("big.yaml", "run: x\n#" + std::string(2 * 1024 * 1024, 'x') + "\n");
  SpecParseResult too_big = ParseJobSpecFile(big.string());
  ASSERT_EQ(too_big.problems.size(), 1u);
  EXPECT_NE(too_big.problems[0].message.find("the file is 2.0 MiB; a job spec may be at most 1 MiB"),
            std::string::npos)
      << too_big.problems[0].message;
  EXPECT_EQ(too_big.problems[0].file, big.string());
}

TEST(SpecJsonTest, CanonicalJsonHasIntegerQuantities) {
  JobSpec spec = ParseOne("name: j\nresources: {cpus: 8+, memory: 512MiB, accelerators: A100:2}\nrun: x\n");
  nlohmann::json json = SpecToJson(spec);
  EXPECT_EQ(json["name"], "j");
  EXPECT_EQ(json["mode"], "single");
  EXPECT_EQ(json["resources"]["cpus_milli"], 8000);
  EXPECT_EQ(json["resources"]["cpus_exact"], false);
  EXPECT_EQ(json["resources"]["memory_mib"], 512);
  EXPECT_EQ(json["resources"]["accelerators"]["A100"], 2);
  EXPECT_TRUE(json["budget_usd"].is_null());
  EXPECT_EQ(SpecSummary(spec), "single, 8+ CPU, 512 MiB, A100:2, queue default, objective cost");
}

TEST(DecodeStoredJobSpecTest, OneDocumentEveryProblemAndNoBaseDir) {
  auto spec = DecodeStoredJobSpec("name: j\nworkdir: ./train\nrun: x\n", "job.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->name, "j");
  EXPECT_TRUE(spec->base_dir.empty()) << "paths are resolved by whoever knows the job's upload";

  auto bad = DecodeStoredJobSpec("name: j\nnum_nodes: 0\npriority: x\nrun: x\n", "job.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("job.yaml:2:"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("job.yaml:3:"), std::string::npos) << bad.status().message();

  auto two = DecodeStoredJobSpec("name: a\nrun: x\n---\nname: b\nrun: y\n", "p.yaml");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("p.yaml: holds 2 jobs"), std::string::npos) << two.status().message();
}

TEST(SpecVolumesTest, LongAndShortForms) {
  JobSpec spec = ParseOne(
      "volumes:\n  - {name: data, path: /data, read_only: true}\n  - ckpt:/ckpt\n  - \"models:models:ro\"\n"
      "run: x\n");
  ASSERT_EQ(spec.volumes.size(), 3u);
  EXPECT_EQ(spec.volumes[0].name, "data");
  EXPECT_EQ(spec.volumes[0].path, "/data");
  EXPECT_TRUE(spec.volumes[0].read_only);
  EXPECT_EQ(spec.volumes[1].name, "ckpt");
  EXPECT_FALSE(spec.volumes[1].read_only);
  EXPECT_EQ(spec.volumes[2].path, "models");
  EXPECT_TRUE(spec.volumes[2].read_only);
}

TEST(SpecVolumesTest, HostileNamesAndPathsArePointedAt) {
  std::string p = Problems("run: x\nvolumes:\n  - {name: ../alpha, path: /data}\n");
  EXPECT_NE(p.find("job.yaml:3"), std::string::npos) << p;
  EXPECT_NE(p.find("not a volume name"), std::string::npos) << p;
  p = Problems("run: x\nvolumes:\n  - {name: data, path: /../../etc}\n");
  EXPECT_NE(p.find("volumes[0].path"), std::string::npos) << p;
  EXPECT_NE(p.find("'..'"), std::string::npos) << p;
  p = Problems("run: x\nvolumes: [data:/]\n");
  EXPECT_NE(p.find("task's directory itself"), std::string::npos) << p;
  p = Problems("run: x\nvolumes: [data]\n");
  EXPECT_NE(p.find("NAME:/path"), std::string::npos) << p;
  p = Problems("run: x\nvolumes: [data:/d:rx]\n");
  EXPECT_NE(p.find("NAME:/path"), std::string::npos) << p;
  p = Problems("run: x\nvolumes:\n  - {name: data}\n");
  EXPECT_NE(p.find("volumes[0].path"), std::string::npos) << p;
  p = Problems("run: x\nvolumes:\n  - {name: data, path: /d, size: 3}\n");
  EXPECT_NE(p.find("size"), std::string::npos) << p;
}

TEST(SpecDataTest, S3InputsAndOutputsWithAPathAreStaged) {
  JobSpec spec = ParseOne(
      "inputs: [{uri: s3://data/mnli/, path: /data}]\noutputs: [{uri: s3://results/run1/, path: out}]\nrun: "
      "x\n");
  ASSERT_EQ(spec.inputs.size(), 1u);
  EXPECT_EQ(spec.inputs[0].path, "/data");
  ASSERT_EQ(spec.outputs.size(), 1u);
  EXPECT_EQ(spec.outputs[0].path, "out");
  std::string p = Problems("inputs: [{uri: s3://data/x, path: ../../etc}]\nrun: x\n");
  EXPECT_NE(p.find("inputs[0].path"), std::string::npos) << p;
}

TEST(SpecVolumesTest, APathIsTakenOnce) {
  std::string p = Problems("run: x\nvolumes: [a:/data, b:/data/]\n");
  EXPECT_NE(p.find("already taken"), std::string::npos) << p;
  p = Problems("run: x\nfile_mounts: {/data/cfg: ./cfg}\nvolumes: [a:/data]\n");
  EXPECT_NE(p.find("already taken"), std::string::npos) << p;
}

}  // namespace
}  // namespace skyrun
