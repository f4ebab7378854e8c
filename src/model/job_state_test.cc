#include "model/job_state.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(JobStateTest, HappyPath) {
  EXPECT_TRUE(CanTransition(JobState::kSubmitted, JobState::kQueued));
  EXPECT_TRUE(CanTransition(JobState::kQueued, JobState::kScheduled));
  EXPECT_TRUE(CanTransition(JobState::kScheduled, JobState::kRunning));
  EXPECT_TRUE(CanTransition(JobState::kRunning, JobState::kSucceeded));
}

TEST(JobStateTest, RecoveryLoop) {
  EXPECT_TRUE(CanTransition(JobState::kRunning, JobState::kRecovering));
  EXPECT_TRUE(CanTransition(JobState::kRecovering, JobState::kScheduled));
  EXPECT_TRUE(CanTransition(JobState::kRecovering, JobState::kFailed));
}

TEST(JobStateTest, CancelFromAnyLiveStateOnly) {
  for (JobState s : {JobState::kSubmitted, JobState::kQueued, JobState::kScheduled, JobState::kRunning,
                     JobState::kRecovering}) {
    EXPECT_TRUE(CanTransition(s, JobState::kCancelled)) << JobStateName(s);
  }
  for (JobState s : {JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    EXPECT_FALSE(CanTransition(s, JobState::kCancelled)) << JobStateName(s);
    EXPECT_FALSE(CanTransition(s, JobState::kRunning)) << JobStateName(s);
  }
}

TEST(JobStateTest, NoSkippingTheQueue) {
  EXPECT_FALSE(CanTransition(JobState::kSubmitted, JobState::kRunning));
  EXPECT_FALSE(CanTransition(JobState::kQueued, JobState::kSucceeded));
}

TEST(JobStateTest, NamesRoundTrip) {
  EXPECT_EQ(ParseJobState("running"), JobState::kRunning);
  EXPECT_EQ(ParseJobState("RECOVERING"), JobState::kRecovering);
  EXPECT_FALSE(ParseJobState("bogus").has_value());
}

}  // namespace
}  // namespace skyrun
