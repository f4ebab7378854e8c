// SlurmClusterSuite: the gtest fixture base of the tests that need a real
// Slurm cluster (slurm_driver_test.cc, tests/slurm_e2e). One SlurmTestCluster
// per test suite: started in SetUpTestSuite, stopped in TearDownTestSuite (its
// directory kept, with the logs, when a test failed). Every test is skipped
// with the reason where the machine cannot run a cluster, and fails where the
// cluster did not start.
//
// Derived fixtures call StartCluster(options) from their SetUpTestSuite,
// StopCluster() from their TearDownTestSuite, and SlurmClusterSuite::SetUp()
// first in their SetUp (returning when IsSkipped() or HasFatalFailure()).
// Thread-safety: gtest runs suites one at a time.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "drivers/slurm/slurm_config.h"
#include "support/slurm/slurm_test_cluster.h"

namespace skyrun {

class SlurmClusterSuite : public ::testing::Test {
 protected:
  static void StartCluster(const SlurmTestClusterOptions& options) {
    unavailable_ = new std::string(SlurmTestCluster::Unavailability());
    if (!unavailable_->empty()) return;
    auto started = SlurmTestCluster::Start(options);
    if (started.ok()) {
      cluster_ = started->release();
    } else {
      start_error_ = new std::string(started.status().message());
    }
  }

  static void StopCluster() {
    if (cluster_ != nullptr) {
      Status s = cluster_->Stop();
      EXPECT_TRUE(s.ok()) << s.message();
      bool failed = ::testing::UnitTest::GetInstance()->failed_test_count() > 0;
      if (s.ok() && !failed) cluster_->RemoveDirectory();
      if (!s.ok() || failed) std::cerr << "Slurm test cluster logs kept in " << cluster_->dir() << "/log\n";
      delete cluster_;
      cluster_ = nullptr;
    }
    delete unavailable_;
    unavailable_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }

  void SetUp() override {
    if (!unavailable_->empty()) GTEST_SKIP() << "no Slurm test cluster on this machine: " << *unavailable_;
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
  }

  // A driver's config for this cluster: "hpc1", its slurm.conf, partition debug.
  static SlurmClusterConfig DriverConfig() {
    SlurmClusterConfig config;
    config.name = "hpc1";
    config.slurm_conf = cluster_->slurm_conf();
    config.partition = "debug";
    return config;
  }

  static inline SlurmTestCluster* cluster_ = nullptr;
  static inline std::string* unavailable_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

}  // namespace skyrun
