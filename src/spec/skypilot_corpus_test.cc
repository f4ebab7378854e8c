// The SkyPilot corpus (issue 15's acceptance): public SkyPilot task YAMLs,
// kept verbatim in tests/specs/skypilot/ (PROVENANCE.md says where from),
// each either validates unchanged or is refused only for capabilities not
// built yet, at exactly the fields this table names. A file added to the
// folder without a row here fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spec/spec_parser.h"
#include "support/golden.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

// File -> the fields refused (empty: validates unchanged). Why, per field:
// service/ports: serving; file_mounts.X: storage buckets or object-storage
// URIs (issue 13); envs.X/secrets.X: a value given at launch (--env/--secret);
// disk_*/network_tier: disks are not scheduled;
// image_id: VM images; workdir (url/ref): git workdirs; execution,
// primary_tasks: job groups; job_recovery: DYNAMIC_NODE_SET.
const std::map<std::string, std::set<std::string>> kExpected = {
    {"admin-policy-task.yaml", {}},
    {"amd-smoke-test.yaml", {}},
    {"amd-task.yaml", {}},
    {"autogluon.yaml", {}},
    {"axolotl-docker.yaml", {"envs.HF_TOKEN"}},
    {"azure-start-stop.yaml", {}},
    {"benchmark-lightning-gan.yaml", {}},
    {"benchmark-timm.yaml", {}},
    {"chain-dag-2-jobs.yaml", {}},
    {"codellama-endpoint.yaml",
     {"service", "resources.accelerators.A100:8", "resources.accelerators.A100-80GB:4",
      "resources.accelerators.A100-80GB:8", "resources.disk_size", "resources.disk_tier", "resources.ports"}},
    {"cog-sky.yaml", {"service", "resources.ports"}},
    {"cumstomized-image.yaml", {"resources.image_id"}},
    {"custom-image.yaml", {"resources.image_id"}},
    {"detectron2-docker.yaml", {"file_mounts./outputs"}},
    {"disk-size.yaml", {"resources.disk_size"}},
    {"distributed-fabric-train.yaml", {}},
    {"distributed-nccl-test-with-mpi.yaml", {}},
    {"distributed-pytorch-train-rdzv.yaml", {}},
    {"distributed-pytorch-train.yaml", {}},
    {"distributed-ray-train.yaml", {}},
    {"docker-app.yaml", {}},
    {"docker-echo-app.yaml", {"file_mounts./outputs"}},
    {"docker-ping.yaml", {}},
    {"fairseq2-multinode.yaml",
     {"secrets.HF_TOKEN", "resources.disk_size", "resources.disk_tier", "file_mounts./output"}},
    {"falcon.yaml",
     {"envs.OUTPUT_BUCKET_NAME", "secrets.WANDB_API_KEY", "resources.disk_size", "resources.disk_tier",
      "file_mounts./results"}},
    {"gemma-serve.yaml", {"service", "resources.ports", "resources.disk_tier"}},
    {"gpt2-data.yaml", {"file_mounts./cache"}},
    {"gpt2-train.yaml", {"resources.any_of[0].image_id", "file_mounts.'~/.cache/huggingface'"}},
    {"llama-3_1-lora.yaml", {"envs.HF_TOKEN", "resources.disk_tier", "file_mounts./output"}},
    {"managed-job.yaml", {}},
    {"resnet-distributed-torch.yaml", {}},
    {"spot-bert-qa.yaml", {"file_mounts./checkpoint"}},
    {"spot-lightning-cifar10.yaml", {"file_mounts./checkpoint", "file_mounts.~/lit"}},
    {"spot-torchelastic.yaml", {"file_mounts./checkpoint"}},
};

// Words every refusal of this corpus uses to say what is missing or what to give.
bool SaysWhy(const std::string& message) {
  for (const char* why : {"not built yet", "not scheduled yet", "not supported yet", "has no value",
                          "is not built", "skyrun plan"})
    if (message.find(why) != std::string::npos) return true;
  return false;
}

fs::path CorpusDir() {
  return (test_support::SourceDir() / "tests" / "specs" / "skypilot").lexically_normal();
}

TEST(SkyPilotCorpusTest, EveryFileHasItsExpectedOutcome) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(CorpusDir()))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 30u);
  int unchanged = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    auto expected = kExpected.find(file);
    SpecParseResult result = ParseJobSpecFile((CorpusDir() / file).string());
    std::set<std::string> refused;
    std::string shown;
    for (const auto& p : result.problems) {
      refused.insert(p.field);
      shown += "  " + p.ToString() + "\n";
      EXPECT_GT(p.line, 0) << "a refusal names its line: " << p.ToString();
      EXPECT_TRUE(SaysWhy(p.message)) << "a refusal says what is not built or what to give: " << p.ToString();
    }
    if (expected == kExpected.end()) {
      ADD_FAILURE() << "no expected outcome for " << file << "; it gives:\n" << shown;
      continue;
    }
    EXPECT_EQ(refused, expected->second) << shown;
    if (result.ok()) ++unchanged;
  }
  EXPECT_EQ(files.size(), kExpected.size()) << "a row names a file that is not in the corpus";
  // Every file that validates unchanged.
  EXPECT_EQ(unchanged, 17);
}

}  // namespace
}  // namespace skyrun
