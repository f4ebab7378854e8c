// The spot replay by hand: recorded preemptions on a SimCloud, with every
// figure worked out below from the options and prices.
#include "spot_replay.h"

#include <gtest/gtest.h>

namespace skyrun::bench {
namespace {

std::vector<Offer> Zones() {
  std::vector<Offer> offers;
  for (auto [zone, spot] : {std::pair{"z1", 0.5}, std::pair{"z2", 0.6}, std::pair{"z3", 0.0}}) {
    Offer o;
    o.provider = "aws";
    o.region = "r1";
    o.zone = zone;
    o.instance_type = "p3.2xlarge";
    o.accelerator = "V100";
    o.accelerator_count = 1;
    o.cpus = MilliCpu(8000);
    o.memory = MemoryMiB(61 * 1024);
    o.price = 3.0;
    if (spot > 0) o.spot_price = spot;  // z3 sells no spot
    offers.push_back(o);
  }
  return offers;
}

ReplayOptions FiveHours() {
  ReplayOptions o;
  o.work_hours = 5;
  o.checkpoint_interval_minutes = 30;
  o.restart_overhead_minutes = 10;
  o.launch_delay_seconds = 120;
  o.notice_seconds = 120;
  o.preemption_rate_per_hour = 0;
  return o;
}

TEST(SpotReplayTest, OnDemandPaysTheWorkAtTheListPrice) {
  ReplayOptions o = FiveHours();
  o.spot = false;
  auto r = ReplayTraining(Zones(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->cost_usd, 5 * 3.0, 1e-9);             // billed from ready: 5 h x $3
  EXPECT_NEAR(r->wall_hours, 5 + 120.0 / 3600, 1e-9);  // plus the launch delay
  EXPECT_EQ(r->preemptions, 0);
}

TEST(SpotReplayTest, APreemptionLosesTheWorkSinceTheLastCheckpoint) {
  ReplayOptions o = FiveHours();
  o.recorded = {{"i-0001", 10800, std::nullopt}};  // reclaimed 3 h after the start
  auto r = ReplayTraining(Zones(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // i-0001 in z1 (cheapest): ready at 120 s, works to 10800 s: 10680 s of work,
  // 9000 s (5 checkpoints) saved, 1680 s lost. i-0002 bought at 10800 s in z1
  // again, ready at 10920 s, works from 11520 s (10 min overhead) for the
  // 9000 s left: done at 20520 s. Billed 10680 + 9600 s at $0.5/h.
  EXPECT_EQ(r->preemptions, 1);
  EXPECT_NEAR(r->lost_work_hours, 1680.0 / 3600, 1e-9);
  EXPECT_NEAR(r->wall_hours, 20520.0 / 3600, 1e-9);
  EXPECT_NEAR(r->billed_hours, 20280.0 / 3600, 1e-9);
  EXPECT_NEAR(r->cost_usd, 20280.0 / 3600 * 0.5, 1e-9);
  EXPECT_EQ(r->zones, (std::vector<std::string>{"z1", "z1"}));
}

TEST(SpotReplayTest, ARestartTriesThePreemptedZoneFirst) {
  ReplayOptions o = FiveHours();
  o.recorded = {{"i-0001", 3600, std::nullopt}};
  SimErrorRule refuse_z1;
  refuse_z1.kind = ProvisionErrorKind::kCapacity;
  refuse_z1.scope = FailureScope::kZone;
  refuse_z1.target = "z1";
  refuse_z1.refuse_first = 1;
  o.errors = {refuse_z1};
  auto r = ReplayTraining(Zones(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // z1 refuses the first request: the run starts in z2 (next by price), and
  // after the preemption it stays in z2 rather than going back to the cheaper z1.
  EXPECT_EQ(r->zones, (std::vector<std::string>{"z2", "z2"}));
  EXPECT_EQ(r->zone_moves, 0);
  // i-0001 worked 120..3600 s: 3480 s, of which one 1800 s checkpoint is saved.
  EXPECT_NEAR(r->lost_work_hours, (3480.0 - 1800.0) / 3600, 1e-9);
}

TEST(SpotReplayTest, RefusesOffersWithoutSpot) {
  std::vector<Offer> offers = {Zones()[2]};
  auto r = ReplayTraining(offers, FiveHours());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("has a spot price"), std::string::npos);
}

}  // namespace
}  // namespace skyrun::bench
