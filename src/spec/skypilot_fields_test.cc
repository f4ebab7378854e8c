// SkyPilot's task YAML read as it is (issue 15): each SkyPilot field mapped
// onto skyrun's meaning, or refused with the field, the line and the reason.
#include "spec/skypilot_fields.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "spec/spec_cli.h"
#include "spec/spec_overrides.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

JobSpec ParseOne(const std::string& text, const SpecParseOptions& options = {}) {
  SpecParseResult result = ParseJobSpecs(text, "task.yaml", options);
  for (const auto& problem : result.problems) ADD_FAILURE() << problem.ToString() << "\nin:\n" << text;
  if (result.specs.size() != 1) {
    ADD_FAILURE() << "expected one spec, got " << result.specs.size();
    return JobSpec{};
  }
  return result.specs[0];
}

std::string Problems(const std::string& text) {
  SpecParseResult result = ParseJobSpecs(text, "task.yaml");
  EXPECT_FALSE(result.ok()) << "expected problems in:\n" << text;
  std::string out;
  for (const auto& problem : result.problems) out += problem.ToString() + "\n";
  return out;
}

TEST(SkyPilotFieldsTest, NumNodesWithoutModeIsAGang) {
  JobSpec spec = ParseOne("num_nodes: 2\nrun: x\n");
  EXPECT_EQ(spec.mode, JobMode::kGang);
  EXPECT_EQ(spec.num_nodes, 2);
  EXPECT_EQ(ParseOne("num_nodes: 1\nrun: x\n").mode, JobMode::kSingle);
  // An explicit single with more nodes stays a mistake.
  EXPECT_NE(Problems("mode: single\nnum_nodes: 2\nrun: x\n").find("set mode: gang"), std::string::npos);
}

TEST(SkyPilotFieldsTest, NamesWithCapitalsAreLowerCased) {
  EXPECT_EQ(ParseOne("name: minGPT-ddp\nrun: x\n").name, "mingpt-ddp");
}

TEST(SkyPilotFieldsTest, AcceleratorSetListAndFraction) {
  JobSpec set = ParseOne("resources:\n  accelerators: {L4, A10G:2, H100: 8}\nrun: x\n");
  EXPECT_EQ(set.resources.accelerators, (std::map<std::string, int>{{"L4", 1}, {"A10G", 2}, {"H100", 8}}));
  EXPECT_TRUE(set.resources.accelerator_order.empty());
  JobSpec list = ParseOne("resources:\n  accelerators: [V100:4, T4:4]\nrun: x\n");
  EXPECT_EQ(list.resources.accelerator_order, (std::vector<std::string>{"V100", "T4"}));
  JobSpec share = ParseOne("resources:\n  accelerators: K80:0.5\nrun: x\n");
  EXPECT_EQ(share.resources.accelerators.at("K80"), 1);
  EXPECT_EQ(share.resources.gpu_milli.raw(), 500);
  EXPECT_NE(Problems("resources:\n  accelerators: K80:1.5\nrun: x\n").find("a share of a GPU is below 1"),
            std::string::npos);
  EXPECT_NE(Problems("resources:\n  accelerators: {A100:4, A100:8}\nrun: x\n").find("two counts (4 and 8)"),
            std::string::npos);
  EXPECT_NE(Problems("resources:\n  accelerators: [A100:4, A100:4]\nrun: x\n").find("listed twice"),
            std::string::npos);
}

TEST(SkyPilotFieldsTest, CloudRegionZoneBecomeInfra) {
  EXPECT_EQ(ParseOne("resources:\n  cloud: AWS\n  region: us-east-2\nrun: x\n").resources.infra,
            (std::vector<std::string>{"aws/us-east-2"}));
  EXPECT_EQ(ParseOne("resources:\n  cloud: kubernetes\nrun: x\n").resources.infra,
            (std::vector<std::string>{"kubernetes"}));
  EXPECT_EQ(Problems("resources:\n  region: us-east-1\nrun: x\n"),
            "task.yaml:2:3: resources.region: a region or zone needs its cloud, such as cloud: aws\n");
  EXPECT_NE(Problems("resources:\n  cloud: aws\n  infra: gcp\nrun: x\n").find("not both"), std::string::npos);
  SpecParseOptions broker;
  broker.broker_fields = true;
  EXPECT_EQ(
      ParseOne("resources:\n  cloud: gcp\n  region: us-central1\n  zone: us-central1-a\nrun: x\n", broker)
          .resources.infra,
      (std::vector<std::string>{"gcp/us-central1/us-central1-a"}));
}

TEST(SkyPilotFieldsTest, AnyOfPlacesOrGpusButNotPairs) {
  JobSpec places =
      ParseOne("resources:\n  accelerators: A100:8\n  any_of:\n    - cloud: aws\n    - infra: gcp\nrun: x\n");
  EXPECT_EQ(places.resources.infra, (std::vector<std::string>{"aws", "gcp"}));
  EXPECT_EQ(places.resources.accelerators.at("A100"), 8);
  JobSpec gpus =
      ParseOne("resources:\n  candidates:\n  - {accelerators: T4:4}\n  - {accelerators: V100:4}\nrun: x\n");
  EXPECT_EQ(gpus.resources.accelerators, (std::map<std::string, int>{{"T4", 4}, {"V100", 4}}));
  EXPECT_NE(Problems("resources:\n  any_of:\n    - {cloud: aws, accelerators: H100:8}\n    - {cloud: gcp, "
                     "accelerators: A100:8}\nrun: x\n")
                .find("pair places with GPUs"),
            std::string::npos);
  // ordered: a preference the broker weighs (controller/broker.h); a caller
  // without the broker's fields refuses it.
  std::string ordered =
      "resources:\n  ordered:\n    - infra: aws/us-east-1\n    - infra: aws/us-west-2\nrun: x\n";
  SpecParseOptions without;
  without.broker_fields = false;
  SpecParseResult refused = ParseJobSpecs(ordered, "task.yaml", without);
  ASSERT_EQ(refused.problems.size(), 1u);
  EXPECT_NE(refused.problems[0].ToString().find("skyrun plan"), std::string::npos)
      << refused.problems[0].ToString();
  JobSpec planned = ParseOne(ordered);
  EXPECT_TRUE(planned.resources.infra_ordered);
  EXPECT_EQ(planned.resources.infra, (std::vector<std::string>{"aws/us-east-1", "aws/us-west-2"}));
}

TEST(SkyPilotFieldsTest, DockerImageIdIsTheImageAndVmImagesAreRefused) {
  EXPECT_EQ(ParseOne("resources:\n  image_id: docker:rocm/pytorch:latest\nrun: x\n").image,
            "rocm/pytorch:latest");
  EXPECT_NE(Problems("resources:\n  image_id: ami-062ddd90fb6f8267a\nrun: x\n").find("VM images"),
            std::string::npos);
  EXPECT_NE(Problems("image: a\nresources:\n  image_id: docker:b\nrun: x\n").find("give the image once"),
            std::string::npos);
}

TEST(SkyPilotFieldsTest, JobRecoveryAndSpotRecoveryStrategies) {
  EXPECT_EQ(ParseOne("resources:\n  job_recovery: EAGER_NEXT_REGION\nrun: x\n").recovery.strategy,
            "eager_next_region");
  EXPECT_EQ(ParseOne("resources:\n  job_recovery: FAILOVER\nrun: x\n").recovery.strategy, "failover");
  EXPECT_EQ(ParseOne("resources:\n  spot_recovery: NONE\nrun: x\n").recovery.strategy, "none");
  JobSpec map = ParseOne(
      "resources:\n  job_recovery:\n    strategy: FAILOVER\n    max_restarts_on_errors: 3\n"
      "    recover_on_exit_codes: [33, 34]\nrun: x\n");
  EXPECT_EQ(map.recovery.max_restarts_on_errors, 3);
  EXPECT_EQ(map.recovery.recover_on_exit_codes, (std::vector<int>{33, 34}));
  EXPECT_NE(Problems("resources:\n  job_recovery: SOMETIMES\nrun: x\n").find("expected FAILOVER"),
            std::string::npos);
  EXPECT_NE(Problems("recovery: {strategy: none}\nresources:\n  job_recovery: FAILOVER\nrun: x\n")
                .find("give recovery once"),
            std::string::npos);
}

TEST(SkyPilotFieldsTest, LabelsAutostopAndRefusedFields) {
  JobSpec spec = ParseOne("resources:\n  labels: {team: nlp}\n  autostop: 10m\nrun: x\n");
  EXPECT_EQ(spec.labels.at("team"), "nlp");
  EXPECT_EQ(
      Problems("resources:\n  disk_size: 512\nrun: x\n"),
      "task.yaml:2:3: resources.disk_size: disk sizes are not scheduled yet (nodes report no disk, and the "
      "broker that provisions VMs is not built); remove the field\n");
  EXPECT_NE(Problems("resources:\n  ports: 8000\nrun: x\n").find("serving, which is not built yet"),
            std::string::npos);
  EXPECT_NE(Problems("service:\n  replicas: 2\nrun: x\n").find("task.yaml:1:1: service: serving"),
            std::string::npos);
  EXPECT_NE(Problems("resources:\n  autostop: false\nrun: x\n").find("cannot keep them up"),
            std::string::npos);
}

TEST(SkyPilotFieldsTest, ValuelessEnvsAndSecretsAreRequiredAtLaunch) {
  EXPECT_EQ(Problems("envs:\n  HF_TOKEN:\nrun: x\n"),
            "task.yaml:2:3: envs.HF_TOKEN: has no value: give it at launch with --env HF_TOKEN=VALUE (skyrun "
            "launch and skyrun validate take --env as sky launch does)\n");
  EXPECT_NE(Problems("secrets:\n  WANDB_API_KEY: null\nrun: x\n").find("--secret WANDB_API_KEY=VALUE"),
            std::string::npos);
  JobSpec spec = ParseOne("secrets:\n  HF_TOKEN: hf_abc\nrun: x\n");
  EXPECT_EQ(spec.secrets.at("HF_TOKEN"), "hf_abc");
  EXPECT_TRUE(spec.envs.empty());
}

TEST(SkyPilotFieldsTest, SecretValuesAreNeverShown) {
  JobSpec spec = ParseOne("envs:\n  A: visible\nsecrets:\n  HF_TOKEN: hf_abcdef\nrun: x\n");
  std::string json = SpecToJson(spec).dump();
  EXPECT_EQ(json.find("hf_abcdef"), std::string::npos) << json;
  EXPECT_NE(json.find("\"HF_TOKEN\":\"<secret>\""), std::string::npos) << json;
  EXPECT_EQ(SpecSummary(spec).find("hf_abcdef"), std::string::npos);
  // Not even a refusal quotes it.
  std::string refused = Problems("secrets:\n  HF_TOKEN: \"hf_\\x07abcdef\"\nrun: x\n");
  EXPECT_NE(refused.find("secrets.HF_TOKEN: contains"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("abcdef"), std::string::npos) << refused;
}

TEST(SkyPilotFieldsTest, FileMountsExpandEnvsAndRefuseBuckets) {
  JobSpec spec =
      ParseOne("envs:\n  DATA: /srv/d\nfile_mounts:\n  /in/${DATA}: $DATA/x\n  /y: $UNSET\nrun: x\n");
  EXPECT_EQ(spec.file_mounts.at("/in//srv/d"), "/srv/d/x");
  EXPECT_EQ(spec.file_mounts.at("/y"), "$UNSET");
  EXPECT_NE(Problems("file_mounts:\n  /out:\n    name: bucket\n    mode: MOUNT\nrun: x\n").find("issue 13"),
            std::string::npos);
}

TEST(SkyPilotFieldsTest, ChainDagHeaderMakesStagesInOrder) {
  SpecParseResult result = ParseJobSpecs(
      "name: dag\n---\nname: first\nrun: a\n---\nname: second\nrun: b\n---\nname: third\nrun: c\n", "d.yaml");
  ASSERT_TRUE(result.ok()) << result.problems.front().ToString();
  ASSERT_EQ(result.specs.size(), 3u);
  EXPECT_TRUE(result.specs[0].depends_on.empty());
  EXPECT_EQ(result.specs[1].depends_on, (std::vector<std::string>{"first"}));
  EXPECT_EQ(result.specs[2].depends_on, (std::vector<std::string>{"second"}));
  SpecParseResult group =
      ParseJobSpecs("name: g\nexecution: parallel\n---\nname: a\nrun: a\n---\nname: b\nrun: b\n", "g.yaml");
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.problems.front().ToString().substr(0, 24), "g.yaml:2:1: execution: j");
}

TEST(SkyPilotFieldsTest, LaunchOverridesRewriteEveryJobDocument) {
  LaunchOverrides o;
  o.envs = {{"HF_TOKEN", "abc"}};
  o.secrets = {{"KEY", "s3cr3t"}};
  o.gpus = "A100:8";
  o.num_nodes = 2;
  auto text = ApplyLaunchOverrides("name: t\nenvs:\n  HF_TOKEN:\nrun: |\n  echo a\n  echo b\n", o);
  ASSERT_TRUE(text.ok());
  JobSpec spec = ParseOne(*text);
  EXPECT_EQ(spec.envs.at("HF_TOKEN"), "abc");
  EXPECT_EQ(spec.secrets.at("KEY"), "s3cr3t");
  EXPECT_EQ(spec.resources.accelerators.at("A100"), 8);
  EXPECT_EQ(spec.num_nodes, 2);
  EXPECT_EQ(spec.mode, JobMode::kGang);
  EXPECT_EQ(spec.run, "echo a\necho b\n");
  // The chain's header document is left alone.
  auto chain = ApplyLaunchOverrides("name: dag\n---\nname: a\nrun: x\n---\nname: b\nrun: y\n", o);
  ASSERT_TRUE(chain.ok());
  SpecParseResult parsed = ParseJobSpecs(*chain, "d.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.problems.front().ToString() << "\n" << *chain;
  EXPECT_EQ(parsed.specs.size(), 2u);
}

TEST(SkyPilotFieldsTest, EnvFlags) {
  const char* environment[] = {"HF_TOKEN=from-here", "OTHER=1", nullptr};
  auto given = ParseEnvFlag("A=b=c", "--env", environment);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->second, "b=c");
  auto inherited = ParseEnvFlag("HF_TOKEN", "--env", environment);
  ASSERT_TRUE(inherited.ok());
  EXPECT_EQ(inherited->second, "from-here");
  EXPECT_FALSE(ParseEnvFlag("MISSING", "--env", environment).ok());
  EXPECT_FALSE(ParseEnvFlag("1BAD=x", "--env", environment).ok());
}

TEST(SkyPilotFieldsTest, ValidateTakesEnvForRequiredEnvs) {
  std::istringstream in("envs:\n  HF_TOKEN:\nrun: echo $HF_TOKEN\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunValidate("-", false, in, out, err), 2);
  EXPECT_NE(err.str().find("--env HF_TOKEN=VALUE"), std::string::npos);
  std::istringstream again("envs:\n  HF_TOKEN:\nrun: echo $HF_TOKEN\n");
  std::ostringstream out2, err2;
  LaunchOverrides o;
  o.envs = {{"HF_TOKEN", "x"}};
  EXPECT_EQ(RunValidate("-", false, again, out2, err2, o), 0) << err2.str();
}

}  // namespace
}  // namespace skyrun
