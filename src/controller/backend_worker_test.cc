// BackendWorker: driver calls run off the caller's thread, one poll and one
// inventory at a time, answers come back in order, and Stop does not wait
// forever for a driver call that hangs.
#include "controller/backend_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace skyrun {
namespace {

// Poll blocks until Release(); everything else answers at once.
class GatedDriver final : public Driver {
 public:
  std::string Name() const override { return "gated"; }
  Result<std::vector<Node>> Inventory() override {
    Node n;
    n.name = "n1";
    n.backend = "gated";
    return std::vector<Node>{n};
  }
  Result<std::vector<std::string>> Launch(const AttemptLaunch& launch) override {
    if (launch.spec == nullptr || launch.spec->name != "owned") return Internal("the spec did not travel");
    return std::vector<std::string>{"h1"};
  }
  TaskStatus Poll(const std::string&) override {
    std::unique_lock<std::mutex> lock(mu_);
    polls_started_++;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    TaskStatus s;
    s.state = RunState::kRunning;
    return s;
  }
  Status Cancel(const std::string& handle) override { return Unavailable("cannot cancel " + handle); }
  std::string LogPath(const std::string&) override { return ""; }

  void WaitPollStarted() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return polls_started_ > 0; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int polls_started() {
    std::lock_guard<std::mutex> lock(mu_);
    return polls_started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int polls_started_ = 0;
  bool released_ = false;
};

TEST(BackendWorkerTest, AnswersComeBackInOrderAndTheLaunchOwnsItsSpec) {
  GatedDriver driver;
  driver.Release();
  std::atomic<int> wakeups{0};
  BackendWorker worker(&driver, [&] { wakeups++; });
  ASSERT_TRUE(worker.RequestInventory());
  AttemptLaunch launch;
  launch.job_id = JobId(3);
  launch.attempt_no = 2;
  {
    auto spec = std::make_shared<JobSpec>();
    spec->name = "owned";
    worker.RequestLaunch(launch, spec);
  }  // the caller's copy is gone: the worker keeps its own
  worker.RequestCancel(JobId(3), 0, "h1");
  ASSERT_TRUE(worker.WaitIdle(60 * kMicrosPerSecond));
  auto events = worker.TakeEvents();
  ASSERT_EQ(events.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<InventoryAnswer>(events[0]));
  EXPECT_EQ(std::get<InventoryAnswer>(events[0]).nodes->size(), 1u);
  const auto& launched = std::get<LaunchAnswer>(events[1]);
  EXPECT_EQ(launched.job, JobId(3));
  EXPECT_EQ(launched.attempt_no, 2);
  ASSERT_TRUE(launched.handles.ok()) << launched.handles.status().ToString();
  const auto& cancelled = std::get<CancelAnswer>(events[2]);
  EXPECT_EQ(cancelled.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(cancelled.handle, "h1");
  EXPECT_EQ(wakeups.load(), 3);
  EXPECT_TRUE(worker.TakeEvents().empty());
}

TEST(BackendWorkerTest, AHungPollIsAskedOnceAndDoesNotBlockTheCaller) {
  GatedDriver driver;
  BackendWorker worker(&driver, nullptr);
  ASSERT_TRUE(worker.RequestPoll({"a", "b"}));
  driver.WaitPollStarted();
  EXPECT_TRUE(worker.PollInFlight());
  EXPECT_FALSE(worker.RequestPoll({"a", "b"})) << "a second poll queued behind a hung one";
  EXPECT_TRUE(worker.TakeEvents().empty());
  EXPECT_FALSE(worker.WaitIdle(kMicrosPerMilli));
  driver.Release();
  ASSERT_TRUE(worker.WaitIdle(60 * kMicrosPerSecond));
  auto events = worker.TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  const auto& poll = std::get<PollAnswer>(events[0]);
  EXPECT_EQ(poll.handles, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(poll.states.size(), 2u);
  EXPECT_EQ(poll.states[1].state, RunState::kRunning);
  EXPECT_FALSE(worker.PollInFlight());
  EXPECT_TRUE(worker.RequestPoll({"a"}));
}

TEST(BackendWorkerTest, StopGivesUpOnAStuckCallAndTheThreadEndsWhenTheCallReturns) {
  auto* driver = new GatedDriver;  // never freed: it must outlive the detached thread
  {
    BackendWorker worker(driver, nullptr);
    ASSERT_TRUE(worker.RequestPoll({"a"}));
    driver->WaitPollStarted();
    EXPECT_FALSE(worker.Stop(10 * kMicrosPerMilli)) << "Stop waited for a call that cannot return";
    EXPECT_FALSE(worker.RequestInventory()) << "a stopped worker took a request";
  }  // destroyed while its thread is still inside Poll
  driver->Release();
  EXPECT_EQ(driver->polls_started(), 1);
}

}  // namespace
}  // namespace skyrun
