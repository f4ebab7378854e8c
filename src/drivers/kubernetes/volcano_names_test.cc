#include "drivers/kubernetes/volcano_names.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(VolcanoNamesTest, SanitizesToDnsLabels) {
  EXPECT_EQ(SanitizeDnsLabel("BERT Finetune"), "bert-finetune");
  EXPECT_EQ(SanitizeDnsLabel("__a..b__"), "a-b");
  EXPECT_EQ(SanitizeDnsLabel("-x-"), "x");
  EXPECT_EQ(SanitizeDnsLabel("日本"), "");
  EXPECT_EQ(SanitizeDnsLabel("abcdef", 3), "abc");
  EXPECT_EQ(SanitizeDnsLabel("ab-cd", 3), "ab");  // no trailing dash after cutting
  EXPECT_TRUE(IsDnsLabel("a-1"));
  EXPECT_FALSE(IsDnsLabel("A"));
  EXPECT_FALSE(IsDnsLabel("-a"));
  EXPECT_FALSE(IsDnsLabel(""));
  EXPECT_FALSE(IsDnsLabel(std::string(64, 'a')));
}

TEST(VolcanoNamesTest, LabelValues) {
  EXPECT_EQ(SanitizeLabelValue("Research Lab"), "Research_Lab");
  EXPECT_EQ(SanitizeLabelValue("..x.."), "x");
  EXPECT_EQ(SanitizeLabelValue(std::string(80, 'a')).size(), 63u);
}

TEST(VolcanoNamesTest, JobNameLeavesRoomForThePodSuffixAndStartsWithALetter) {
  EXPECT_EQ(VolcanoJobName("BERT Finetune", 42, 2, "worker", 2), "bert-finetune-42-a2");
  EXPECT_EQ(VolcanoJobName("123go", 5, 1, "worker", 1), "job-123go-5-a1");
  EXPECT_EQ(VolcanoJobName("", 5, 1, "worker", 1), "job-5-a1");
  std::string long_name(200, 'x');
  for (int replicas : {1, 10, 1000}) {
    std::string job = VolcanoJobName(long_name, 123456789, 12, "worker", replicas);
    EXPECT_TRUE(IsDnsLabel(job)) << job;
    std::string pod = VolcanoPodName(job, "worker", replicas - 1);
    EXPECT_TRUE(IsDnsLabel(pod)) << pod;
    EXPECT_EQ(pod.size(), kDnsLabelMax) << "the name part should use all the room there is";
  }
}

TEST(VolcanoNamesTest, PodNamesAndDns) {
  EXPECT_EQ(VolcanoPodName("j-1-a1", "worker", 3), "j-1-a1-worker-3");
  EXPECT_EQ(VolcanoPodDnsName("j-1-a1", "worker", 0), "j-1-a1-worker-0.j-1-a1");
}

TEST(VolcanoNamesTest, HandleRoundTrip) {
  VolcanoTaskRef ref;
  ref.k8s_namespace = "ml";
  ref.job = "bert-42-a2";
  ref.task = "worker";
  ref.index = 1;
  ref.rank = 3;
  ref.task_dir = "/var/lib/skyrun/jobs/42/attempt-2/rank-3";
  std::string h = FormatVolcanoHandle(ref);
  EXPECT_EQ(h, "volcano:ml/bert-42-a2/worker/1/3:/var/lib/skyrun/jobs/42/attempt-2/rank-3");
  auto back = ParseVolcanoHandle(h);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->k8s_namespace, "ml");
  EXPECT_EQ(back->job, "bert-42-a2");
  EXPECT_EQ(back->task, "worker");
  EXPECT_EQ(back->index, 1);
  EXPECT_EQ(back->rank, 3);
  EXPECT_EQ(back->task_dir, ref.task_dir);
  EXPECT_EQ(back->PodName(), "bert-42-a2-worker-1");
}

TEST(VolcanoNamesTest, RejectsBadHandles) {
  for (const char* bad : {"", "/var/lib/skyrun/jobs/1/attempt-1/rank-0", "volcano:ml/job/worker/1:/d",
                          "volcano:ml/job/worker/x/1:/d", "volcano:ml/job/worker/1/-2:/d",
                          "volcano:ML/job/worker/1/1:/d", "volcano:ml/job/worker/1/1"}) {
    EXPECT_FALSE(ParseVolcanoHandle(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace skyrun
