// Issue 10, items 5, 6, 7 and 17: what the parser refuses at submission so that
// no later stage (a script, a manifest, a JSON dump, the staging of files)
// meets it. Each test attacks one defence; the messages must say where.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "spec/spec_parser.h"

namespace skyrun {
namespace {

using namespace std::string_literals;

// The problems of `yaml` as "line:col: field: message" lines.
std::vector<std::string> Problems(const std::string& yaml) {
  SpecParseResult r = ParseJobSpecs(yaml, "job.yaml");
  std::vector<std::string> out;
  for (const auto& p : r.problems) out.push_back(p.ToString());
  return out;
}

// The one problem of `yaml`; fails the test when there is not exactly one.
std::string OneProblem(const std::string& yaml) {
  auto problems = Problems(yaml);
  EXPECT_EQ(problems.size(), 1u) << yaml;
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  return all;
}

bool Accepted(const std::string& yaml) {
  return ParseJobSpecs(yaml, "job.yaml").ok();
}

// --- Item 5: control characters ---

TEST(SpecSafetyTest, Item5_NewlineInWorkdirIsRefusedWithItsPlace) {
  // The attack: the newline would end "#SBATCH --chdir=" and start a command.
  std::string p = OneProblem("run: echo hi\nworkdir: \"/x\\ntouch INJECTED\\n#\"\n");
  EXPECT_NE(p.find("job.yaml:2:10: workdir: contains a line break (\\n)"), std::string::npos) << p;
}

TEST(SpecSafetyTest, Item5_LineFieldsRefuseEveryControlCharacter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"image: \"ubuntu\\x01\"\n", "image"},
      {"workdir: \"./a\\rb\"\n", "workdir"},
      {"workdir: \"./a\\tb\"\n", "workdir"},
      {"file_mounts: {\"/da\\nta\": ./d}\n", "file_mounts.'/da\\nta'"},
      {"file_mounts: {/data: \"./d\\n\"}\n", "file_mounts./data"},
      {"checkpoint: {dir: \"/ck\\x1bpt\"}\n", "checkpoint.dir"},
      {"deadline: \"1h\\n\"\n", "deadline"},
      {"resources: {infra: \"local\\n\"}\n", "resources.infra"},
  };
  for (const auto& [line, field] : cases) {
    std::string p = OneProblem("run: x\n" + line);
    EXPECT_NE(p.find(": " + field + ": "), std::string::npos) << line << " -> " << p;
  }
}

TEST(SpecSafetyTest, Item5_ScriptsAndEnvValuesMaySpanLinesButHoldNoOtherControls) {
  EXPECT_TRUE(Accepted("run: |\n  echo a\n  echo b\nsetup: \"a\\tb\\r\\nc\"\nenvs: {CERT: \"l1\\nl2\"}\n"));
  std::string p = OneProblem("run: \"echo \\x07bell\"\n");
  EXPECT_NE(p.find("job.yaml:1:6: run: contains a control character ('\\x07')"), std::string::npos) << p;
  p = OneProblem("run: x\nenvs: {A: \"v\\x1b[31m\"}\n");
  EXPECT_NE(p.find("envs.A: contains a control character"), std::string::npos) << p;
}

TEST(SpecSafetyTest, Item5_EnvNamesMustBeIdentifiers) {
  for (const char* key : {"\"A B\"", "\"A=B\"", "\"1A\"", "\"A;touch x\"", "\"A\\nB\"", "\"\""}) {
    std::string p = OneProblem(std::string("run: x\nenvs: {") + key + ": v}\n");
    EXPECT_NE(p.find("is not an environment variable name"), std::string::npos) << key << " -> " << p;
  }
}

// --- Item 6: what launch would refuse, refused at submission ---

TEST(SpecSafetyTest, Item6_NulInAnyStringIsRefused) {
  for (const char* line : {"run: \"echo \\0\"", "setup: \"\\0\"", "name: \"a\\0\"", "envs: {A: \"\\0\"}",
                           "workdir: \"./\\0\"", "image: \"u\\0\""}) {
    auto problems = Problems(std::string("run: x\n") + line + "\n");
    if (std::string(line).rfind("run:", 0) == 0) problems = Problems(std::string(line) + "\n");
    ASSERT_FALSE(problems.empty()) << line;
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    EXPECT_TRUE(all.find("NUL") != std::string::npos || all.find("must be 1 to 63") != std::string::npos)
        << line << " -> " << all;
  }
}

TEST(SpecSafetyTest, Item6_MountTargetsStayInsideTheTask) {
  for (const char* target : {"../x", "/../etc/passwd", "a/../../b", "data/..", "a/../b", "/", ".", "./"}) {
    std::string p = OneProblem(std::string("run: x\nfile_mounts: {\"") + target + "\": ./f}\n");
    EXPECT_NE(p.find("job.yaml:2:15: file_mounts."), std::string::npos) << target << " -> " << p;
    EXPECT_TRUE(p.find("holds '..', which is not allowed") != std::string::npos ||
                p.find("names the task's directory itself") != std::string::npos)
        << target << " -> " << p;
  }
  // Absolute targets are mapped into the task's directory; these stay allowed.
  EXPECT_TRUE(Accepted("run: x\nfile_mounts: {/data: ./d, models/bert: ./m, /a/b..c: ./f}\n"));
}

TEST(SpecSafetyTest, Item6_ObjectStorageSourcesAreRefused) {
  std::string p = OneProblem("run: x\nfile_mounts: {/data: s3://bucket/data}\n");
  EXPECT_NE(p.find("job.yaml:2:22: file_mounts./data: object storage mounts are not supported yet"),
            std::string::npos)
      << p;
  p = OneProblem("run: x\nworkdir: gs://bucket/code\n");
  EXPECT_NE(p.find("job.yaml:2:10: workdir: object storage mounts are not supported yet"), std::string::npos)
      << p;
  p = OneProblem("run: x\ncheckpoint: {dir: \"s3://b/ck\"}\n");
  EXPECT_NE(p.find("checkpoint.dir: object storage mounts are not supported yet"), std::string::npos) << p;
}

TEST(SpecSafetyTest, Item6_DeadlineBeyondAYearIsRefusedNotWrapped) {
  // 9999999999999h fits in int64 seconds but overflows in microseconds: the
  // job was killed after 40 ms.
  std::string p = OneProblem("run: x\ndeadline: 9999999999999h\n");
  EXPECT_NE(p.find("job.yaml:2:11: deadline: must be at most 365 days (8760h)"), std::string::npos) << p;
  p = OneProblem("run: x\ndeadline: 99999999999999999999999h\n");
  EXPECT_NE(p.find("deadline: duration is too large"), std::string::npos) << p;
  EXPECT_FALSE(Accepted("run: x\ndeadline: 366d\n"));
  EXPECT_TRUE(Accepted("run: x\ndeadline: 365d\n"));
  EXPECT_TRUE(Accepted("run: x\ndeadline: 8760h\n"));
}

// --- Item 7: bytes that are not UTF-8 ---

TEST(SpecSafetyTest, Item7_NonUtf8InACommentIsALocatedError) {
  std::string p = OneProblem("run: echo hi\n# caf\xff\n");
  EXPECT_EQ(p, "job.yaml:2:6: not valid UTF-8 (byte 0xff); save the spec as UTF-8\n");
}

TEST(SpecSafetyTest, Item7_NonUtf8InRunIsALocatedError) {
  std::string p = OneProblem("name: t\nrun: echo \xc3\xa9t\xc3\xa9 \xc3\n");
  EXPECT_EQ(p, "job.yaml:2:15: not valid UTF-8 (byte 0xc3); save the spec as UTF-8\n");
  // Valid UTF-8 anywhere stays accepted.
  EXPECT_TRUE(Accepted("run: echo \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"));
}

TEST(SpecSafetyTest, Item7_RawControlBytesAreALocatedError) {
  std::string p = OneProblem("run: echo a\x01\n");
  EXPECT_EQ(p, "job.yaml:1:12: a control character (byte 0x01) is not allowed in a job spec; remove it\n");
  p = OneProblem("run: echo a\n#\0x\n"s);
  EXPECT_NE(p.find("job.yaml:2:2: a control character (byte 0x00)"), std::string::npos) << p;
}

TEST(SpecSafetyTest, Item7_EveryAcceptedSpecDumpsAsJson) {
  SpecParseResult r = ParseJobSpecs("name: t\nrun: echo \xc3\xa9\nenvs: {A: \"\\u00ff\"}\n", "job.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_NO_THROW((void)SpecToJson(r.specs[0]).dump());
}

// --- Item 17: fields nothing implements are refused, not ignored ---
// Submission now places jobs through the broker, which honours them; a
// caller that cannot (broker_fields = false) still refuses them with the reason.

std::string OneProblemWithoutBroker(const std::string& yaml) {
  SpecParseOptions refusing;
  refusing.broker_fields = false;
  SpecParseResult r = ParseJobSpecs(yaml, "job.yaml", refusing);
  EXPECT_EQ(r.problems.size(), 1u) << yaml;
  std::string all;
  for (const auto& p : r.problems) all += p.ToString() + "\n";
  return all;
}

TEST(SpecSafetyTest, Item17_FieldsThatAreNotBuiltAreRefusedWithTheReason) {
  std::string p = OneProblemWithoutBroker("run: x\nresources:\n  use_spot: true\n");
  EXPECT_EQ(
      p,
      "job.yaml:3:3: resources.use_spot: spot capacity is not built yet; remove the field or set it false\n");
  p = OneProblemWithoutBroker("run: x\nresources: {max_hourly_cost: 0.001}\n");
  EXPECT_NE(p.find("job.yaml:2:13: resources.max_hourly_cost: a price cap is not enforced yet"),
            std::string::npos)
      << p;
  p = OneProblemWithoutBroker("run: x\nobjective: time\n");
  EXPECT_NE(p.find("job.yaml:2:1: objective: objective time is not built yet"), std::string::npos) << p;
  p = OneProblemWithoutBroker("run: x\ninputs: [{uri: s3://b/d}]\n");
  EXPECT_NE(p.find("job.yaml:2:1: inputs: moving data into a job (inputs) is not built yet"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("add the path"), std::string::npos) << p;
  // With a path in the task, an s3:// input is staged (docs/storage.md): accepted.
  SpecParseOptions refusing;
  refusing.broker_fields = false;
  EXPECT_TRUE(
      ParseJobSpecs("run: x\ninputs: [{uri: s3://b/d, path: /d}]\n", "job.yaml", refusing).problems.empty());
  p = OneProblemWithoutBroker("run: x\ninputs: [{uri: gs://b/d, path: /d}]\n");
  EXPECT_NE(p.find("inputs: moving data into a job (inputs) is not built yet"), std::string::npos) << p;
  p = OneProblemWithoutBroker("run: x\noutputs: [{uri: s3://b/d}]\n");
  EXPECT_NE(p.find("job.yaml:2:1: outputs: moving data out of a job (outputs) is not built yet"),
            std::string::npos)
      << p;
  p = OneProblemWithoutBroker("mode: ps-worker\nroles: {w: {resources: {use_spot: yes}, run: x}}\n");
  EXPECT_NE(p.find("roles.w.resources.use_spot: spot capacity is not built yet"), std::string::npos) << p;
}

// The broker's planner (`skyrun plan`) and submission read the fields into the spec.
TEST(SpecSafetyTest, Item17_ThePlannerReadsTheBrokerFields) {
  SpecParseOptions planning;
  planning.broker_fields = true;
  const std::string text =
      "run: x\nresources:\n  use_spot: true\n  max_hourly_cost: 12.5\n"
      "  infra: [aws, gcp/us-central1/us-central1-a]\n"
      "budget: 200\nobjective: time\ndeadline: 6h\n"
      "inputs: [{uri: s3://b/d, size_gb: 500, location: aws/us-east-1}]\n"
      "outputs: [{uri: s3://b/m, size_gb: 2}]\n";
  SpecParseResult r = ParseJobSpecs(text, "job.yaml", planning);
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].ToString());
  const JobSpec& spec = r.specs[0];
  EXPECT_TRUE(spec.resources.use_spot);
  ASSERT_TRUE(spec.resources.max_hourly_cost.has_value());
  EXPECT_DOUBLE_EQ(*spec.resources.max_hourly_cost, 12.5);
  EXPECT_EQ(spec.resources.infra, (std::vector<std::string>{"aws", "gcp/us-central1/us-central1-a"}));
  ASSERT_TRUE(spec.budget_usd.has_value());
  EXPECT_DOUBLE_EQ(*spec.budget_usd, 200);
  EXPECT_EQ(spec.objective, "time");
  ASSERT_EQ(spec.inputs.size(), 1u);
  EXPECT_EQ(spec.inputs[0].location, "aws/us-east-1");
  EXPECT_DOUBLE_EQ(spec.inputs[0].size_gb, 500);
  ASSERT_EQ(spec.outputs.size(), 1u);
  // Submission (the default options) reads them too; a caller without the
  // broker refuses them all, and a zone in infra too.
  EXPECT_TRUE(ParseJobSpecs(text, "job.yaml").ok());
  SpecParseOptions refusing;
  refusing.broker_fields = false;
  SpecParseResult submitted = ParseJobSpecs(text, "job.yaml", refusing);
  EXPECT_FALSE(submitted.ok());
  EXPECT_TRUE(std::any_of(submitted.problems.begin(), submitted.problems.end(),
                          [](const SpecProblem& p) { return p.field == "resources.infra[1]"; }));
  // Bad values are still problems when planning.
  EXPECT_FALSE(ParseJobSpecs("run: x\nbudget: -1\n", "job.yaml", planning).ok());
  EXPECT_FALSE(ParseJobSpecs("run: x\nresources: {infra: [a/b/c/d]}\n", "job.yaml", planning).ok());
}

// A job's own budget is in effect (the controller stops a job that reaches
// it), so submission takes it; a negative one is still a problem.
TEST(SpecSafetyTest, Item17_ABudgetIsAcceptedAtSubmission) {
  SpecParseResult r = ParseJobSpecs("run: x\nbudget: 200\n", "job.yaml");
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].ToString());
  ASSERT_TRUE(r.specs[0].budget_usd.has_value());
  EXPECT_DOUBLE_EQ(*r.specs[0].budget_usd, 200);
  EXPECT_FALSE(ParseJobSpecs("run: x\nbudget: -1\n", "job.yaml").ok());
}

TEST(SpecSafetyTest, Item17_DefaultValuesStayAccepted) {
  EXPECT_TRUE(Accepted("run: x\nresources: {use_spot: false}\nobjective: cost\ninputs: []\noutputs: []\n"));
}

}  // namespace
}  // namespace skyrun
