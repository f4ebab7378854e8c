// The %N limit of a job array (controller/job_array.h) and Slurm's
// compressed host lists (controller/slurm_hostlist.h).
#include "controller/job_array.h"

#include <gtest/gtest.h>

#include "controller/slurm_hostlist.h"

namespace skyrun {
namespace {

JobRecord Element(int64_t id, int64_t tenant, int task, int64_t array_job, int limit) {
  JobRecord r;
  r.id = JobId(id);
  r.tenant = TenantId(tenant);
  r.spec.array.indices = {0, 1, 2, 3};
  r.spec.array.limit = limit;
  r.spec.array.task_id = task;
  r.spec.array.array_job_id = array_job;
  return r;
}

TEST(ArrayGateTest, NoMoreThanTheLimitHoldOrAreOfferedAtOnce) {
  ArrayGate gate;
  gate.CountHolding(Element(10, 1, 0, 0, 2));  // the first element, running
  EXPECT_TRUE(gate.Admit(Element(11, 1, 1, 10, 2)));
  EXPECT_FALSE(gate.Admit(Element(12, 1, 2, 10, 2)));
  EXPECT_FALSE(gate.Admit(Element(13, 1, 3, 10, 2)));
  EXPECT_EQ(ArrayGate::WaitReason(Element(12, 1, 2, 10, 2)), "array 10 runs at most 2 at once (%2)");
}

TEST(ArrayGateTest, ArraysOfOtherTenantsAndJobsWithoutALimitAreNotHeld) {
  ArrayGate gate;
  gate.CountHolding(Element(10, 1, 0, 0, 1));
  EXPECT_FALSE(gate.Admit(Element(11, 1, 1, 10, 1)));
  // Another tenant's job naming array 10 counts in its own tenant only.
  EXPECT_TRUE(gate.Admit(Element(21, 2, 1, 10, 1)));
  EXPECT_TRUE(gate.Admit(Element(12, 1, 2, 10, 0)));  // no %N
  JobRecord plain;
  plain.id = JobId(30);
  EXPECT_TRUE(gate.Admit(plain));
  EXPECT_TRUE(gate.Admit(plain));
}

TEST(SlurmHostListTest, CompressedAsSlurmWritesIt) {
  EXPECT_EQ(SlurmHostList({"node1", "node2", "node3", "node5"}), "node[1-3,5]");
  EXPECT_EQ(SlurmHostList({"node2"}), "node2");
  EXPECT_EQ(SlurmHostList({"node2", "node1"}), "node[1-2]");
  EXPECT_EQ(SlurmHostList({"gpu01", "gpu02", "gpu10"}), "gpu[01-02,10]");
  EXPECT_EQ(SlurmHostList({"box-a", "box-b"}), "box-a,box-b");
  EXPECT_EQ(SlurmHostList({"gpu1", "cpu3", "gpu2", "login"}), "cpu3,gpu[1-2],login");
  EXPECT_EQ(SlurmHostList({"n1", "n1"}), "n1");
  EXPECT_EQ(SlurmHostList({}), "");
}

}  // namespace
}  // namespace skyrun
