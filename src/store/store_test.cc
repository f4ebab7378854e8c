// Behaviour of the SQLite store through the Store interface: jobs, tasks,
// transitions (compare-and-set, atomicity), attempts, events, tenants,
// tokens, nodes, reopening, and how it refuses bad input and bad files.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include "store/store_test_util.h"

namespace skyrun {
namespace {

constexpr Micros kStart = 1'700'000'000'000'000;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(SpecDecoder decoder = SpecDecoder()) {
    store_.reset();
    auto opened = Store::Open(state_dir(), &clock_, std::move(decoder));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  std::string state_dir() const { return dir_.Sub("state"); }
  std::string db_path() const { return state_dir() + "/state.db"; }

  TenantId MakeTenant(const std::string& name) {
    auto tenant = store_->CreateTenant(name);
    EXPECT_TRUE(tenant.ok()) << tenant.status().ToString();
    return tenant.ok() ? tenant->id : TenantId();
  }

  JobId Submit(TenantId tenant, const std::string& name, int num_nodes = 1) {
    auto id = store_->CreateJob(MakeJob(tenant, name, num_nodes));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : JobId();
  }

  JobRecord Get(JobId id) {
    auto job = store_->GetJob(id);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : JobRecord();
  }

  size_t EventCount(JobId id) {
    auto events = store_->ListEvents(id);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? events->size() : 0;
  }

  Status Move(JobId id, JobState from, JobState to, const std::string& reason) {
    Transition t;
    t.job = id;
    t.from = from;
    t.to = to;
    t.reason = reason;
    return store_->ApplyTransition(t);
  }

  static AttemptRecord Attempt(int attempt_no, int rank, const std::string& node) {
    AttemptRecord a;
    a.attempt_no = attempt_no;
    a.rank = rank;
    a.node = node;
    a.backend = "local";
    a.gpu_indices = {rank * 2, rank * 2 + 1};
    a.gpu_milli = MilliGpu(2000);
    a.cpus_milli = MilliCpu(8000);
    a.memory_mib = MemoryMiB(65536);
    a.state = RunState::kLaunching;
    a.hourly_price = 3.5;
    return a;
  }

  TempDir dir_;
  SimulatedClock clock_{kStart};
  std::unique_ptr<Store> store_;
};

std::vector<int64_t> Ids(const std::vector<JobRecord>& jobs) {
  std::vector<int64_t> out;
  for (const auto& j : jobs) out.push_back(j.id.value());
  return out;
}

// ------------------------------------------------------------------- jobs

TEST_F(StoreTest, CreateThenGetReturnsTheRecordWithAssignedFields) {
  TenantId team = MakeTenant("vision");
  JobRecord job = MakeJob(team, "bert", /*num_nodes=*/3, "research", 100);
  job.spec.envs["MODEL"] = "bert-large";  // not stored: the caller re-parses spec_yaml
  auto id = store_->CreateJob(job);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->valid());

  JobRecord got = Get(*id);
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.tenant, team);
  EXPECT_EQ(got.tenant_name, "vision");
  EXPECT_EQ(got.name, "bert");
  EXPECT_EQ(got.queue, "research");
  EXPECT_EQ(got.priority, 100);
  EXPECT_EQ(got.state, JobState::kSubmitted);
  EXPECT_EQ(got.spec_yaml, job.spec_yaml);
  EXPECT_EQ(got.spec_file, "bert.yaml");
  EXPECT_EQ(got.submitted_at, kStart);
  EXPECT_EQ(got.updated_at, kStart);
  EXPECT_EQ(got.started_at, 0);
  EXPECT_EQ(got.finished_at, 0);
  EXPECT_EQ(got.attempt_no, 0);
  EXPECT_EQ(got.cost_usd, 0);
  EXPECT_FALSE(got.cancel_requested);
  // The spec is default except its columns.
  EXPECT_EQ(got.spec.name, "bert");
  EXPECT_EQ(got.spec.queue, "research");
  EXPECT_EQ(got.spec.priority, 100);
  EXPECT_TRUE(got.spec.envs.empty());
  EXPECT_EQ(got.spec.num_nodes, 1);

  auto tasks = store_->ListTasks(*id);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 3u);
  for (int rank = 0; rank < 3; ++rank) {
    EXPECT_EQ((*tasks)[rank].rank, rank);
    EXPECT_EQ((*tasks)[rank].job_id, *id);
    EXPECT_TRUE((*tasks)[rank].id.valid());
    EXPECT_EQ((*tasks)[rank].role, "");
  }
  auto events = store_->ListEvents(*id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].to, JobState::kSubmitted);
  EXPECT_EQ((*events)[0].time, kStart);
  EXPECT_EQ((*events)[0].reason, "submitted");
}

TEST_F(StoreTest, NameQueuePriorityFallBackToTheSpec) {
  JobRecord job = MakeJob(TenantId(), "from-spec", 1, "batch", 7);
  job.name.clear();
  job.queue.clear();
  job.priority = 0;
  JobRecord got = Get(store_->CreateJob(job).value());
  EXPECT_EQ(got.name, "from-spec");
  EXPECT_EQ(got.queue, "batch");
  EXPECT_EQ(got.priority, 7);
  EXPECT_FALSE(got.tenant.valid());
  EXPECT_EQ(got.tenant_name, "");
}

TEST_F(StoreTest, PsWorkerTasksTakeTheirRoleNames) {
  JobRecord job = MakeJob(TenantId(), "ps", 1);
  job.spec.mode = JobMode::kPsWorker;
  job.spec.roles = {Role{"ps", 1, {}, "", ""}, Role{"worker", 3, {}, "", ""}};
  JobId id = store_->CreateJob(job).value();
  auto tasks = store_->ListTasks(id).value();
  ASSERT_EQ(tasks.size(), 4u);
  EXPECT_EQ(tasks[0].role, "ps");
  EXPECT_EQ(tasks[1].role, "worker");
  EXPECT_EQ(tasks[3].role, "worker");
  EXPECT_EQ(tasks[3].rank, 3);
}

TEST_F(StoreTest, CreateJobRefusesAnUnknownTenantAndStoresNothing) {
  auto id = store_->CreateJob(MakeJob(TenantId(42), "orphan"));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kNotFound);
  EXPECT_NE(id.status().message().find("tenant 42"), std::string::npos) << id.status().message();
  EXPECT_TRUE(store_->ListJobs({}).value().empty());
}

TEST_F(StoreTest, CreateJobRefusesAJobWithoutTasks) {
  auto id = store_->CreateJob(MakeJob(TenantId(), "empty", /*num_nodes=*/0));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListJobs({}).value().empty());
}

TEST_F(StoreTest, GetUnknownJobIsNotFound) {
  auto job = store_->GetJob(JobId(12345));
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(job.status().message(), "job 12345 not found");
}

TEST_F(StoreTest, ListJobsFiltersByStateLivenessAndLimit) {
  JobId a = Submit(TenantId(), "a");
  JobId b = Submit(TenantId(), "b");
  JobId c = Submit(TenantId(), "c");
  JobId d = Submit(TenantId(), "d");
  ASSERT_TRUE(Move(b, JobState::kSubmitted, JobState::kQueued, "admitted").ok());
  ASSERT_TRUE(Move(c, JobState::kSubmitted, JobState::kCancelled, "user").ok());
  ASSERT_TRUE(Move(d, JobState::kSubmitted, JobState::kFailed, "bad").ok());

  EXPECT_EQ(Ids(store_->ListJobs({}).value()),
            (std::vector<int64_t>{a.value(), b.value(), c.value(), d.value()}));

  JobFilter queued;
  queued.states = {JobState::kQueued};
  EXPECT_EQ(Ids(store_->ListJobs(queued).value()), (std::vector<int64_t>{b.value()}));

  JobFilter two_states;
  two_states.states = {JobState::kSubmitted, JobState::kFailed};
  EXPECT_EQ(Ids(store_->ListJobs(two_states).value()), (std::vector<int64_t>{a.value(), d.value()}));

  JobFilter live;
  live.live_only = true;
  EXPECT_EQ(Ids(store_->ListJobs(live).value()), (std::vector<int64_t>{a.value(), b.value()}));

  JobFilter newest;
  newest.limit = 3;
  EXPECT_EQ(Ids(store_->ListJobs(newest).value()), (std::vector<int64_t>{d.value(), c.value(), b.value()}));

  JobFilter live_newest;
  live_newest.live_only = true;
  live_newest.limit = 1;
  EXPECT_EQ(Ids(store_->ListJobs(live_newest).value()), (std::vector<int64_t>{b.value()}));

  JobFilter negative;
  negative.limit = -1;
  EXPECT_EQ(store_->ListJobs(negative).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, ListJobsKeepsTenantsApart) {
  TenantId vision = MakeTenant("vision");
  TenantId speech = MakeTenant("speech");
  JobId v1 = Submit(vision, "v1");
  JobId s1 = Submit(speech, "s1");
  JobId v2 = Submit(vision, "v2");
  JobId nobody = Submit(TenantId(), "nobody");

  JobFilter mine;
  mine.tenant = vision;
  auto jobs = store_->ListJobs(mine).value();
  EXPECT_EQ(Ids(jobs), (std::vector<int64_t>{v1.value(), v2.value()}));
  for (const auto& j : jobs) EXPECT_EQ(j.tenant_name, "vision");

  mine.tenant = speech;
  EXPECT_EQ(Ids(store_->ListJobs(mine).value()), (std::vector<int64_t>{s1.value()}));

  mine.tenant = MakeTenant("empty");
  EXPECT_TRUE(store_->ListJobs(mine).value().empty());

  EXPECT_EQ(store_->ListJobs({}).value().size(), 4u);
  (void)nobody;
}

// ------------------------------------------------------------ transitions

TEST_F(StoreTest, TransitionsRecordEventsAttemptsTimesAndCost) {
  JobId id = Submit(TenantId(), "train", /*num_nodes=*/2);
  clock_.Advance(1 * kMicrosPerSecond);
  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "admitted to queue default").ok());

  clock_.Advance(1 * kMicrosPerSecond);
  Transition schedule;
  schedule.job = id;
  schedule.from = JobState::kQueued;
  schedule.to = JobState::kScheduled;
  schedule.reason = "placed on node0";
  schedule.attempt_no = 1;
  schedule.placement = "local: node0 (ranks 0,1)";
  schedule.new_attempts = {Attempt(1, 0, "node0"), Attempt(1, 1, "node0")};
  ASSERT_TRUE(store_->ApplyTransition(schedule).ok());

  auto attempts = store_->ListAttempts(id).value();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_TRUE(attempts[0].id.valid());
  EXPECT_NE(attempts[0].id, attempts[1].id);
  EXPECT_EQ(attempts[0].job_id, id);
  EXPECT_EQ(attempts[1].rank, 1);
  EXPECT_EQ(attempts[1].gpu_indices, (std::vector<int>{2, 3}));
  EXPECT_EQ(attempts[1].memory_mib.raw(), 65536);
  EXPECT_EQ(attempts[1].state, RunState::kLaunching);
  EXPECT_FALSE(attempts[1].exit_code.has_value());
  EXPECT_DOUBLE_EQ(attempts[1].hourly_price, 3.5);

  clock_.Advance(1 * kMicrosPerSecond);
  const Micros running_at = clock_.Now();
  Transition run;
  run.job = id;
  run.from = JobState::kScheduled;
  run.to = JobState::kRunning;
  run.reason = "all tasks started";
  for (auto a : attempts) {
    a.state = RunState::kRunning;
    a.started_at = running_at;
    a.handle = "/run/supervisor/" + std::to_string(a.rank);
    run.updated_attempts.push_back(a);
  }
  ASSERT_TRUE(store_->ApplyTransition(run).ok());

  clock_.Advance(3600 * kMicrosPerSecond);
  Transition finish;
  finish.job = id;
  finish.from = JobState::kRunning;
  finish.to = JobState::kSucceeded;
  finish.reason = "all tasks exited 0";
  finish.add_cost_usd = 7.0;
  const auto running_attempts = store_->ListAttempts(id).value();
  for (auto a : running_attempts) {
    a.state = RunState::kSucceeded;
    a.ended_at = clock_.Now();
    a.exit_code = 0;
    a.cost_usd = 3.5;
    a.moved.in_bytes = 1000 + a.rank;
    a.moved.in_cached_bytes = 2000 + a.rank;
    a.moved.in_micros = 3000 + a.rank;
    a.moved.out_bytes = 4000 + a.rank;
    a.moved.out_micros = 5000 + a.rank;
    a.moved.image_bytes = int64_t{6} << 40;  // past 32 bits
    a.moved.image_micros = 7000 + a.rank;
    finish.updated_attempts.push_back(a);
  }
  Status finished = store_->ApplyTransition(finish);
  ASSERT_TRUE(finished.ok()) << finished.ToString();

  JobRecord job = Get(id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  EXPECT_EQ(job.reason, "all tasks exited 0");
  EXPECT_EQ(job.attempt_no, 1);
  EXPECT_EQ(job.placement, "local: node0 (ranks 0,1)");
  EXPECT_EQ(job.started_at, running_at);
  EXPECT_EQ(job.finished_at, clock_.Now());
  EXPECT_EQ(job.updated_at, clock_.Now());
  EXPECT_DOUBLE_EQ(job.cost_usd, 7.0);

  attempts = store_->ListAttempts(id).value();
  ASSERT_EQ(attempts.size(), 2u);
  for (const auto& a : attempts) {
    EXPECT_EQ(a.state, RunState::kSucceeded);
    EXPECT_EQ(a.started_at, running_at);
    EXPECT_EQ(a.ended_at, clock_.Now());
    EXPECT_EQ(a.exit_code, 0);
    EXPECT_EQ(a.handle, "/run/supervisor/" + std::to_string(a.rank));
    EXPECT_DOUBLE_EQ(a.cost_usd, 3.5);
    // The data each task moved is kept with its attempt (schema 7).
    EXPECT_EQ(a.moved.in_bytes, 1000 + a.rank);
    EXPECT_EQ(a.moved.in_cached_bytes, 2000 + a.rank);
    EXPECT_EQ(a.moved.in_micros, 3000 + a.rank);
    EXPECT_EQ(a.moved.out_bytes, 4000 + a.rank);
    EXPECT_EQ(a.moved.out_micros, 5000 + a.rank);
    EXPECT_EQ(a.moved.image_bytes, int64_t{6} << 40);
    EXPECT_EQ(a.moved.image_micros, 7000 + a.rank);
  }

  auto events = store_->ListEvents(id).value();
  ASSERT_EQ(events.size(), 5u);
  const std::vector<std::pair<JobState, JobState>> moves = {{JobState::kSubmitted, JobState::kSubmitted},
                                                            {JobState::kSubmitted, JobState::kQueued},
                                                            {JobState::kQueued, JobState::kScheduled},
                                                            {JobState::kScheduled, JobState::kRunning},
                                                            {JobState::kRunning, JobState::kSucceeded}};
  const std::vector<std::string> reasons = {"submitted", "admitted to queue default", "placed on node0",
                                            "all tasks started", "all tasks exited 0"};
  const std::vector<int> attempt_nos = {0, 0, 1, 1, 1};
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].from, moves[i].first) << i;
    EXPECT_EQ(events[i].to, moves[i].second) << i;
    EXPECT_EQ(events[i].reason, reasons[i]) << i;
    EXPECT_EQ(events[i].attempt_no, attempt_nos[i]) << i;
    if (i > 0) {
      EXPECT_GT(events[i].id.value(), events[i - 1].id.value());
      EXPECT_GT(events[i].time, events[i - 1].time);
    }
  }
}

TEST_F(StoreTest, StartedAtIsTheFirstRunningAndRestartsAreKept) {
  JobId id = Submit(TenantId(), "flaky");
  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "q").ok());
  ASSERT_TRUE(Move(id, JobState::kQueued, JobState::kScheduled, "s").ok());
  clock_.Advance(kMicrosPerSecond);
  const Micros first_run = clock_.Now();
  ASSERT_TRUE(Move(id, JobState::kScheduled, JobState::kRunning, "r").ok());
  clock_.Advance(kMicrosPerSecond);
  Transition recover;
  recover.job = id;
  recover.from = JobState::kRunning;
  recover.to = JobState::kRecovering;
  recover.reason = "preempted";
  recover.restarts = 1;
  recover.add_cost_usd = 0.25;
  ASSERT_TRUE(store_->ApplyTransition(recover).ok());
  EXPECT_EQ(Get(id).finished_at, 0);  // not terminal
  ASSERT_TRUE(Move(id, JobState::kRecovering, JobState::kScheduled, "replaced").ok());
  clock_.Advance(kMicrosPerSecond);
  ASSERT_TRUE(Move(id, JobState::kScheduled, JobState::kRunning, "again").ok());
  JobRecord job = Get(id);
  EXPECT_EQ(job.started_at, first_run);
  EXPECT_EQ(job.restarts, 1);
  EXPECT_DOUBLE_EQ(job.cost_usd, 0.25);
  EXPECT_EQ(job.finished_at, 0);
}

TEST_F(StoreTest, TransitionFromTheWrongStateWritesNothing) {
  JobId id = Submit(TenantId(), "cas");
  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "admitted").ok());
  const size_t events_before = EventCount(id);
  clock_.Advance(kMicrosPerSecond);

  Transition stale;  // the writer believes the job is still SUBMITTED
  stale.job = id;
  stale.from = JobState::kSubmitted;
  stale.to = JobState::kFailed;
  stale.reason = "stale";
  stale.attempt_no = 9;
  stale.add_cost_usd = 100;
  stale.new_attempts = {Attempt(9, 0, "x")};
  Status status = store_->ApplyTransition(stale);
  ASSERT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_NE(status.message().find("the job is QUEUED, not SUBMITTED"), std::string::npos) << status.message();

  JobRecord job = Get(id);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.reason, "admitted");
  EXPECT_EQ(job.attempt_no, 0);
  EXPECT_EQ(job.cost_usd, 0);
  EXPECT_EQ(job.finished_at, 0);
  EXPECT_EQ(job.updated_at, kStart);
  EXPECT_EQ(EventCount(id), events_before);
  EXPECT_TRUE(store_->ListAttempts(id).value().empty());
}

TEST_F(StoreTest, IllegalTransitionIsRefusedAndWritesNothing) {
  JobId id = Submit(TenantId(), "skip");
  Transition skip;
  skip.job = id;
  skip.from = JobState::kSubmitted;
  skip.to = JobState::kRunning;  // must pass through QUEUED and SCHEDULED
  skip.new_attempts = {Attempt(1, 0, "x")};
  Status status = store_->ApplyTransition(skip);
  ASSERT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_NE(status.message().find("not an allowed transition"), std::string::npos) << status.message();
  EXPECT_EQ(Get(id).state, JobState::kSubmitted);
  EXPECT_EQ(EventCount(id), 1u);
  EXPECT_TRUE(store_->ListAttempts(id).value().empty());

  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kCancelled, "user").ok());
  status = Move(id, JobState::kCancelled, JobState::kQueued, "revive");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("finished"), std::string::npos) << status.message();
  EXPECT_EQ(EventCount(id), 2u);
}

TEST_F(StoreTest, TransitionOfAnUnknownJobIsNotFound) {
  Status status = Move(JobId(77), JobState::kSubmitted, JobState::kQueued, "x");
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
}

TEST_F(StoreTest, TransitionIsAtomicWithItsAttemptUpdates) {
  JobId id = Submit(TenantId(), "atomic");
  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "q").ok());
  Transition schedule;
  schedule.job = id;
  schedule.from = JobState::kQueued;
  schedule.to = JobState::kScheduled;
  schedule.attempt_no = 1;
  schedule.new_attempts = {Attempt(1, 0, "node0")};
  AttemptRecord ghost = Attempt(1, 0, "node0");
  ghost.id = AttemptId(999);  // no such attempt: the whole move must fail
  schedule.updated_attempts = {ghost};
  Status status = store_->ApplyTransition(schedule);
  ASSERT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
  EXPECT_NE(status.message().find("attempt 999"), std::string::npos) << status.message();

  EXPECT_EQ(Get(id).state, JobState::kQueued);
  EXPECT_EQ(Get(id).attempt_no, 0);
  EXPECT_EQ(EventCount(id), 2u);
  EXPECT_TRUE(store_->ListAttempts(id).value().empty());

  schedule.updated_attempts.clear();
  ASSERT_TRUE(store_->ApplyTransition(schedule).ok());
  EXPECT_EQ(store_->ListAttempts(id).value().size(), 1u);
}

TEST_F(StoreTest, AttemptsOfAnotherJobAreNotTouched) {
  JobId mine = Submit(TenantId(), "mine");
  JobId other = Submit(TenantId(), "other");
  for (JobId id : {mine, other}) ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "q").ok());
  Transition schedule;
  schedule.job = other;
  schedule.from = JobState::kQueued;
  schedule.to = JobState::kScheduled;
  schedule.new_attempts = {Attempt(1, 0, "node0")};
  ASSERT_TRUE(store_->ApplyTransition(schedule).ok());
  AttemptRecord theirs = store_->ListAttempts(other).value().at(0);

  Transition wrong;
  wrong.job = mine;
  wrong.from = JobState::kQueued;
  wrong.to = JobState::kScheduled;
  theirs.job_id = JobId();  // unset: matched within `mine` only
  theirs.node = "hijacked";
  wrong.updated_attempts = {theirs};
  EXPECT_EQ(store_->ApplyTransition(wrong).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListAttempts(other).value().at(0).node, "node0");
  EXPECT_EQ(Get(mine).state, JobState::kQueued);
}

TEST_F(StoreTest, UpdateAttemptsAllOrNothing) {
  JobId id = Submit(TenantId(), "upd", 2);
  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "q").ok());
  Transition schedule;
  schedule.job = id;
  schedule.from = JobState::kQueued;
  schedule.to = JobState::kScheduled;
  schedule.new_attempts = {Attempt(1, 0, "n0"), Attempt(1, 1, "n1")};
  ASSERT_TRUE(store_->ApplyTransition(schedule).ok());
  auto attempts = store_->ListAttempts(id).value();

  attempts[0].state = RunState::kRunning;
  attempts[0].started_at = 5;
  AttemptRecord ghost = attempts[1];
  ghost.id = AttemptId(4242);
  EXPECT_EQ(store_->UpdateAttempts({attempts[0], ghost}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListAttempts(id).value()[0].state, RunState::kLaunching);

  attempts[1].exit_code = 75;
  attempts[1].state = RunState::kFailed;
  attempts[1].reason = "exit 75";
  ASSERT_TRUE(store_->UpdateAttempts({attempts[0], attempts[1]}).ok());
  auto after = store_->ListAttempts(id).value();
  EXPECT_EQ(after[0].state, RunState::kRunning);
  EXPECT_EQ(after[0].started_at, 5);
  EXPECT_EQ(after[1].exit_code, 75);
  EXPECT_EQ(after[1].reason, "exit 75");
  EXPECT_EQ(Get(id).state, JobState::kScheduled);  // no state change
}

TEST_F(StoreTest, RequestCancel) {
  JobId id = Submit(TenantId(), "long");
  clock_.Advance(kMicrosPerSecond);
  ASSERT_TRUE(store_->RequestCancel(id).ok());
  JobRecord job = Get(id);
  EXPECT_TRUE(job.cancel_requested);
  EXPECT_EQ(job.state, JobState::kSubmitted);  // the controller moves it
  EXPECT_EQ(job.updated_at, clock_.Now());
  EXPECT_TRUE(store_->RequestCancel(id).ok());  // twice is fine

  EXPECT_EQ(store_->RequestCancel(JobId(555)).code(), StatusCode::kNotFound);

  JobId done = Submit(TenantId(), "done");
  ASSERT_TRUE(Move(done, JobState::kSubmitted, JobState::kFailed, "bad").ok());
  Status status = store_->RequestCancel(done);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("already finished (FAILED)"), std::string::npos) << status.message();
  EXPECT_FALSE(Get(done).cancel_requested);
}

TEST_F(StoreTest, CountJobsByStateListsEveryState) {
  Submit(TenantId(), "a");
  JobId b = Submit(TenantId(), "b");
  JobId c = Submit(TenantId(), "c");
  ASSERT_TRUE(Move(b, JobState::kSubmitted, JobState::kQueued, "q").ok());
  ASSERT_TRUE(Move(c, JobState::kSubmitted, JobState::kQueued, "q").ok());
  auto counts = store_->CountJobsByState().value();
  ASSERT_EQ(counts.size(), 8u);
  for (const auto& [state, n] : counts) {
    int64_t want = state == JobState::kSubmitted ? 1 : state == JobState::kQueued ? 2 : 0;
    EXPECT_EQ(n, want) << JobStateName(state);
  }
}

// ------------------------------------------------------ tenants and tokens

TEST_F(StoreTest, TenantsHaveUniqueNames) {
  auto vision = store_->CreateTenant("vision");
  ASSERT_TRUE(vision.ok());
  EXPECT_EQ(vision->created_at, kStart);
  auto again = store_->CreateTenant("vision");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateTenant("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateTenant(" x").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->CreateTenant("speech").ok());

  auto got = store_->GetTenantByName("vision");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, vision->id);
  auto missing = store_->GetTenantByName("nlp");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "tenant \"nlp\" not found");

  auto all = store_->ListTenants().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "vision");
  EXPECT_EQ(all[1].name, "speech");
}

TEST_F(StoreTest, TokensAreFoundByHash) {
  TenantId vision = MakeTenant("vision");
  auto token = store_->CreateToken(vision, AccessRole::kMember, FakeHash(1), "ci bot");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->tenant_name, "vision");

  auto found = store_->LookupToken(FakeHash(1));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, token->id);
  EXPECT_EQ(found->tenant, vision);
  EXPECT_EQ(found->tenant_name, "vision");
  EXPECT_EQ(found->role, AccessRole::kMember);
  EXPECT_EQ(found->description, "ci bot");
  EXPECT_EQ(found->created_at, kStart);

  std::string upper = FakeHash(1);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(store_->LookupToken(upper).ok());

  EXPECT_EQ(store_->LookupToken(FakeHash(2)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->LookupToken("secret").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateToken(vision, AccessRole::kAdmin, FakeHash(1), "dup").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateToken(TenantId(99), AccessRole::kAdmin, FakeHash(3), "").status().code(),
            StatusCode::kNotFound);
  // A secret passed by mistake is refused, not stored.
  auto secret = store_->CreateToken(vision, AccessRole::kAdmin, "sk-my-plain-secret", "");
  EXPECT_EQ(secret.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LookupToken(FakeHash(3)).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, RoleNamesRoundTrip) {
  for (AccessRole r : {AccessRole::kAdmin, AccessRole::kMember, AccessRole::kViewer}) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  }
  EXPECT_EQ(ParseRole("ADMIN"), AccessRole::kAdmin);
  EXPECT_FALSE(ParseRole("root").has_value());
}

// ------------------------------------------------------------------ nodes

Node MakeNode(const std::string& name, const std::string& backend, int gpus) {
  Node n;
  n.name = name;
  n.backend = backend;
  n.cpus_milli = MilliCpu(64000);
  n.memory_mib = MemoryMiB(512 * 1024);
  for (int i = 0; i < gpus; ++i) n.gpus.push_back(GpuDevice{i, "A100-80GB", MemoryMiB(81920)});
  n.links.assign(gpus, std::vector<GpuLink>(gpus, GpuLink::kNvLink));
  n.attributes = {{"Region", "us-east-1"}, {"Country", "US"}};
  n.price_per_gpu_hour = 2.5;
  return n;
}

TEST_F(StoreTest, ReplaceNodesReplacesOneBackendOnly) {
  ASSERT_TRUE(
      store_->ReplaceNodes("local", {MakeNode("local-0", "local", 2), MakeNode("local-1", "", 0)}).ok());
  ASSERT_TRUE(store_->ReplaceNodes("slurm/hpc1", {MakeNode("hpc1-a", "slurm/hpc1", 8)}).ok());
  auto nodes = store_->ListNodes().value();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].name, "local-0");
  EXPECT_EQ(nodes[1].name, "local-1");
  EXPECT_EQ(nodes[1].backend, "local");  // filled from the argument
  EXPECT_EQ(nodes[2].name, "hpc1-a");
  EXPECT_EQ(nodes[2].gpus.size(), 8u);
  EXPECT_EQ(nodes[2].links[3][4], GpuLink::kNvLink);
  EXPECT_EQ(nodes[2].attributes.at("Country"), "US");

  ASSERT_TRUE(store_->ReplaceNodes("local", {MakeNode("local-9", "local", 1)}).ok());
  nodes = store_->ListNodes().value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].name, "local-9");
  EXPECT_EQ(nodes[1].name, "hpc1-a");

  // A clash with another backend's node fails the whole replacement.
  Status clash = store_->ReplaceNodes("local", {MakeNode("local-10", "local", 0), MakeNode("hpc1-a", "", 0)});
  EXPECT_EQ(clash.code(), StatusCode::kAlreadyExists) << clash.ToString();
  nodes = store_->ListNodes().value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].name, "local-9");

  EXPECT_EQ(store_->ReplaceNodes("local", {MakeNode("x", "slurm/hpc1", 0)}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReplaceNodes("local", {MakeNode("x", "", 0), MakeNode("x", "", 0)}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->ReplaceNodes("local", {}).ok());
  EXPECT_EQ(store_->ListNodes().value().size(), 1u);
}

// ------------------------------------------------------- files and reopen

TEST_F(StoreTest, DirectoryRowsAreReplacedPerKeyAndSurviveAReopen) {
  DirectoryRow row{"aws", "us-east-1", "", "p4d.24xlarge", R"({"price": 30})", 10};
  ASSERT_TRUE(store_->PutDirectoryRow(row).ok());
  ASSERT_TRUE(store_->PutDirectoryRow({"aws", "us-east-1", "use1-az1", "", R"({"load": 0.5})", 11}).ok());
  row.entry_json = R"({"price": 31})";
  row.updated_at = 12;
  ASSERT_TRUE(store_->PutDirectoryRow(row).ok());
  Reopen();
  auto rows = store_->ListDirectoryRows();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].zone, "");
  EXPECT_EQ((*rows)[0].entry_json, R"({"price": 31})");
  EXPECT_EQ((*rows)[0].updated_at, 12);
  EXPECT_EQ((*rows)[1].zone, "use1-az1");
  EXPECT_FALSE(store_->PutDirectoryRow({"", "r", "", "", "{}", 1}).ok());
}

TEST_F(StoreTest, ReopenFindsEverything) {
  TenantId vision = MakeTenant("vision");
  ASSERT_TRUE(store_->CreateToken(vision, AccessRole::kAdmin, FakeHash(7), "admin").ok());
  JobId id = Submit(vision, "persist", 2);
  ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "q").ok());
  Transition schedule;
  schedule.job = id;
  schedule.from = JobState::kQueued;
  schedule.to = JobState::kScheduled;
  schedule.attempt_no = 1;
  schedule.new_attempts = {Attempt(1, 0, "n0"), Attempt(1, 1, "n1")};
  ASSERT_TRUE(store_->ApplyTransition(schedule).ok());
  ASSERT_TRUE(store_->RequestCancel(id).ok());
  ASSERT_TRUE(store_->ReplaceNodes("local", {MakeNode("local-0", "local", 4)}).ok());
  const JobRecord before = Get(id);
  const auto attempts_before = store_->ListAttempts(id).value();

  store_.reset();
  Reopen();

  JobRecord after = Get(id);
  EXPECT_EQ(after.state, JobState::kScheduled);
  EXPECT_EQ(after.tenant_name, "vision");
  EXPECT_EQ(after.spec_yaml, before.spec_yaml);
  EXPECT_EQ(after.attempt_no, 1);
  EXPECT_TRUE(after.cancel_requested);
  EXPECT_EQ(after.updated_at, before.updated_at);
  EXPECT_EQ(store_->ListTasks(id).value().size(), 2u);
  EXPECT_EQ(EventCount(id), 3u);
  auto attempts = store_->ListAttempts(id).value();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[1].id, attempts_before[1].id);
  EXPECT_EQ(attempts[1].gpu_indices, attempts_before[1].gpu_indices);
  EXPECT_EQ(store_->LookupToken(FakeHash(7)).value().role, AccessRole::kAdmin);
  EXPECT_EQ(store_->GetTenantByName("vision").value().id, vision);
  EXPECT_EQ(store_->ListNodes().value().at(0).gpus.size(), 4u);
  // New ids continue after the old ones.
  EXPECT_GT(Submit(vision, "next").value(), id.value());
}

TEST_F(StoreTest, SpecDecoderFillsTheSpecOnReads) {
  JobId id = Submit(TenantId(), "decoded", 4);
  std::vector<std::string> seen;
  Reopen([&seen](const std::string& yaml, const std::string& file) -> Result<JobSpec> {
    seen.push_back(file);
    JobSpec spec;
    spec.name = "from-decoder";
    spec.run = yaml;
    return spec;
  });
  JobRecord job = Get(id);
  EXPECT_EQ(job.spec.name, "from-decoder");
  EXPECT_EQ(job.spec.run, job.spec_yaml);
  EXPECT_EQ(store_->ListJobs({}).value().at(0).spec.name, "from-decoder");
  EXPECT_EQ(seen, (std::vector<std::string>{"decoded.yaml", "decoded.yaml"}));

  Reopen([](const std::string&, const std::string&) -> Result<JobSpec> {
    return InvalidArgument("line 1: unknown field");
  });
  auto failed = store_->GetJob(id);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("job " + id.ToString() + " (decoded.yaml): line 1: unknown field"),
            std::string::npos)
      << failed.status().message();
}

TEST_F(StoreTest, StateDirectoryAndFileArePrivate) {
  struct stat st;
  ASSERT_EQ(::stat(state_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(db_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto raw = OpenRaw(db_path());
  EXPECT_EQ(raw->QueryText("PRAGMA journal_mode").value(), "wal");
}

TEST_F(StoreTest, ParentsOfTheStateDirectoryAreCreated) {
  auto nested = Store::Open(dir_.Sub("a/b/c"), &clock_);
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  struct stat st;
  EXPECT_EQ(::stat(dir_.Sub("a/b/c/state.db").c_str(), &st), 0);
}

TEST_F(StoreTest, OpenRefusesAFileThatIsNotADatabase) {
  TempDir other;
  {
    std::ofstream junk(other.Sub("state.db"));
    junk << std::string(8192, 'z');
  }
  auto opened = Store::Open(other.path(), &clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find(other.Sub("state.db")), std::string::npos)
      << opened.status().message();
  EXPECT_NE(opened.status().message().find("move it aside"), std::string::npos) << opened.status().message();
}

TEST_F(StoreTest, OpenRefusesAStateDirThatIsAFile) {
  { std::ofstream file(dir_.Sub("plain")); }
  auto opened = Store::Open(dir_.Sub("plain"), &clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("not a directory"), std::string::npos)
      << opened.status().message();
}

TEST_F(StoreTest, OpenRefusesADatabaseWithoutSkyrunTables) {
  TempDir other;
  {
    auto raw = OpenRaw(other.Sub("state.db"));
    ASSERT_TRUE(raw->Exec("CREATE TABLE unrelated (x); PRAGMA user_version = 1;").ok());
  }
  auto opened = Store::Open(other.path(), &clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("not a skyrun state database"), std::string::npos)
      << opened.status().message();
}

TEST_F(StoreTest, DatabaseErrorsNameTheOperation) {
  // Another program makes every insert into jobs fail.
  auto raw = OpenRaw(db_path());
  ASSERT_TRUE(raw->Exec("CREATE TRIGGER refuse BEFORE INSERT ON jobs "
                        "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;")
                  .ok());
  auto id = store_->CreateJob(MakeJob(TenantId(), "doomed"));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(), "storing job: simulated failure");
  EXPECT_EQ(id.status().code(), StatusCode::kInternal);
  // The writer carries on with the next work.
  EXPECT_TRUE(store_->CreateTenant("still-works").ok());

  ASSERT_TRUE(raw->Exec("DROP TABLE nodes").ok());
  auto nodes = store_->ListNodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.status().message().rfind("listing nodes: ", 0), 0u) << nodes.status().message();
}

TEST_F(StoreTest, ReadsDoNotWaitForAnotherWriter) {
  JobId id = Submit(TenantId(), "visible");
  // Another connection holds the write lock with an uncommitted change.
  auto raw = OpenRaw(db_path());
  ASSERT_TRUE(raw->Exec("BEGIN IMMEDIATE; UPDATE jobs SET reason = 'uncommitted';").ok());
  auto job = store_->GetJob(id);  // would fail as busy if reads queued behind writes
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->reason, "submitted");
  EXPECT_TRUE(store_->ListJobs({}).ok());
  ASSERT_TRUE(raw->Exec("ROLLBACK").ok());
}

// Accounting rows: price changes and egress for a job, and the billing read
// over a period (attempts that overlap it, their changes, egress inside it).
TEST_F(StoreTest, BillingRowsAndTheBillingReadOverAPeriod) {
  const Micros h = 3600 * kMicrosPerSecond;
  TenantId a = MakeTenant("a");
  TenantId b = MakeTenant("b");
  JobId one = Submit(a, "one");
  JobId two = Submit(b, "two");
  for (JobId id : {one, two}) {
    ASSERT_TRUE(Move(id, JobState::kSubmitted, JobState::kQueued, "admitted").ok());
    Transition schedule;
    schedule.job = id;
    schedule.from = JobState::kQueued;
    schedule.to = JobState::kScheduled;
    schedule.attempt_no = 1;
    schedule.new_attempts = {Attempt(1, 0, "node0")};
    ASSERT_TRUE(store_->ApplyTransition(schedule).ok());
  }
  // One ran from kStart for 2 h; two started at kStart + 3 h and still runs.
  auto ones = store_->ListAttempts(one);
  auto twos = store_->ListAttempts(two);
  ASSERT_TRUE(ones.ok() && twos.ok());
  AttemptRecord ran = ones->at(0);
  ran.state = RunState::kSucceeded;
  ran.started_at = kStart;
  ran.ended_at = kStart + 2 * h;
  AttemptRecord running = twos->at(0);
  running.state = RunState::kRunning;
  running.started_at = kStart + 3 * h;
  ASSERT_TRUE(store_->UpdateAttempts({ran, running}).ok());

  PriceChange change;
  change.job = one;
  change.attempt_no = 1;
  change.rank = 0;
  change.at = kStart + h;
  change.usd_per_hour = 7;
  ASSERT_TRUE(store_->RecordPriceChange(change).ok());
  EgressCharge egress;
  egress.job = one;
  egress.at = kStart + 2 * h;
  egress.gb = 10;
  egress.usd = 0.9;
  egress.source = "aws/us-east-1";
  egress.destination = "internet";
  ASSERT_TRUE(store_->RecordEgress(egress).ok());

  auto changes = store_->ListPriceChanges(one);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ(changes->at(0).at, kStart + h);
  EXPECT_DOUBLE_EQ(changes->at(0).usd_per_hour, 7);

  // The whole day: both attempts, the change and the egress, with owners.
  auto day = store_->ListBilling(kStart, kStart + 24 * h, std::nullopt);
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  ASSERT_EQ(day->attempts.size(), 2u);
  EXPECT_EQ(day->attempts[0].owner.tenant_name, "a");
  EXPECT_EQ(day->attempts[0].owner.job_name, "one");
  EXPECT_EQ(day->attempts[0].owner.queue, "default");  // budgets per queue count by it
  EXPECT_EQ(day->attempts[0].attempt.ended_at, kStart + 2 * h);
  EXPECT_EQ(day->attempts[1].owner.tenant, b);
  EXPECT_EQ(day->price_changes.size(), 1u);
  ASSERT_EQ(day->egress.size(), 1u);
  EXPECT_EQ(day->egress[0].charge.source, "aws/us-east-1");
  EXPECT_EQ(day->egress[0].owner.tenant_name, "a");
  EXPECT_EQ(day->egress[0].owner.queue, "default");
  // One tenant only.
  auto only_b = store_->ListBilling(kStart, kStart + 24 * h, b);
  ASSERT_TRUE(only_b.ok());
  ASSERT_EQ(only_b->attempts.size(), 1u);
  EXPECT_EQ(only_b->attempts[0].attempt.job_id, two);
  EXPECT_TRUE(only_b->egress.empty());
  // From the moment `one` ended until `two` started: no attempt ran; the
  // egress charged at that moment belongs to it ([from, to)).
  auto gap = store_->ListBilling(kStart + 2 * h, kStart + 3 * h, std::nullopt);
  ASSERT_TRUE(gap.ok());
  EXPECT_TRUE(gap->attempts.empty()) << gap->attempts.size();
  EXPECT_EQ(gap->egress.size(), 1u);

  // Refused, and nothing written.
  PriceChange nan = change;
  nan.usd_per_hour = std::nan("");
  EXPECT_EQ(store_->RecordPriceChange(nan).code(), StatusCode::kInvalidArgument);
  PriceChange nobody = change;
  nobody.job = JobId(999);
  EXPECT_EQ(store_->RecordPriceChange(nobody).code(), StatusCode::kNotFound);
  EgressCharge negative = egress;
  negative.usd = -1;
  EXPECT_EQ(store_->RecordEgress(negative).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListBilling(kStart, kStart, std::nullopt).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListPriceChanges(one)->size(), 1u);
}

}  // namespace
}  // namespace skyrun
