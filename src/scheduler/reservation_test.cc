#include "scheduler/reservation.h"

#include <gtest/gtest.h>

#include "scheduler/scheduler.h"
#include "scheduler/test_nodes.h"

namespace skyrun {
namespace {

using testing_nodes::GpuJob;
using testing_nodes::MakeNode;
using testing_nodes::Pending;

constexpr Micros kNow = 1'800'000'000LL * kMicrosPerSecond;
constexpr Micros kHour = 3600 * kMicrosPerSecond;

TaskPlacement Task(const std::string& node, std::vector<int> gpus, int64_t cpus_milli = 1000) {
  TaskPlacement t;
  t.node = node;
  t.gpu_indices = std::move(gpus);
  t.gpu_milli = MilliGpu(1000 * static_cast<int64_t>(t.gpu_indices.size()));
  t.cpus_milli = MilliCpu(cpus_milli);
  return t;
}

// A running job: booked, with its expected end (nullopt: no time limit).
void RunJob(Fleet& fleet, int64_t id, std::vector<TaskPlacement> tasks, std::optional<Micros> end) {
  for (const auto& t : tasks) fleet.Reserve(t);
  fleet.SetExpectedEnd(JobId(id), std::move(tasks), end);
}

// Two 2-GPU nodes, each full: a on n1 until +1h, b on n2 until +2h.
Fleet TwoBusyNodes(std::optional<Micros> a_end = kNow + kHour,
                   std::optional<Micros> b_end = kNow + 2 * kHour) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n1", 8, 64, 2), MakeNode("n2", 8, 64, 2)});
  RunJob(fleet, 100, {Task("n1", {0, 1})}, a_end);
  RunJob(fleet, 101, {Task("n2", {0, 1})}, b_end);
  return fleet;
}

std::vector<std::string> Usage(const Fleet& fleet) {
  std::vector<std::string> out;
  for (const Node& n : fleet.nodes()) {
    NodeUsage u = fleet.UsageOf(n.name);
    std::string s = n.name + ":" + std::to_string(u.cpus_milli.raw());
    for (MilliGpu g : u.gpu_milli_used) s += "/" + std::to_string(g.raw());
    out.push_back(s);
  }
  return out;
}

struct Planner {
  Scheduler sched;
  ReservationBook book;
  std::optional<Reservation> Plan(const JobSpec& spec, Fleet& fleet, int64_t id = 1) {
    PendingJob job = Pending(spec, id);
    return book.Plan(job.id, "big", fleet, kNow, [&](Fleet& f) { return sched.Place(job, f).placement; });
  }
};

TEST(ReservationTest, StartsWhenTheFirstHolderItNeedsEnds) {
  Fleet fleet = TwoBusyNodes();
  std::vector<std::string> before = Usage(fleet);
  uint64_t generation = fleet.generation();
  Planner p;
  JobSpec two_gpus = GpuJob(1, 2);
  auto r = p.Plan(two_gpus, fleet);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->start.has_value());
  EXPECT_EQ(*r->start, kNow + kHour);
  EXPECT_EQ(r->placement.Describe(), "local: n1 (rank 0, gpus 0,1)");
  EXPECT_EQ(DescribeReservation(*r),
            "reserved from 2027-01-15T09:00:00.000Z on local: n1 (rank 0, gpus 0,1)");
  // Planning gave back and took again what the running jobs hold.
  EXPECT_EQ(Usage(fleet), before);
  EXPECT_EQ(fleet.generation(), generation);
}

TEST(ReservationTest, AGangWaitsForTheLastNodeItNeeds) {
  Fleet fleet = TwoBusyNodes();
  Planner p;
  JobSpec gang = GpuJob(2, 2);
  auto r = p.Plan(gang, fleet);
  ASSERT_TRUE(r.has_value() && r->start.has_value());
  EXPECT_EQ(*r->start, kNow + 2 * kHour);
  EXPECT_EQ(r->placement.tasks.size(), 2u);
}

TEST(ReservationTest, AnOverdueHolderMeansItCouldStartNow) {
  Fleet fleet = TwoBusyNodes(kNow - kHour);
  Planner p;
  JobSpec two_gpus = GpuJob(1, 2);
  auto r = p.Plan(two_gpus, fleet);
  ASSERT_TRUE(r.has_value() && r->start.has_value());
  EXPECT_EQ(*r->start, kNow);
}

TEST(ReservationTest, HoldersWithNoTimeLimitGiveNoStartButTheCapacityIsHeld) {
  Fleet fleet = TwoBusyNodes(std::nullopt, std::nullopt);
  std::vector<std::string> before = Usage(fleet);
  Planner p;
  JobSpec gang = GpuJob(2, 2);
  auto r = p.Plan(gang, fleet);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->start.has_value());
  EXPECT_EQ(r->gpus_busy, 4);
  EXPECT_EQ(DescribeReservation(*r).rfind("waits for 4 GPUs held by jobs with no time limit (no start can be "
                                          "estimated); held for it: local: n1",
                                          0),
            0u)
      << DescribeReservation(*r);
  EXPECT_EQ(Usage(fleet), before);
}

TEST(ReservationTest, OneHolderWithNoTimeLimitIsEnoughToGiveNoStart) {
  Fleet fleet = TwoBusyNodes(kNow + kHour, std::nullopt);
  Planner p;
  JobSpec gang = GpuJob(2, 2);
  auto r = p.Plan(gang, fleet);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->start.has_value());
}

TEST(ReservationTest, AJobThatCanNeverFitGetsNone) {
  Fleet fleet = TwoBusyNodes();
  Planner p;
  JobSpec too_big = GpuJob(1, 4);
  EXPECT_FALSE(p.Plan(too_big, fleet).has_value());
}

TEST(ReservationTest, WhatIsHeldAheadStaysHeldWhilePlanning) {
  Fleet fleet = TwoBusyNodes();
  Planner p;
  JobSpec two_gpus = GpuJob(1, 2);
  auto first = p.Plan(two_gpus, fleet, 1);
  ASSERT_TRUE(first && first->start);
  p.book.Hold(*first, fleet);
  // The next identical job cannot have n1 at +1h: it is held. It gets n2 at +2h.
  auto second = p.Plan(two_gpus, fleet, 2);
  ASSERT_TRUE(second && second->start);
  EXPECT_EQ(*second->start, kNow + 2 * kHour);
  EXPECT_EQ(second->placement.tasks[0].node, "n2");
  p.book.Clear(fleet);
  EXPECT_EQ(Usage(fleet), Usage(TwoBusyNodes()));
}

TEST(ReservationTest, LiftFromTakesBackOnlyReservationsStartingAfterTheEnd) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n1", 8, 64, 2)});
  ReservationBook book;
  Reservation r;
  r.job = JobId(1);
  r.name = "big";
  r.start = kNow + kHour;
  r.placement.backend = "local";
  r.placement.tasks = {Task("n1", {0, 1})};
  uint64_t empty_digest = book.digest();
  book.Hold(r, fleet);
  EXPECT_NE(book.digest(), empty_digest);
  EXPECT_EQ(fleet.IdleGpus(0), 0);
  EXPECT_EQ(book.LiftFrom(kNow + 2 * kHour, fleet), 0u);  // would end after it starts
  EXPECT_EQ(fleet.IdleGpus(0), 0);
  EXPECT_EQ(book.LiftFrom(kNow + kHour, fleet), 1u);  // ends as it starts
  EXPECT_EQ(fleet.IdleGpus(0), 2);
  book.Restore(fleet);
  EXPECT_EQ(fleet.IdleGpus(0), 0);
  EXPECT_EQ(book.Summary(), "big from 2027-01-15T09:00:00.000Z on local: n1 (rank 0, gpus 0,1)");
  book.Clear(fleet);
  EXPECT_EQ(fleet.IdleGpus(0), 2);
  EXPECT_TRUE(book.empty());
}

TEST(ReservationTest, AReservationWithNoStartIsNeverLifted) {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n1", 8, 64, 2)});
  ReservationBook book;
  Reservation r;
  r.job = JobId(1);
  r.placement.tasks = {Task("n1", {0})};
  book.Hold(r, fleet);
  EXPECT_EQ(book.LiftFrom(kNow, fleet), 0u);
  book.Clear(fleet);
}

TEST(ReservationTest, AStaleHolderIsSkippedNotTrusted) {
  // Released without ForgetExpectedEnd: giving it back again would take
  // capacity below zero; planning skips it instead.
  Fleet fleet = TwoBusyNodes();
  fleet.Release(Task("n1", {0, 1}));
  RunJob(fleet, 102, {Task("n1", {0})}, std::nullopt);
  Planner p;
  JobSpec two_gpus = GpuJob(1, 2);
  auto r = p.Plan(two_gpus, fleet);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Usage(fleet), (std::vector<std::string>{"n1:1000/1000/0", "n2:1000/1000/1000"}));
}

// --- the cycle (Scheduler::Schedule) ---

struct Queue {
  std::vector<JobSpec> specs;
  std::vector<PendingJob> jobs;
  Queue() { specs.reserve(16); }
  void Add(int64_t id, JobSpec spec, int priority, std::optional<Micros> limit) {
    spec.priority = priority;
    spec.name = "job" + std::to_string(id);
    specs.push_back(std::move(spec));
    PendingJob p = Pending(specs.back(), id);
    p.time_limit = limit;
    jobs.push_back(p);
  }
};

std::string KindOf(const std::vector<Decision>& ds, int64_t id) {
  for (const Decision& d : ds)
    if (d.job == JobId(id)) return d.kind == Decision::Kind::kPlace ? "place" : "wait: " + d.reason;
  return "absent";
}

// One 4-GPU node; a job holds 2 GPUs until +1h.
Fleet HalfBusyNode() {
  Fleet fleet;
  fleet.SetNodes({MakeNode("n1", 16, 64, 4)});
  RunJob(fleet, 100, {Task("n1", {0, 1})}, kNow + kHour);
  return fleet;
}

TEST(ReservationCycleTest, BackfillsOnlyWhatEndsBeforeTheReservation) {
  Fleet fleet = HalfBusyNode();
  Queue q;
  q.Add(1, GpuJob(1, 4), 10, 2 * kHour);    // waits for the whole node
  q.Add(2, GpuJob(1, 1), 1, kHour / 2);     // ends before +1h: may start
  q.Add(3, GpuJob(1, 1), 1, 2 * kHour);     // would end after: waits
  q.Add(4, GpuJob(1, 1), 1, std::nullopt);  // never ends for planning: waits
  Scheduler sched;
  std::vector<Decision> d = sched.Schedule(q.jobs, fleet, kNow);
  EXPECT_EQ(
      KindOf(d, 1).rfind("wait: reserved from 2027-01-15T09:00:00.000Z on local: n1 (rank 0, gpus 0,1,2,3); "
                         "now: no node has room",
                         0),
      0u)
      << KindOf(d, 1);
  EXPECT_EQ(KindOf(d, 2), "place");
  EXPECT_NE(KindOf(d, 3).find("held for jobs ahead of it: job1 from 2027-01-15T09:00:00.000Z"),
            std::string::npos)
      << KindOf(d, 3);
  EXPECT_NE(KindOf(d, 4).find("wait:"), std::string::npos);
  // The fleet holds the running job and the backfilled one, nothing held for job1.
  EXPECT_EQ(fleet.IdleGpus(0), 1);
  ASSERT_TRUE(fleet.holders().count(JobId(2)));
  EXPECT_EQ(fleet.holders().at(JobId(2)).expected_end, kNow + kHour / 2);
}

TEST(ReservationCycleTest, WithoutReservationsTheLowerPriorityJobsPass) {
  // Today's behaviour, and the bug: reservations 0 lets both small jobs start.
  ProfileSpec spec = DefaultProfileSpec();
  spec.reservations = 0;
  auto sched = Scheduler::Create(spec);
  ASSERT_TRUE(sched.ok());
  Fleet fleet = HalfBusyNode();
  Queue q;
  q.Add(1, GpuJob(1, 4), 10, 2 * kHour);
  q.Add(3, GpuJob(1, 1), 1, 2 * kHour);
  std::vector<Decision> d = sched->Schedule(q.jobs, fleet, kNow);
  EXPECT_EQ(KindOf(d, 3), "place");
}

TEST(ReservationCycleTest, AHighPriorityJobIsNotPassedByALowerOneWithNoTimeLimits) {
  // Two 2-GPU nodes: n1 busy with no time limit. The priority-1000 job needs
  // both nodes; the priority-0 job behind it fits on n2 now but would take
  // what the first waits for.
  Fleet fleet;
  fleet.SetNodes({MakeNode("n1", 8, 64, 2), MakeNode("n2", 8, 64, 2)});
  RunJob(fleet, 100, {Task("n1", {0, 1})}, std::nullopt);
  Queue q;
  q.Add(1, GpuJob(1, 1), 0, std::nullopt);
  q.Add(2, GpuJob(2, 2), 1000, std::nullopt);
  Scheduler sched;
  std::vector<Decision> d = sched.Schedule(q.jobs, fleet, kNow);
  EXPECT_EQ(KindOf(d, 2).rfind("wait: waits for 2 GPUs held by jobs with no time limit (", 0), 0u)
      << KindOf(d, 2);
  EXPECT_NE(KindOf(d, 1).find("held for jobs ahead of it: job2 (no estimate)"), std::string::npos)
      << KindOf(d, 1);
  // Not even a short job may take it: no start is known to end before.
  Queue q2;
  q2.Add(2, GpuJob(2, 2), 1000, std::nullopt);
  q2.Add(3, GpuJob(1, 1), 0, kHour / 60);
  std::vector<Decision> d2 = sched.Schedule(q2.jobs, fleet, kNow);
  EXPECT_NE(KindOf(d2, 3).find("wait:"), std::string::npos);
}

TEST(ReservationCycleTest, AnUnchangedWaitingJobKeepsHoldingItsReservation) {
  Fleet fleet = HalfBusyNode();
  Queue q;
  q.Add(1, GpuJob(1, 4), 10, 2 * kHour);
  Scheduler sched;
  sched.Schedule(q.jobs, fleet, kNow);
  // Next cycle: job1 is not planned again, yet a long job behind it may not
  // take what it holds.
  q.Add(3, GpuJob(1, 1), 1, 2 * kHour);
  std::vector<Decision> d = sched.Schedule(q.jobs, fleet, kNow + kMicrosPerSecond);
  EXPECT_EQ(sched.last_cycle().unchanged, 1);
  EXPECT_NE(KindOf(d, 3).find("wait:"), std::string::npos);
  // Once job1 leaves the queue (cancelled), what it held is free for job3,
  // though the fleet's generation did not move.
  Queue only3;
  only3.Add(3, GpuJob(1, 1), 1, 2 * kHour);
  std::vector<Decision> d2 = sched.Schedule(only3.jobs, fleet, kNow + 2 * kMicrosPerSecond);
  EXPECT_EQ(KindOf(d2, 3), "place");
}

TEST(ReservationCycleTest, OnlyTheFirstFewBlockedJobsGetAReservation) {
  ProfileSpec spec = DefaultProfileSpec();
  spec.reservations = 1;
  auto sched = Scheduler::Create(spec);
  ASSERT_TRUE(sched.ok());
  Fleet fleet = HalfBusyNode();
  Queue q;
  q.Add(1, GpuJob(1, 4), 10, 2 * kHour);
  q.Add(2, GpuJob(1, 3), 5, 2 * kHour);
  std::vector<Decision> d = sched->Schedule(q.jobs, fleet, kNow);
  EXPECT_EQ(KindOf(d, 1).substr(0, 20), "wait: reserved from ");
  EXPECT_EQ(KindOf(d, 2).substr(0, 20), "wait: no node has ro");
}

}  // namespace
}  // namespace skyrun
