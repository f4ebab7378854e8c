#include "store/store_test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

namespace skyrun {

JobRecord MakeJob(TenantId tenant, const std::string& name, int num_nodes, const std::string& queue,
                  int priority) {
  JobRecord job;
  job.tenant = tenant;
  job.spec.name = name;
  job.spec.queue = queue;
  job.spec.priority = priority;
  job.spec.num_nodes = num_nodes;
  job.spec.mode = num_nodes > 1 ? JobMode::kGang : JobMode::kSingle;
  job.name = name;
  job.queue = queue;
  job.priority = priority;
  job.spec_yaml = "name: " + name + "\nqueue: " + queue + "\nnum_nodes: " + std::to_string(num_nodes) +
                  "\nrun: python train.py\n";
  job.spec_file = name + ".yaml";
  return job;
}

std::unique_ptr<SqliteDb> OpenRaw(const std::string& db_path) {
  auto db = SqliteDb::Open(db_path, /*create=*/true);
  if (!db.ok()) {
    ADD_FAILURE() << db.status().ToString();
    std::abort();
  }
  sqlite3_busy_timeout(db.value()->raw(), 5000);
  return std::move(db).value();
}

std::string FakeHash(int seed) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016x", seed);
  return std::string(buf) + std::string(48, 'a');
}

}  // namespace skyrun
