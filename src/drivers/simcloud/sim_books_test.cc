// SimCloud books that survive a restart: a cloud re-created over its books
// file continues its run — the same start (so the spot price series and
// recorded preemptions keep their times), instances, event log, refusals
// used, next instance id — and its bill at any later time is exactly the bill
// of a twin cloud that never restarted: no second lost or billed twice.
#include "drivers/simcloud/sim_books.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "drivers/simcloud/sim_cloud.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

constexpr Micros kStart = 1'800'000'000 * kMicrosPerSecond;
constexpr Micros kS = kMicrosPerSecond;

Offer P3(std::string zone) {
  Offer o;
  o.provider = "aws";
  o.region = "us-east-1";
  o.zone = std::move(zone);
  o.instance_type = "p3.2xlarge";
  o.accelerator = "V100";
  o.accelerator_count = 1;
  o.gpu_memory_mib = 16384;
  o.cpus = MilliCpu(8000);
  o.memory = MemoryMiB(61 * 1024);
  o.price = 3.06;
  o.spot_price = 0.918;
  return o;
}

// Two zones; a spot price change at 600 s; i-0002 recorded preempted 1500 s
// in; the first request in us-east-1b refused; a 30 s launch delay.
SimCloudConfig Config(const std::string& books) {
  SimCloudConfig c;
  c.name = "test";
  c.offers = {P3("us-east-1a"), P3("us-east-1b")};
  c.launch_delay_seconds = 30;
  c.spot_prices = {SimPricePoint{"p3.2xlarge", "", 600, 1.50}};
  c.preemption.recorded = {SimRecordedPreemption{"i-0002", 1500, std::nullopt}};
  c.errors = {SimErrorRule{ProvisionErrorKind::kCapacity, FailureScope::kZone, "us-east-1b", 1}};
  c.books_path = books;
  return c;
}

ProvisionRequest Ask(std::string zone, bool spot) {
  ProvisionRequest r;
  r.zone = std::move(zone);
  r.instance_type = "p3.2xlarge";
  r.count = 1;
  r.spot = spot;
  r.job_id = JobId(7);
  return r;
}

std::unique_ptr<SimCloud> Make(SimCloudConfig config, Clock& clock) {
  auto cloud = SimCloud::Create(std::move(config), clock);
  EXPECT_TRUE(cloud.ok()) << cloud.status().ToString();
  return cloud.ok() ? std::move(cloud).value() : nullptr;
}

double Total(const std::vector<BillingRecord>& bill) {
  double usd = 0;
  for (const BillingRecord& r : bill) usd += r.cost_usd;
  return usd;
}

// The same calls to a cloud that restarts (books on disk) and to a twin that
// never does (books in memory): every answer is the same, the bill included.
TEST(SimBooksTest, ARestartedCloudBillsExactlyAsOneThatNeverStopped) {
  test_support::TempDir dir("simbooks");
  const std::string books = dir.path() + "/simcloud/test.json";
  SimulatedClock clock(kStart);
  auto cloud = Make(Config(books), clock);
  auto twin = Make(Config(""), clock);
  ASSERT_TRUE(cloud && twin);
  EXPECT_FALSE(cloud->restored());
  EXPECT_TRUE(std::filesystem::exists(books));  // the start is written before anything is bought

  clock.Advance(100 * kS);
  for (SimCloud* c : {cloud.get(), twin.get()}) {
    ASSERT_TRUE(c->Provision(Ask("us-east-1a", false)).ok());  // i-0001, on demand
    ASSERT_TRUE(c->Provision(Ask("us-east-1a", true)).ok());   // i-0002, spot, preempted at 1500 s
    EXPECT_FALSE(c->Provision(Ask("us-east-1b", true)).ok());  // the configured refusal
  }
  clock.Advance(400 * kS);  // 500 s: both ready
  EXPECT_EQ(cloud->Instances().size(), 2u);

  // The server stops at 500 s and starts again at 2000 s: the preemption and
  // the price change happened meanwhile; the books catch up lazily.
  cloud.reset();
  clock.Set(kStart + 2000 * kS);
  cloud = Make(Config(books), clock);
  ASSERT_TRUE(cloud);
  EXPECT_TRUE(cloud->restored());
  EXPECT_EQ(cloud->start(), kStart);
  EXPECT_EQ(cloud->Get("i-0002")->state, InstanceState::kPreempted);
  EXPECT_EQ(cloud->Get("i-0002")->ended_at, kStart + 1500 * kS);
  EXPECT_EQ(cloud->Get("i-0001")->state, InstanceState::kRunning);

  // The refusal was used up before the restart: us-east-1b now sells (i-0003, not i-0001 again).
  for (SimCloud* c : {cloud.get(), twin.get()}) {
    auto got = c->Provision(Ask("us-east-1b", false));
    ASSERT_TRUE(got.ok()) << got.error->message;
    EXPECT_EQ(got.instances[0].id, "i-0003");
  }
  clock.Advance(1000 * kS);
  for (SimCloud* c : {cloud.get(), twin.get()}) ASSERT_TRUE(c->Terminate("i-0001").ok());
  clock.Advance(500 * kS);

  // The event logs and bills agree record by record.
  const auto events = cloud->EventsSince(0);
  const auto twin_events = twin->EventsSince(0);
  ASSERT_EQ(events.size(), twin_events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, twin_events[i].seq);
    EXPECT_EQ(events[i].time, twin_events[i].time);
    EXPECT_EQ(events[i].kind, twin_events[i].kind);
  }
  const auto bill = cloud->Billing();
  const auto twin_bill = twin->Billing();
  ASSERT_EQ(bill.size(), 3u);
  ASSERT_EQ(twin_bill.size(), 3u);
  for (size_t i = 0; i < bill.size(); ++i) {
    EXPECT_EQ(bill[i].instance_id, twin_bill[i].instance_id);
    EXPECT_EQ(bill[i].start, twin_bill[i].start);
    EXPECT_EQ(bill[i].end, twin_bill[i].end);
    EXPECT_DOUBLE_EQ(bill[i].cost_usd, twin_bill[i].cost_usd);
  }
  // By hand: i-0001 on demand from 130 s (ready) to 3000 s (terminated) = 2870 s at $3.06/h;
  // i-0002 spot from 130 s: 470 s at $0.918/h, then 900 s at $1.50/h to its preemption at 1500 s;
  // i-0003 on demand from 2030 s to now (3500 s) = 1470 s at $3.06/h.
  const double want = (2870 * 3.06 + 470 * 0.918 + 900 * 1.50 + 1470 * 3.06) / 3600.0;
  EXPECT_NEAR(Total(bill), want, 1e-9);
  EXPECT_NEAR(Total(twin_bill), want, 1e-9);
}

TEST(SimBooksTest, BooksRoundTripAndABrokenFileFailsCreate) {
  SimBooks books;
  books.start = kStart;
  SimHeldInstance h;
  h.inst.id = "i-0001";
  h.inst.offer = P3("us-east-1a");
  h.inst.spot = true;
  h.inst.job_id = JobId(3);
  h.inst.state = InstanceState::kNoticed;
  h.inst.ready_at = kStart + 5;
  h.inst.notice_at = kStart + 6;
  h.inst.preempt_at = kStart + 7;
  h.ready_logged = h.notice_logged = true;
  books.held.push_back(h);
  books.events.push_back(CapacityEvent{1, kStart + 5, CapacityEventKind::kReady, "i-0001", "ready"});
  books.refusals = {1, 0};
  books.price_points_logged = {true};
  auto back = SimBooksFromJson(SimBooksToJson(books));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->held.size(), 1u);
  EXPECT_EQ(back->held[0].inst.state, InstanceState::kNoticed);
  EXPECT_EQ(back->held[0].inst.offer.spot_price, 0.918);
  EXPECT_EQ(back->held[0].inst.preempt_at, kStart + 7);
  EXPECT_TRUE(back->held[0].notice_logged);
  EXPECT_FALSE(back->held[0].end_logged);
  EXPECT_EQ(back->events.size(), 1u);
  EXPECT_EQ(back->refusals, (std::vector<int64_t>{1, 0}));

  for (const std::string& bad :
       {std::string("not json"), std::string("[]"), std::string(R"({"version": 2})"),
        SimBooksToJson(books).replace(SimBooksToJson(books).find("\"state\":2"), 9, "\"state\":9")}) {
    EXPECT_FALSE(SimBooksFromJson(bad).ok()) << bad;
  }
  // A cloud over books it cannot read does not start afresh: Create fails.
  test_support::TempDir dir("simbooks");
  const std::string path = dir.path() + "/test.json";
  std::ofstream(path) << "{";
  SimulatedClock clock(kStart);
  auto cloud = SimCloud::Create(Config(path), clock);
  EXPECT_FALSE(cloud.ok());
}

}  // namespace
}  // namespace skyrun
