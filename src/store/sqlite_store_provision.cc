// SqliteStore: the broker's provisioning history and held blocks
// (model/provision_try.h).
#include "store/sqlite_store.h"

namespace skyrun {

Status SqliteStore::RecordProvisionTry(const ProvisionTry& t) {
  const std::string operation = "recording a provisioning try of job " + t.job.ToString();
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery exists, db.Prepare("SELECT 1 FROM jobs WHERE id = ?"));
    exists.Bind(1, t.job.value());
    SKYRUN_ASSIGN_OR_RETURN(bool found, exists.Step());
    if (!found) return NotFound(operation + ": job " + t.job.ToString() + " not found");
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery insert,
        db.Prepare("INSERT INTO provision_tries (job_id, attempt_no, at, backend, provider, region, zone, "
                   "instance_type, spot, count, hourly_price, outcome, detail, blocked) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, t.job.value())
        .Bind(2, t.attempt_no)
        .Bind(3, t.at)
        .Bind(4, t.backend)
        .Bind(5, t.provider)
        .Bind(6, t.region)
        .Bind(7, t.zone)
        .Bind(8, t.instance_type)
        .Bind(9, t.spot ? 1 : 0)
        .Bind(10, t.count)
        .Bind(11, t.hourly_price)
        .Bind(12, t.outcome)
        .Bind(13, t.detail)
        .Bind(14, t.blocked);
    return insert.Run();
  });
}

Result<std::vector<ProvisionTry>> SqliteStore::ListProvisionTries(JobId job) {
  using Tries = std::vector<ProvisionTry>;
  return Read<Tries>(
      "listing the provisioning tries of job " + job.ToString(), [&](SqliteDb& db) -> Result<Tries> {
        SKYRUN_ASSIGN_OR_RETURN(
            SqliteQuery q, db.Prepare("SELECT job_id, attempt_no, at, backend, provider, region, zone, "
                                      "instance_type, spot, count, hourly_price, outcome, detail, blocked "
                                      "FROM provision_tries WHERE job_id = ? ORDER BY id"));
        q.Bind(1, job.value());
        Tries out;
        while (true) {
          SKYRUN_ASSIGN_OR_RETURN(bool row, q.Step());
          if (!row) return out;
          ProvisionTry t;
          t.job = JobId(q.Int(0));
          t.attempt_no = static_cast<int>(q.Int(1));
          t.at = q.Int(2);
          t.backend = q.Text(3);
          t.provider = q.Text(4);
          t.region = q.Text(5);
          t.zone = q.Text(6);
          t.instance_type = q.Text(7);
          t.spot = q.Int(8) != 0;
          t.count = static_cast<int>(q.Int(9));
          t.hourly_price = q.Real(10);
          t.outcome = q.Text(11);
          t.detail = q.Text(12);
          t.blocked = q.Text(13);
          out.push_back(std::move(t));
        }
      });
}

Status SqliteStore::SaveHeldBlock(const HeldBlockRow& b) {
  const std::string operation = "keeping the held block of " + b.scope + " " + b.provider;
  if (b.scope != "zone" && b.scope != "region" && b.scope != "provider")
    return InvalidArgument(operation + ": scope must be zone, region or provider, not '" + b.scope + "'");
  if (b.provider.empty()) return InvalidArgument(operation + ": the provider is empty");
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery upsert,
        db.Prepare(
            "INSERT INTO held_blocks (scope, provider, region, zone, why, until) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (scope, provider, region, zone) DO UPDATE SET why = excluded.why, "
            "until = excluded.until"));
    upsert.Bind(1, b.scope)
        .Bind(2, b.provider)
        .Bind(3, b.region)
        .Bind(4, b.zone)
        .Bind(5, b.why)
        .Bind(6, b.until);
    return upsert.Run();
  });
}

Result<std::vector<HeldBlockRow>> SqliteStore::ListHeldBlocks(Micros now) {
  using Rows = std::vector<HeldBlockRow>;
  // A write: the expired rows go as they are read past.
  Rows out;
  Status s = Write("listing the held blocks", [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery drop, db.Prepare("DELETE FROM held_blocks WHERE until <= ?"));
    drop.Bind(1, now);
    SKYRUN_RETURN_IF_ERROR(drop.Run());
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery q, db.Prepare("SELECT scope, provider, region, zone, why, until FROM "
                                                      "held_blocks ORDER BY until, provider, region, zone"));
    out.clear();
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Status::Ok();
      HeldBlockRow b;
      b.scope = q.Text(0);
      b.provider = q.Text(1);
      b.region = q.Text(2);
      b.zone = q.Text(3);
      b.why = q.Text(4);
      b.until = q.Int(5);
      out.push_back(std::move(b));
    }
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace skyrun
