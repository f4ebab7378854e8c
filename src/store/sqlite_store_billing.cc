// SqliteStore: accounting rows (price changes, egress charges) and the
// billing read that cost reports are built from.
#include <cmath>

#include "store/sqlite_store.h"
#include "store/store_rows.h"

namespace skyrun {

namespace {

bool FiniteNonNegative(double v) {
  return std::isfinite(v) && v >= 0;
}

// "x, y" -> "a.x, a.y".
std::string Qualified(const std::string& columns, const std::string& table) {
  std::string out = table + ".";
  for (char c : columns) {
    out += c;
    if (c == ' ') out += table + ".";
  }
  return out;
}

// NotFound unless the job exists (inside the writer's transaction).
Status JobExists(SqliteDb& db, JobId job, const std::string& operation) {
  SKYRUN_ASSIGN_OR_RETURN(SqliteQuery q, db.Prepare("SELECT 1 FROM jobs WHERE id = ?"));
  q.Bind(1, job.value());
  SKYRUN_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound(operation + ": job " + job.ToString() + " not found");
  return Status::Ok();
}

PriceChange PriceChangeFromRow(const SqliteQuery& row) {
  PriceChange c;
  c.job = JobId(row.Int(0));
  c.attempt_no = static_cast<int>(row.Int(1));
  c.rank = static_cast<int>(row.Int(2));
  c.at = row.Int(3);
  c.usd_per_hour = row.Real(4);
  return c;
}

}  // namespace

Status SqliteStore::RecordPriceChange(const PriceChange& change) {
  const std::string operation = "recording a price change of job " + change.job.ToString();
  if (!FiniteNonNegative(change.usd_per_hour)) {
    return InvalidArgument(operation + ": the price must be a finite number >= 0");
  }
  if (change.attempt_no < 1 || change.rank < 0) {
    return InvalidArgument(operation + ": attempt numbers start at 1 and ranks at 0");
  }
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_RETURN_IF_ERROR(JobExists(db, change.job, operation));
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery insert,
        db.Prepare("INSERT INTO price_changes (job_id, attempt_no, rank, at, usd_per_hour) "
                   "VALUES (?, ?, ?, ?, ?)"));
    insert.Bind(1, change.job.value())
        .Bind(2, change.attempt_no)
        .Bind(3, change.rank)
        .Bind(4, change.at)
        .Bind(5, change.usd_per_hour);
    return insert.Run();
  });
}

Status SqliteStore::RecordEgress(const EgressCharge& charge) {
  const std::string operation = "recording an egress charge of job " + charge.job.ToString();
  if (!FiniteNonNegative(charge.gb) || !FiniteNonNegative(charge.usd)) {
    return InvalidArgument(operation + ": gigabytes and dollars must be finite numbers >= 0");
  }
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_RETURN_IF_ERROR(JobExists(db, charge.job, operation));
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery insert,
        db.Prepare("INSERT INTO egress_charges (job_id, attempt_no, at, gb, usd, source, destination) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, charge.job.value())
        .Bind(2, charge.attempt_no)
        .Bind(3, charge.at)
        .Bind(4, charge.gb)
        .Bind(5, charge.usd)
        .Bind(6, charge.source)
        .Bind(7, charge.destination);
    return insert.Run();
  });
}

Result<std::vector<PriceChange>> SqliteStore::ListPriceChanges(JobId job) {
  using Changes = std::vector<PriceChange>;
  return Read<Changes>(
      "listing the price changes of job " + job.ToString(), [&](SqliteDb& db) -> Result<Changes> {
        SKYRUN_ASSIGN_OR_RETURN(SqliteQuery q, db.Prepare("SELECT job_id, attempt_no, rank, at, usd_per_hour "
                                                          "FROM price_changes WHERE job_id = ? "
                                                          "ORDER BY attempt_no, rank, at, id"));
        q.Bind(1, job.value());
        Changes out;
        while (true) {
          SKYRUN_ASSIGN_OR_RETURN(bool row, q.Step());
          if (!row) return out;
          out.push_back(PriceChangeFromRow(q));
        }
      });
}

Result<BillingData> SqliteStore::ListBilling(Micros from, Micros to, std::optional<TenantId> tenant) {
  if (to <= from) return InvalidArgument("a billing period must end after it starts");
  return Read<BillingData>("reading what was billed", [&](SqliteDb& db) -> Result<BillingData> {
    BillingData out;
    const std::string tenant_clause = tenant ? " AND j.tenant_id = ?" : "";
    // Attempts that started before `to` (started_at 0: never started, nothing
    // to bill) and had not ended by `from` (ended_at 0: still running).
    std::string attempts_sql =
        "SELECT " + Qualified(kAttemptColumns, "a") +
        ", j.tenant_id, t.name, j.name, j.queue FROM attempts a JOIN jobs j ON j.id = a.job_id "
        "JOIN tenants t ON t.id = j.tenant_id "
        "WHERE a.started_at > 0 AND a.started_at < ? AND (a.ended_at = 0 OR a.ended_at > ?)" +
        tenant_clause + " ORDER BY a.job_id, a.attempt_no, a.rank";
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery attempts, db.Prepare(attempts_sql));
    attempts.Bind(1, to).Bind(2, from);
    if (tenant) attempts.Bind(3, tenant->value());
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, attempts.Step());
      if (!row) break;
      SKYRUN_ASSIGN_OR_RETURN(AttemptRecord a, AttemptFromRow(attempts));
      BillableAttempt b;
      b.attempt = std::move(a);
      const int owner = kAttemptColumnCount;  // the columns after the attempt's
      b.owner.tenant = TenantId(attempts.Int(owner));
      b.owner.tenant_name = attempts.Text(owner + 1);
      b.owner.job_name = attempts.Text(owner + 2);
      b.owner.queue = attempts.Text(owner + 3);
      out.attempts.push_back(std::move(b));
    }
    // The price changes of those attempts (any time: one before `from` sets
    // the price in force when the period starts).
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery changes,
                            db.Prepare("SELECT job_id, attempt_no, rank, at, usd_per_hour FROM price_changes "
                                       "WHERE job_id = ? AND attempt_no = ? AND rank = ? ORDER BY at, id"));
    for (const BillableAttempt& b : out.attempts) {
      changes.Bind(1, b.attempt.job_id.value()).Bind(2, b.attempt.attempt_no).Bind(3, b.attempt.rank);
      while (true) {
        SKYRUN_ASSIGN_OR_RETURN(bool row, changes.Step());
        if (!row) break;
        out.price_changes.push_back(PriceChangeFromRow(changes));
      }
      changes.Reset();
    }
    std::string egress_sql =
        "SELECT e.job_id, e.attempt_no, e.at, e.gb, e.usd, e.source, e.destination, j.tenant_id, t.name, "
        "j.name, j.queue "
        "FROM egress_charges e JOIN jobs j ON j.id = e.job_id JOIN tenants t ON t.id = j.tenant_id "
        "WHERE e.at >= ? AND e.at < ?" +
        tenant_clause + " ORDER BY e.at, e.id";
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery egress, db.Prepare(egress_sql));
    egress.Bind(1, from).Bind(2, to);
    if (tenant) egress.Bind(3, tenant->value());
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, egress.Step());
      if (!row) break;
      BillableEgress e;
      e.charge.job = JobId(egress.Int(0));
      e.charge.attempt_no = static_cast<int>(egress.Int(1));
      e.charge.at = egress.Int(2);
      e.charge.gb = egress.Real(3);
      e.charge.usd = egress.Real(4);
      e.charge.source = egress.Text(5);
      e.charge.destination = egress.Text(6);
      e.owner.tenant = TenantId(egress.Int(7));
      e.owner.tenant_name = egress.Text(8);
      e.owner.job_name = egress.Text(9);
      e.owner.queue = egress.Text(10);
      out.egress.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace skyrun
