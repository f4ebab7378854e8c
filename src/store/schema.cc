#include "store/schema.h"

#include <string>

#include "common/check.h"

namespace skyrun {

namespace {

// Version 1. Times are microseconds since the Unix epoch (0 = not yet);
// states are their names (JOB_STATE / RUN_STATE text), so the file reads well
// in the sqlite3 shell and survives reordering of the enums.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE tenants (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);

-- Bearer tokens: only the hex SHA-256 of the secret is kept.
CREATE TABLE tokens (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
  role        TEXT NOT NULL,
  hash        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);

CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER REFERENCES tenants(id),  -- NULL: no tenant (single-user use)
  name             TEXT NOT NULL,
  queue            TEXT NOT NULL,
  priority         INTEGER NOT NULL,
  state            TEXT NOT NULL,
  reason           TEXT NOT NULL DEFAULT '',
  spec_yaml        TEXT NOT NULL,
  spec_file        TEXT NOT NULL DEFAULT '',
  num_tasks        INTEGER NOT NULL,
  submitted_at     INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  started_at       INTEGER NOT NULL DEFAULT 0,
  finished_at      INTEGER NOT NULL DEFAULT 0,
  attempt_no       INTEGER NOT NULL DEFAULT 0,
  restarts         INTEGER NOT NULL DEFAULT 0,
  placement        TEXT NOT NULL DEFAULT '',
  cost_usd         REAL NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_tenant ON jobs(tenant_id, id);
CREATE INDEX jobs_by_state ON jobs(state, id);
-- The controller scans live jobs; finished ones pile up and stay out of this index.
CREATE INDEX jobs_live ON jobs(id) WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED');

CREATE TABLE tasks (
  id      INTEGER PRIMARY KEY,
  job_id  INTEGER NOT NULL REFERENCES jobs(id),
  rank    INTEGER NOT NULL,
  role    TEXT NOT NULL DEFAULT '',
  UNIQUE (job_id, rank)
);

CREATE TABLE attempts (
  id            INTEGER PRIMARY KEY,
  job_id        INTEGER NOT NULL REFERENCES jobs(id),
  attempt_no    INTEGER NOT NULL,
  rank          INTEGER NOT NULL,
  node          TEXT NOT NULL DEFAULT '',
  backend       TEXT NOT NULL DEFAULT '',
  gpu_indices   TEXT NOT NULL DEFAULT '',  -- "0,1,3"
  gpu_milli     INTEGER NOT NULL DEFAULT 0,
  cpus_milli    INTEGER NOT NULL DEFAULT 0,
  memory_mib    INTEGER NOT NULL DEFAULT 0,
  handle        TEXT NOT NULL DEFAULT '',
  state         TEXT NOT NULL,
  started_at    INTEGER NOT NULL DEFAULT 0,
  ended_at      INTEGER NOT NULL DEFAULT 0,
  exit_code     INTEGER,                   -- NULL: not exited
  reason        TEXT NOT NULL DEFAULT '',
  hourly_price  REAL NOT NULL DEFAULT 0,
  cost_usd      REAL NOT NULL DEFAULT 0
);
CREATE INDEX attempts_by_job ON attempts(job_id, attempt_no, rank);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  time        INTEGER NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  attempt_no  INTEGER NOT NULL,
  reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_job ON events(job_id, id);

-- Inventory as last reported by each backend; the Node itself is JSON.
CREATE TABLE nodes (
  name        TEXT PRIMARY KEY,
  backend     TEXT NOT NULL,
  node_json   TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX nodes_by_backend ON nodes(backend);
)sql";

// Version 2: token administration (list, revoke, expiry). Tokens made before
// keep an empty prefix, never expire and show no last use until their next.
constexpr const char* kSchemaV2Tokens = R"sql(
ALTER TABLE tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tokens_by_tenant ON tokens(tenant_id, id);
)sql";

// Version 4: the broker's directory (catalog/directory.h): the latest report
// per provider, region, zone and instance type; the entry itself is JSON.
constexpr const char* kSchemaV4Directory = R"sql(
CREATE TABLE directory (
  provider       TEXT NOT NULL,
  region         TEXT NOT NULL,
  zone           TEXT NOT NULL,
  instance_type  TEXT NOT NULL,
  entry_json     TEXT NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (provider, region, zone, instance_type)
);
)sql";

// Version 5: accounting. A price that changed while a task ran, and data
// moved for a job; an index for reports over a period.
constexpr const char* kSchemaV5Billing = R"sql(
CREATE TABLE price_changes (
  id            INTEGER PRIMARY KEY,
  job_id        INTEGER NOT NULL REFERENCES jobs(id),
  attempt_no    INTEGER NOT NULL,
  rank          INTEGER NOT NULL,
  at            INTEGER NOT NULL,
  usd_per_hour  REAL NOT NULL
);
CREATE INDEX price_changes_by_task ON price_changes(job_id, attempt_no, rank, at);
CREATE TABLE egress_charges (
  id           INTEGER PRIMARY KEY,
  job_id       INTEGER NOT NULL REFERENCES jobs(id),
  attempt_no   INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  gb           REAL NOT NULL,
  usd          REAL NOT NULL,
  source       TEXT NOT NULL DEFAULT '',
  destination  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX egress_charges_by_time ON egress_charges(at);
CREATE INDEX attempts_by_start ON attempts(started_at);
)sql";

// Version 6: the broker's provisioning history: every place it tried for a
// job's attempt and what came of it (model/provision_try.h).
constexpr const char* kSchemaV6ProvisionTries = R"sql(
CREATE TABLE provision_tries (
  id             INTEGER PRIMARY KEY,
  job_id         INTEGER NOT NULL REFERENCES jobs(id),
  attempt_no     INTEGER NOT NULL,
  at             INTEGER NOT NULL,
  backend        TEXT NOT NULL,
  provider       TEXT NOT NULL,
  region         TEXT NOT NULL,
  zone           TEXT NOT NULL,
  instance_type  TEXT NOT NULL,
  spot           INTEGER NOT NULL,
  count          INTEGER NOT NULL,
  hourly_price   REAL NOT NULL,
  outcome        TEXT NOT NULL,
  detail         TEXT NOT NULL,
  blocked        TEXT NOT NULL
);
CREATE INDEX provision_tries_by_job ON provision_tries(job_id, id);
)sql";

// Version 7: the data each task attempt moved (model/job.h DataMoved):
// inputs staged (over the network and from the node's cache), outputs
// uploaded, image bytes pulled, and the time each took.
constexpr const char* kSchemaV7DataMoved = R"sql(
ALTER TABLE attempts ADD COLUMN in_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN in_cached_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN in_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN out_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN out_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN image_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN image_micros INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 8: blocks from provisioning refusals that outlive their round
// (model/provision_try.h HeldBlockRow), one row per place.
constexpr const char* kSchemaV8HeldBlocks = R"sql(
CREATE TABLE held_blocks (
  scope     TEXT NOT NULL,
  provider  TEXT NOT NULL,
  region    TEXT NOT NULL,
  zone      TEXT NOT NULL,
  why       TEXT NOT NULL,
  until     INTEGER NOT NULL,
  PRIMARY KEY (scope, provider, region, zone)
);
)sql";

Status ApplyStep(SqliteDb& db, const Migration& step) {
  // IMMEDIATE: two processes opening an old database at once must not both
  // apply the step; the second sees the new version and skips it.
  SKYRUN_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  auto fail = [&db](Status error) {
    if (db.InTransaction()) (void)db.Exec("ROLLBACK");
    return error;
  };
  auto current = db.QueryInt("PRAGMA user_version");
  if (!current.ok()) return fail(current.status());
  if (*current >= step.version) return db.Exec("COMMIT");
  if (*current != step.version - 1) {
    return fail(Internal("database is at schema version " + std::to_string(*current) + ", expected " +
                         std::to_string(step.version - 1)));
  }
  Status applied = db.Exec(step.sql);
  if (!applied.ok()) return fail(applied);
  Status versioned = db.Exec("PRAGMA user_version = " + std::to_string(step.version));
  if (!versioned.ok()) return fail(versioned);
  Status committed = db.Exec("COMMIT");
  if (!committed.ok()) return fail(committed);
  return Status::Ok();
}

}  // namespace

const std::vector<Migration>& StoreMigrations() {
  static const std::vector<Migration> kSteps = {
      {1, "initial schema: tenants, tokens, jobs, tasks, attempts, events, nodes", kSchemaV1},
      {2, "tokens: prefix, expiry, revocation, last use", kSchemaV2Tokens},
      {3, "jobs.upload: the SHA-256 of the job's uploaded files",
       "ALTER TABLE jobs ADD COLUMN upload TEXT NOT NULL DEFAULT '';"},
      {4, "directory: providers' reports of availability, load, prices and preemption", kSchemaV4Directory},
      {5, "accounting: price changes while tasks run, egress charges", kSchemaV5Billing},
      {6, "provision_tries: the broker's provisioning history per job", kSchemaV6ProvisionTries},
      {7, "attempts: data staged in, uploaded and image bytes pulled, with their times", kSchemaV7DataMoved},
      {8, "held_blocks: provisioning refusals that block a place for every job until they expire",
       kSchemaV8HeldBlocks},
  };
  return kSteps;
}

int LatestSchemaVersion() {
  return StoreMigrations().back().version;
}

Status MigrateSchema(SqliteDb& db, const std::vector<Migration>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) SKYRUN_CHECK(steps[i].version == static_cast<int>(i) + 1);
  const int latest = steps.empty() ? 0 : steps.back().version;
  SKYRUN_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version > latest) {
    return FailedPrecondition("the state database " + db.path() + " has schema version " +
                              std::to_string(version) + ", but this skyrun knows versions up to " +
                              std::to_string(latest) +
                              ": it was written by a newer skyrun; run that version (or a newer "
                              "one) against this state directory, or use another state directory");
  }
  if (version < 0) {
    return FailedPrecondition("the state database " + db.path() + " has a negative schema version (" +
                              std::to_string(version) + "): it was not written by skyrun");
  }
  for (const Migration& step : steps) {
    if (step.version <= version) continue;
    Status status = ApplyStep(db, step);
    if (!status.ok()) {
      return status.WithContext("upgrading the state database " + db.path() + " to schema version " +
                                std::to_string(step.version) + " (" + step.description + ")");
    }
  }
  return Status::Ok();
}

}  // namespace skyrun
