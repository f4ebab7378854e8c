// The per-tenant cap on log streams (issue 10, items 8 and 9).
#include "server/tenant_slots.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(TenantSlotsTest, Item8_ATenantGetsNoMoreThanItsCapAndOthersAreNotAffected) {
  TenantSlots slots(2);
  auto a1 = slots.TryAcquire("a");
  auto a2 = slots.TryAcquire("a");
  EXPECT_TRUE(a1 && a2);
  EXPECT_FALSE(slots.TryAcquire("a"));
  EXPECT_TRUE(slots.TryAcquire("b"));
  EXPECT_EQ(slots.held("a"), 2);
}

TEST(TenantSlotsTest, Item8_ASlotComesBackWhenItsLastHolderGoes) {
  TenantSlots slots(1);
  auto held = slots.TryAcquire("a");
  ASSERT_TRUE(held);
  auto copy = held;  // a stream's provider keeps a copy
  held.reset();
  EXPECT_FALSE(slots.TryAcquire("a"));
  copy.reset();
  EXPECT_EQ(slots.held("a"), 0);
  EXPECT_TRUE(slots.TryAcquire("a"));
}

TEST(TenantSlotsTest, Item8_ASlotMayOutliveItsPool) {
  std::shared_ptr<void> held;
  {
    TenantSlots slots(1);
    held = slots.TryAcquire("a");
  }
  held.reset();  // no use after free
}

}  // namespace
}  // namespace skyrun
