#include "store/store_rows.h"

#include "common/strings.h"

namespace skyrun {

const char* const kJobColumns =
    "j.id, j.tenant_id, t.name, j.name, j.queue, j.priority, j.state, j.reason, j.spec_yaml, "
    "j.spec_file, j.submitted_at, j.updated_at, j.started_at, j.finished_at, j.attempt_no, "
    "j.restarts, j.placement, j.cost_usd, j.cancel_requested, j.upload";

const char* const kAttemptColumns =
    "id, job_id, attempt_no, rank, node, backend, gpu_indices, gpu_milli, cpus_milli, memory_mib, "
    "handle, state, started_at, ended_at, exit_code, reason, hourly_price, cost_usd, in_bytes, "
    "in_cached_bytes, in_micros, out_bytes, out_micros, image_bytes, image_micros";
const int kAttemptColumnCount = 25;

const char* const kAttemptMutableColumns =
    "node, backend, gpu_indices, gpu_milli, cpus_milli, memory_mib, handle, state, started_at, "
    "ended_at, exit_code, reason, hourly_price, cost_usd, in_bytes, in_cached_bytes, in_micros, out_bytes, "
    "out_micros, image_bytes, image_micros";

const char* const kEventColumns = "id, job_id, time, from_state, to_state, attempt_no, reason";

const char* const kTaskColumns = "id, job_id, rank, role";

const char* const kTokenColumns =
    "k.id, k.tenant_id, t.name, k.role, k.description, k.created_at, k.prefix, k.expires_at, k.revoked_at, "
    "k.last_used_at";

namespace {

Result<JobState> JobStateAt(const SqliteQuery& row, int column, const std::string& what) {
  std::string text = row.Text(column);
  auto state = ParseJobState(text);
  if (!state)
    return Internal(what + " has an unknown job state \"" + text + "\" (written by a newer skyrun?)");
  return *state;
}

}  // namespace

Result<JobRecord> JobFromRow(const SqliteQuery& row) {
  JobRecord job;
  job.id = JobId(row.Int(0));
  if (!row.IsNull(1)) job.tenant = TenantId(row.Int(1));
  job.tenant_name = row.Text(2);
  job.name = row.Text(3);
  job.queue = row.Text(4);
  job.priority = static_cast<int>(row.Int(5));
  SKYRUN_ASSIGN_OR_RETURN(job.state, JobStateAt(row, 6, "job " + job.id.ToString()));
  job.reason = row.Text(7);
  job.spec_yaml = row.Text(8);
  job.spec_file = row.Text(9);
  job.submitted_at = row.Int(10);
  job.updated_at = row.Int(11);
  job.started_at = row.Int(12);
  job.finished_at = row.Int(13);
  job.attempt_no = static_cast<int>(row.Int(14));
  job.restarts = static_cast<int>(row.Int(15));
  job.placement = row.Text(16);
  job.cost_usd = row.Real(17);
  job.cancel_requested = row.Int(18) != 0;
  job.upload = row.Text(19);
  // The spec is the caller's to parse from spec_yaml; its columns are kept.
  job.spec.name = job.name;
  job.spec.queue = job.queue;
  job.spec.priority = job.priority;
  return job;
}

Result<AttemptRecord> AttemptFromRow(const SqliteQuery& row) {
  AttemptRecord a;
  a.id = AttemptId(row.Int(0));
  a.job_id = JobId(row.Int(1));
  a.attempt_no = static_cast<int>(row.Int(2));
  a.rank = static_cast<int>(row.Int(3));
  a.node = row.Text(4);
  a.backend = row.Text(5);
  auto gpus = ParseGpuIndices(row.Text(6));
  if (!gpus.ok()) return gpus.status().WithContext("attempt " + a.id.ToString());
  a.gpu_indices = std::move(gpus).value();
  a.gpu_milli = MilliGpu(row.Int(7));
  a.cpus_milli = MilliCpu(row.Int(8));
  a.memory_mib = MemoryMiB(row.Int(9));
  a.handle = row.Text(10);
  std::string state = row.Text(11);
  auto parsed = ParseRunState(state);
  if (!parsed) {
    return Internal("attempt " + a.id.ToString() + " has an unknown run state \"" + state +
                    "\" (written by a newer skyrun?)");
  }
  a.state = *parsed;
  a.started_at = row.Int(12);
  a.ended_at = row.Int(13);
  if (!row.IsNull(14)) a.exit_code = static_cast<int>(row.Int(14));
  a.reason = row.Text(15);
  a.hourly_price = row.Real(16);
  a.cost_usd = row.Real(17);
  a.moved.in_bytes = row.Int(18);
  a.moved.in_cached_bytes = row.Int(19);
  a.moved.in_micros = row.Int(20);
  a.moved.out_bytes = row.Int(21);
  a.moved.out_micros = row.Int(22);
  a.moved.image_bytes = row.Int(23);
  a.moved.image_micros = row.Int(24);
  return a;
}

Result<EventRecord> EventFromRow(const SqliteQuery& row) {
  EventRecord e;
  e.id = EventId(row.Int(0));
  e.job_id = JobId(row.Int(1));
  e.time = row.Int(2);
  const std::string what = "event " + e.id.ToString();
  SKYRUN_ASSIGN_OR_RETURN(e.from, JobStateAt(row, 3, what));
  SKYRUN_ASSIGN_OR_RETURN(e.to, JobStateAt(row, 4, what));
  e.attempt_no = static_cast<int>(row.Int(5));
  e.reason = row.Text(6);
  return e;
}

TaskRecord TaskFromRow(const SqliteQuery& row) {
  TaskRecord t;
  t.id = TaskId(row.Int(0));
  t.job_id = JobId(row.Int(1));
  t.rank = static_cast<int>(row.Int(2));
  t.role = row.Text(3);
  return t;
}

Result<TokenRecord> TokenFromRow(const SqliteQuery& row) {
  TokenRecord t;
  t.id = TokenId(row.Int(0));
  t.tenant = TenantId(row.Int(1));
  t.tenant_name = row.Text(2);
  std::string role = row.Text(3);
  auto parsed = ParseRole(role);
  if (!parsed) return Internal("token " + t.id.ToString() + " has an unknown role \"" + role + "\"");
  t.role = *parsed;
  t.description = row.Text(4);
  t.created_at = row.Int(5);
  t.prefix = row.Text(6);
  t.expires_at = row.Int(7);
  t.revoked_at = row.Int(8);
  t.last_used_at = row.Int(9);
  return t;
}

std::string FormatGpuIndices(const std::vector<int>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(indices[i]);
  }
  return out;
}

Result<std::vector<int>> ParseGpuIndices(const std::string& text) {
  std::vector<int> out;
  if (text.empty()) return out;
  for (const std::string& part : Split(text, ',')) {
    auto value = ParseInt64(Trim(part));
    if (!value || *value < 0 || *value > 1 << 20) {
      return Internal("malformed GPU index list \"" + text + "\"");
    }
    out.push_back(static_cast<int>(*value));
  }
  return out;
}

int BindAttemptFields(SqliteQuery& query, int first, const AttemptRecord& a) {
  int i = first;
  query.Bind(i++, a.node);
  query.Bind(i++, a.backend);
  query.Bind(i++, FormatGpuIndices(a.gpu_indices));
  query.Bind(i++, a.gpu_milli.raw());
  query.Bind(i++, a.cpus_milli.raw());
  query.Bind(i++, a.memory_mib.raw());
  query.Bind(i++, a.handle);
  query.Bind(i++, RunStateName(a.state));
  query.Bind(i++, a.started_at);
  query.Bind(i++, a.ended_at);
  query.Bind(i++, a.exit_code);
  query.Bind(i++, a.reason);
  query.Bind(i++, a.hourly_price);
  query.Bind(i++, a.cost_usd);
  query.Bind(i++, a.moved.in_bytes);
  query.Bind(i++, a.moved.in_cached_bytes);
  query.Bind(i++, a.moved.in_micros);
  query.Bind(i++, a.moved.out_bytes);
  query.Bind(i++, a.moved.out_micros);
  query.Bind(i++, a.moved.image_bytes);
  query.Bind(i++, a.moved.image_micros);
  return i;
}

}  // namespace skyrun
