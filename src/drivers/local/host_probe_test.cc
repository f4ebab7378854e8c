#include "drivers/local/host_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/local/local_test_util.h"

namespace skyrun {
namespace {

using ::testing::HasSubstr;

TEST(HostProbeTest, MemTotalIsReadInMiB) {
  Result<int64_t> mib = ParseMemInfoTotalMiB("MemFree:  100 kB\nMemTotal:       24684092 kB\nSwap: 0 kB\n");
  ASSERT_TRUE(mib.ok());
  EXPECT_EQ(*mib, 24684092 / 1024);
  EXPECT_FALSE(ParseMemInfoTotalMiB("MemFree: 1 kB\n").ok());
  EXPECT_FALSE(ParseMemInfoTotalMiB("MemTotal: lots kB\n").ok());
}

TEST(HostProbeTest, NvidiaSmiCsvGivesDevicesByIndex) {
  Result<std::vector<GpuDevice>> gpus = ParseNvidiaSmiGpus(
      "1, NVIDIA A100-SXM4-80GB, 81920\n"
      "0, NVIDIA H100 80GB HBM3, 81559\n"
      "2, Tesla T4, 15360\n\n");
  ASSERT_TRUE(gpus.ok()) << gpus.status().ToString();
  ASSERT_EQ(gpus->size(), 3u);
  EXPECT_EQ((*gpus)[0].index, 0);
  EXPECT_EQ((*gpus)[0].model, "H100");
  EXPECT_EQ((*gpus)[0].memory_mb.raw(), 81559);
  EXPECT_EQ((*gpus)[1].model, "A100-80GB");
  EXPECT_EQ((*gpus)[2].model, "T4");
  EXPECT_TRUE(ParseNvidiaSmiGpus("").ok());
  Result<std::vector<GpuDevice>> bad = ParseNvidiaSmiGpus("0, NVIDIA H100\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("line 1"));
  EXPECT_FALSE(ParseNvidiaSmiGpus("x, NVIDIA H100, 80\n").ok());
}

TEST(HostProbeTest, DeviceNamesBecomeCatalogModels) {
  EXPECT_EQ(NormalizeGpuModel("NVIDIA A100-SXM4-40GB", 40960), "A100");
  EXPECT_EQ(NormalizeGpuModel("NVIDIA A100-SXM4-80GB", 81920), "A100-80GB");
  EXPECT_EQ(NormalizeGpuModel("Tesla V100-SXM2-32GB", 32510), "V100-32GB");
  EXPECT_EQ(NormalizeGpuModel("Tesla V100-PCIE-16GB", 16160), "V100");
  EXPECT_EQ(NormalizeGpuModel("NVIDIA GeForce RTX 4090", 24564), "RTX4090");
  EXPECT_EQ(NormalizeGpuModel("NVIDIA RTX A6000", 49140), "RTXA6000");
  EXPECT_EQ(NormalizeGpuModel("NVIDIA L40S", 46068), "L40S");
}

TEST(HostProbeTest, CgroupV1IsReportedAsNotEnforced) {
  CgroupFacts facts;
  facts.root = "/sys/fs/cgroup";
  facts.root_is_v1 = true;
  CgroupSupport s = DescribeCgroupSupport(facts);
  EXPECT_FALSE(s.enforced);
  EXPECT_EQ(s.note,
            "cgroup v2 not available (/sys/fs/cgroup is cgroup v1): CPU and memory limits are not enforced");
  EXPECT_TRUE(s.cgroup_parent.empty());
}

TEST(HostProbeTest, CgroupV2WithoutControllersOrWritableSubtreeIsNotEnforced) {
  CgroupFacts facts;
  facts.root = "/sys/fs/cgroup";
  facts.root_is_v2 = true;
  facts.controllers = {"pids", "memory"};
  CgroupSupport s = DescribeCgroupSupport(facts);
  EXPECT_FALSE(s.enforced);
  EXPECT_THAT(s.note, HasSubstr("lacks the cpu or memory controller (it has: pids memory)"));

  facts.controllers = {"cpu", "memory", "pids"};
  facts.subtree_error = "/sys/fs/cgroup/cgroup.subtree_control: Permission denied";
  s = DescribeCgroupSupport(facts);
  EXPECT_FALSE(s.enforced);
  EXPECT_THAT(s.note, HasSubstr("Permission denied"));
  EXPECT_THAT(s.note, HasSubstr("delegate a cgroup v2 subtree"));

  facts.subtree_created = true;
  facts.subtree_error.clear();
  s = DescribeCgroupSupport(facts);
  EXPECT_TRUE(s.enforced);
  EXPECT_EQ(s.cgroup_parent, "/sys/fs/cgroup/skyrun");
}

TEST(HostProbeTest, APlainDirectoryIsNoCgroupHierarchy) {
  testing_local::TempDir dir;
  CgroupFacts facts = ProbeCgroupFacts(dir.path());
  EXPECT_FALSE(facts.root_is_v2);
  EXPECT_FALSE(facts.root_is_v1);
  EXPECT_EQ(DescribeCgroupSupport(facts).note,
            "cgroup v2 not available (" + dir.path() +
                " is not a cgroup v2 mount): CPU and memory limits are not enforced");
}

TEST(HostProbeTest, RunAndCaptureReturnsStdoutOrWhyItFailed) {
  Result<std::string> out = RunAndCapture({"printf", "a,b\\n"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "a,b\n");
  Result<std::string> failed = RunAndCapture({"false"});
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("exit code 1"));
  EXPECT_FALSE(RunAndCapture({"/no/such/tool"}).ok());
  EXPECT_EQ(FindOnPath("/no/such/tool"), "");
  EXPECT_EQ(FindOnPath("bash").empty(), false);
}

}  // namespace
}  // namespace skyrun
