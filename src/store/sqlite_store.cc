// SqliteStore: opening the database, and jobs (records, tasks, attempts,
// events). Tenants, tokens and nodes are in sqlite_store_accounts.cc.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/schema.h"
#include "store/store_rows.h"

namespace skyrun {

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxIdleReaders = 8;
// New WAL pages (4 KiB) that wake the checkpointer (SQLite's autocheckpoint
// default), and the WAL size (16 MiB) at which the writer checkpoints inline
// so that the log restarts (see checkpointer.h).
constexpr int kCheckpointSoftPages = 1000;
constexpr int kCheckpointHardPages = 4000;
// A spec asking for more tasks than this is a mistake, not a job.
constexpr int kMaxTasksPerJob = 100000;

const char* const kSelectJobs = "FROM jobs j LEFT JOIN tenants t ON t.id = j.tenant_id";
const char* const kTerminalStates = "('SUCCEEDED', 'FAILED', 'CANCELLED')";

// Makes a new directory entry durable: fsync of the directory holding it.
void SyncDir(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: SQLite syncs its own files and their directory
  (void)::fsync(fd);
  ::close(fd);
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Creates `dir` and its missing parents with mode 0700.
Status MakeStateDir(const std::string& dir) {
  const std::string what = "creating the state directory " + dir;
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      SyncDir(ParentOf(prefix));
    } else if (errno != EEXIST) {
      return FailedPrecondition(what + ": " + prefix + ": " + std::strerror(errno) +
                                "; check the path and its permissions, or choose another state directory");
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition(what + ": it exists and is not a directory; choose another state directory");
  }
  return Status::Ok();
}

bool LooksDamaged(SqliteDb& db) {
  int rc = sqlite3_extended_errcode(db.raw()) & 0xff;
  return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

Status DamagedFile(const std::string& path, const Status& cause) {
  return FailedPrecondition("opening the state database " + path + ": " + cause.message() +
                            ": the file is damaged or is not a skyrun state database; move it aside "
                            "(restore a backup if you have one) and start skyrun again");
}

Status ConfigureWriter(SqliteDb& db) {
  sqlite3_busy_timeout(db.raw(), kBusyTimeoutMs);
  SKYRUN_ASSIGN_OR_RETURN(std::string mode, db.QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return FailedPrecondition("the state database " + db.path() +
                              " cannot use write-ahead logging (journal mode \"" + mode +
                              "\"); put the state directory on a local file system");
  }
  // FULL: the WAL is fsynced at every commit, so an acknowledged write
  // survives power loss, not only a crash of the process.
  return db.Exec(
      "PRAGMA synchronous = FULL;"
      "PRAGMA foreign_keys = ON;"
      "PRAGMA journal_size_limit = 67108864;");
}

Result<std::unique_ptr<SqliteDb>> OpenReader(const std::string& path) {
  SKYRUN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, /*create=*/false));
  sqlite3_busy_timeout(db->raw(), kBusyTimeoutMs);
  SKYRUN_RETURN_IF_ERROR(db->Exec("PRAGMA query_only = ON"));
  return db;
}

// Every table the current schema has; a database at a known version that
// lacks one is not a skyrun database (or was damaged).
Status CheckTables(SqliteDb& db) {
  SKYRUN_ASSIGN_OR_RETURN(
      int64_t tables, db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                                  "('tenants', 'tokens', 'jobs', 'tasks', 'attempts', 'events', 'nodes')"));
  if (tables != 7) {
    return FailedPrecondition("the state database " + db.path() +
                              " lacks some of skyrun's tables: it is not a skyrun state database, or it "
                              "was damaged; move it aside (restore a backup if you have one) and start "
                              "skyrun again");
  }
  return Status::Ok();
}

// The role of each rank: ps-worker ranks take their roles' names in order.
std::vector<std::string> TaskRoles(const JobSpec& spec, int num_tasks) {
  std::vector<std::string> roles(static_cast<size_t>(num_tasks));
  if (spec.mode != JobMode::kPsWorker) return roles;
  size_t rank = 0;
  for (const Role& role : spec.roles) {
    for (int i = 0; i < role.count && rank < roles.size(); ++i) roles[rank++] = role.name;
  }
  return roles;
}

// The state a job is in, for refusals; NotFound when there is no such job.
Result<JobState> CurrentState(SqliteDb& db, JobId id) {
  SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, db.Prepare("SELECT state FROM jobs WHERE id = ?"));
  query.Bind(1, id.value());
  SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return NotFound("job " + id.ToString() + " not found");
  auto state = ParseJobState(query.Text(0));
  if (!state) return Internal("job " + id.ToString() + " has an unknown state \"" + query.Text(0) + "\"");
  return *state;
}

Status InsertAttempt(SqliteDb& db, JobId job, const AttemptRecord& a) {
  SKYRUN_ASSIGN_OR_RETURN(
      SqliteQuery insert,
      db.Prepare(std::string("INSERT INTO attempts (job_id, attempt_no, rank, ") + kAttemptMutableColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, job.value()).Bind(2, a.attempt_no).Bind(3, a.rank);
  BindAttemptFields(insert, 4, a);
  return insert.Run();
}

// Updates one attempt by id (and job, when `job` is valid).
Status UpdateAttempt(SqliteDb& db, JobId job, const AttemptRecord& a) {
  SKYRUN_ASSIGN_OR_RETURN(
      SqliteQuery update,
      db.Prepare("UPDATE attempts SET node = ?1, backend = ?2, gpu_indices = ?3, gpu_milli = ?4, "
                 "cpus_milli = ?5, memory_mib = ?6, handle = ?7, state = ?8, started_at = ?9, "
                 "ended_at = ?10, exit_code = ?11, reason = ?12, hourly_price = ?13, cost_usd = ?14, "
                 "in_bytes = ?15, in_cached_bytes = ?16, in_micros = ?17, out_bytes = ?18, out_micros = ?19, "
                 "image_bytes = ?20, image_micros = ?21 "
                 "WHERE id = ?22 AND (?23 = 0 OR job_id = ?23)"));
  int next = BindAttemptFields(update, 1, a);
  update.Bind(next, a.id.value()).Bind(next + 1, job.value());
  SKYRUN_RETURN_IF_ERROR(update.Run());
  if (db.Changes() == 0) {
    return NotFound("attempt " + a.id.ToString() + (job.valid() ? " of job " + job.ToString() : "") +
                    " not found");
  }
  return Status::Ok();
}

}  // namespace

Status WithOperation(const Status& status, const std::string& operation) {
  switch (status.code()) {
    case StatusCode::kInternal:
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted: return status.WithContext(operation);
    default: return status;
  }
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& state_dir, Clock* clock,
                                                       SpecDecoder decoder) {
  if (clock == nullptr) return InvalidArgument("opening the state store: no clock given");
  if (state_dir.empty()) {
    return InvalidArgument("opening the state store: the state directory is empty; name one");
  }
  SKYRUN_RETURN_IF_ERROR(MakeStateDir(state_dir));
  const std::string path = state_dir + "/state.db";
  const std::string what = "opening the state database " + path;

  struct stat st;
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed && !S_ISREG(st.st_mode)) {
    return FailedPrecondition(what + ": it is not a regular file; move it aside");
  }
  auto opened = SqliteDb::Open(path, /*create=*/true);
  if (!opened.ok()) {
    return Status(opened.status().code(), what + ": " + opened.status().message() +
                                              "; check that the state directory is writable by this user");
  }
  std::unique_ptr<SqliteDb> writer = std::move(opened).value();
  // Token hashes and specs live here: readable by the server's user only
  // (SQLite gives the -wal and -shm files the same mode).
  if (!existed) {
    ::chmod(path.c_str(), 0600);
    SyncDir(state_dir);
  }

  Status status = ConfigureWriter(*writer);
  // A database that claims a skyrun version must hold skyrun's tables before
  // later steps alter them.
  if (status.ok()) {
    auto version = writer->QueryInt("PRAGMA user_version");
    if (!version.ok())
      status = version.status();
    else if (*version >= 1 && *version <= LatestSchemaVersion())
      status = CheckTables(*writer);
  }
  if (status.ok()) status = MigrateSchema(*writer, StoreMigrations());
  if (status.ok()) status = CheckTables(*writer);
  if (!status.ok()) {
    if (LooksDamaged(*writer)) return DamagedFile(path, status);
    if (status.code() == StatusCode::kFailedPrecondition) return status;
    return status.WithContext(what);
  }

  auto readers = std::make_unique<ReadPool>([path] { return OpenReader(path); }, kMaxIdleReaders);
  {
    // Fail now, not at the first read, if a reader cannot open the file.
    auto lease = readers->Acquire();
    if (!lease.ok()) return lease.status().WithContext(what + " for reading");
  }
  auto checkpoint_db = SqliteDb::Open(path, /*create=*/false);
  if (!checkpoint_db.ok()) return checkpoint_db.status().WithContext(what + " for checkpoints");
  // FULL here too: a checkpoint must reach the disk before the WAL restarts.
  status = (*checkpoint_db)->Exec("PRAGMA synchronous = FULL");
  if (!status.ok()) return status.WithContext(what + " for checkpoints");
  auto checkpointer = std::make_unique<Checkpointer>(std::move(checkpoint_db).value(), kCheckpointSoftPages,
                                                     kCheckpointHardPages);
  checkpointer->InstallOn(*writer);
  auto committer = std::make_unique<GroupCommitter>(std::move(writer));
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      path, clock, std::move(decoder), std::move(checkpointer), std::move(committer), std::move(readers)));
}

SqliteStore::SqliteStore(std::string db_path, Clock* clock, SpecDecoder decoder,
                         std::unique_ptr<Checkpointer> checkpointer,
                         std::unique_ptr<GroupCommitter> committer, std::unique_ptr<ReadPool> readers)
    : db_path_(std::move(db_path)),
      clock_(clock),
      decoder_(std::move(decoder)),
      checkpointer_(std::move(checkpointer)),
      committer_(std::move(committer)),
      readers_(std::move(readers)) {}

SqliteStore::~SqliteStore() = default;

Status SqliteStore::Write(const std::string& operation, const GroupCommitter::Work& work) {
  return committer_->Run(operation, [&](SqliteDb& db) { return WithOperation(work(db), operation); });
}

Status SqliteStore::DecodeSpec(JobRecord* job) const {
  if (!decoder_) return Status::Ok();
  auto spec = decoder_(job->spec_yaml, job->spec_file);
  if (!spec.ok()) {
    return Internal("decoding the stored spec of job " + job->id.ToString() +
                    (job->spec_file.empty() ? "" : " (" + job->spec_file + ")") + ": " +
                    spec.status().message());
  }
  job->spec = std::move(spec).value();
  return Status::Ok();
}

// ----------------------------------------------------------------------- jobs

Result<JobId> SqliteStore::CreateJob(const JobRecord& job) {
  const std::string operation = "storing job";
  const int num_tasks = job.spec.TaskCount();
  if (num_tasks < 1 || num_tasks > kMaxTasksPerJob) {
    return InvalidArgument(operation + ": the job has " + std::to_string(num_tasks) +
                           " tasks; a job needs between 1 and " + std::to_string(kMaxTasksPerJob) +
                           " (num_nodes, or the roles' counts)");
  }
  const std::string& name = job.name.empty() ? job.spec.name : job.name;
  const std::string& queue = job.queue.empty() ? job.spec.queue : job.queue;
  const int priority = job.priority != 0 ? job.priority : job.spec.priority;
  const std::string reason = job.reason.empty() ? "submitted" : job.reason;
  const std::vector<std::string> roles = TaskRoles(job.spec, num_tasks);
  const Micros now = clock_->Now();

  JobId id;
  Status status = Write(operation, [&](SqliteDb& db) -> Status {
    if (job.tenant.valid()) {
      SKYRUN_ASSIGN_OR_RETURN(SqliteQuery tenant, db.Prepare("SELECT 1 FROM tenants WHERE id = ?"));
      tenant.Bind(1, job.tenant.value());
      SKYRUN_ASSIGN_OR_RETURN(bool found, tenant.Step());
      if (!found) return NotFound(operation + ": tenant " + job.tenant.ToString() + " not found");
    }
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery insert,
        db.Prepare("INSERT INTO jobs (tenant_id, name, queue, priority, state, reason, spec_yaml, "
                   "spec_file, num_tasks, submitted_at, updated_at, upload) "
                   "VALUES (?, ?, ?, ?, 'SUBMITTED', ?, ?, ?, ?, ?, ?, ?)"));
    if (job.tenant.valid()) {
      insert.Bind(1, job.tenant.value());
    } else {
      insert.BindNull(1);
    }
    insert.Bind(2, name).Bind(3, queue).Bind(4, priority).Bind(5, reason).Bind(6, job.spec_yaml);
    insert.Bind(7, job.spec_file).Bind(8, num_tasks).Bind(9, now).Bind(10, now).Bind(11, job.upload);
    SKYRUN_RETURN_IF_ERROR(insert.Run());
    const int64_t job_id = db.LastInsertRowId();

    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery task,
                            db.Prepare("INSERT INTO tasks (job_id, rank, role) VALUES (?, ?, ?)"));
    for (int rank = 0; rank < num_tasks; ++rank) {
      task.Bind(1, job_id).Bind(2, rank).Bind(3, roles[static_cast<size_t>(rank)]);
      SKYRUN_RETURN_IF_ERROR(task.Run());
      task.Reset();
    }
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery event,
        db.Prepare("INSERT INTO events (job_id, time, from_state, to_state, attempt_no, reason) "
                   "VALUES (?, ?, 'SUBMITTED', 'SUBMITTED', 0, ?)"));
    event.Bind(1, job_id).Bind(2, now).Bind(3, reason);
    SKYRUN_RETURN_IF_ERROR(event.Run());
    id = JobId(job_id);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return id;
}

Result<JobRecord> SqliteStore::GetJob(JobId id) {
  auto job = Read<JobRecord>("reading job " + id.ToString(), [&](SqliteDb& db) -> Result<JobRecord> {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, db.Prepare(std::string("SELECT ") + kJobColumns + " " +
                                                          kSelectJobs + " WHERE j.id = ?"));
    query.Bind(1, id.value());
    SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return NotFound("job " + id.ToString() + " not found");
    return JobFromRow(query);
  });
  if (!job.ok()) return job;
  SKYRUN_RETURN_IF_ERROR(DecodeSpec(&job.value()));
  return job;
}

Result<std::vector<JobRecord>> SqliteStore::ListJobs(const JobFilter& filter) {
  if (filter.limit < 0) return InvalidArgument("listing jobs: the limit must be 0 (none) or more");
  std::string sql = std::string("SELECT ") + kJobColumns + " " + kSelectJobs + " WHERE 1";
  if (filter.tenant) sql += " AND j.tenant_id = ?";
  if (!filter.states.empty()) {
    sql += " AND j.state IN (";
    for (size_t i = 0; i < filter.states.size(); ++i) sql += i == 0 ? "?" : ", ?";
    sql += ")";
  }
  // Spelled as in the jobs_live partial index, so that SQLite can use it.
  if (filter.live_only) sql += std::string(" AND j.state NOT IN ") + kTerminalStates;
  sql += filter.limit > 0 ? " ORDER BY j.id DESC LIMIT ?" : " ORDER BY j.id";

  auto jobs =
      Read<std::vector<JobRecord>>("listing jobs", [&](SqliteDb& db) -> Result<std::vector<JobRecord>> {
        SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, db.Prepare(sql));
        int index = 1;
        if (filter.tenant) query.Bind(index++, filter.tenant->value());
        for (JobState state : filter.states) query.Bind(index++, JobStateName(state));
        if (filter.limit > 0) query.Bind(index++, filter.limit);
        std::vector<JobRecord> out;
        while (true) {
          SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
          if (!row) break;
          SKYRUN_ASSIGN_OR_RETURN(JobRecord job, JobFromRow(query));
          out.push_back(std::move(job));
        }
        return out;
      });
  if (!jobs.ok()) return jobs;
  for (JobRecord& job : jobs.value()) SKYRUN_RETURN_IF_ERROR(DecodeSpec(&job));
  return jobs;
}

Status SqliteStore::ApplyTransition(const Transition& t) {
  const std::string operation =
      "moving job " + t.job.ToString() + " from " + JobStateName(t.from) + " to " + JobStateName(t.to);
  if (!CanTransition(t.from, t.to)) {
    return FailedPrecondition(operation + ": not an allowed transition" +
                              (IsTerminal(t.from) ? std::string(" (the job has finished)") : std::string()));
  }
  for (const AttemptRecord& a : t.new_attempts) {
    if (a.job_id.valid() && a.job_id != t.job) {
      return InvalidArgument(operation + ": a new attempt names job " + a.job_id.ToString());
    }
  }
  for (const AttemptRecord& a : t.updated_attempts) {
    if (!a.id.valid()) return InvalidArgument(operation + ": an updated attempt has no id");
  }
  const Micros now = clock_->Now();

  return Write(operation, [&](SqliteDb& db) -> Status {
    // Compare-and-set: only a job still in `from` moves.
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery update,
        db.Prepare("UPDATE jobs SET state = ?1, reason = ?2, updated_at = ?3, "
                   "started_at = CASE WHEN ?1 = 'RUNNING' AND started_at = 0 THEN ?3 ELSE started_at END, "
                   "finished_at = CASE WHEN ?4 THEN ?3 ELSE finished_at END, "
                   "attempt_no = COALESCE(?5, attempt_no), restarts = COALESCE(?6, restarts), "
                   "placement = COALESCE(?7, placement), cost_usd = cost_usd + ?8 "
                   "WHERE id = ?9 AND state = ?10"));
    update.Bind(1, JobStateName(t.to)).Bind(2, t.reason).Bind(3, now).Bind(4, IsTerminal(t.to) ? 1 : 0);
    update.Bind(5, t.attempt_no).Bind(6, t.restarts).Bind(7, t.placement);
    update.Bind(8, t.add_cost_usd.value_or(0.0)).Bind(9, t.job.value()).Bind(10, JobStateName(t.from));
    SKYRUN_RETURN_IF_ERROR(update.Run());
    if (db.Changes() == 0) {
      SKYRUN_ASSIGN_OR_RETURN(JobState current, CurrentState(db, t.job));
      return FailedPrecondition(operation + ": the job is " + JobStateName(current) + ", not " +
                                JobStateName(t.from) + " (another writer moved it first)");
    }
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery event,
        db.Prepare("INSERT INTO events (job_id, time, from_state, to_state, attempt_no, reason) "
                   "SELECT id, ?, ?, ?, attempt_no, ? FROM jobs WHERE id = ?"));
    event.Bind(1, now).Bind(2, JobStateName(t.from)).Bind(3, JobStateName(t.to)).Bind(4, t.reason);
    event.Bind(5, t.job.value());
    SKYRUN_RETURN_IF_ERROR(event.Run());
    for (const AttemptRecord& a : t.new_attempts) SKYRUN_RETURN_IF_ERROR(InsertAttempt(db, t.job, a));
    for (const AttemptRecord& a : t.updated_attempts) SKYRUN_RETURN_IF_ERROR(UpdateAttempt(db, t.job, a));
    return Status::Ok();
  });
}

Status SqliteStore::RequestCancel(JobId id) {
  const std::string operation = "requesting cancellation of job " + id.ToString();
  const Micros now = clock_->Now();
  return Write(operation, [&](SqliteDb& db) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SqliteQuery update,
                            db.Prepare(std::string("UPDATE jobs SET cancel_requested = 1, updated_at = ? "
                                                   "WHERE id = ? AND state NOT IN ") +
                                       kTerminalStates));
    update.Bind(1, now).Bind(2, id.value());
    SKYRUN_RETURN_IF_ERROR(update.Run());
    if (db.Changes() > 0) return Status::Ok();
    SKYRUN_ASSIGN_OR_RETURN(JobState current, CurrentState(db, id));
    return FailedPrecondition("job " + id.ToString() + " has already finished (" + JobStateName(current) +
                              "); there is nothing to cancel");
  });
}

Status SqliteStore::UpdateAttempts(const std::vector<AttemptRecord>& attempts) {
  for (const AttemptRecord& a : attempts) {
    if (!a.id.valid()) return InvalidArgument("updating attempts: an attempt has no id");
  }
  return Write("updating attempts", [&](SqliteDb& db) -> Status {
    for (const AttemptRecord& a : attempts) SKYRUN_RETURN_IF_ERROR(UpdateAttempt(db, a.job_id, a));
    return Status::Ok();
  });
}

Result<std::vector<TaskRecord>> SqliteStore::ListTasks(JobId id) {
  return Read<std::vector<TaskRecord>>(
      "listing tasks of job " + id.ToString(), [&](SqliteDb& db) -> Result<std::vector<TaskRecord>> {
        SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, db.Prepare(std::string("SELECT ") + kTaskColumns +
                                                              " FROM tasks WHERE job_id = ? ORDER BY rank"));
        query.Bind(1, id.value());
        std::vector<TaskRecord> out;
        while (true) {
          SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
          if (!row) return out;
          out.push_back(TaskFromRow(query));
        }
      });
}

Result<std::vector<AttemptRecord>> SqliteStore::ListAttempts(JobId id) {
  return Read<std::vector<AttemptRecord>>(
      "listing attempts of job " + id.ToString(), [&](SqliteDb& db) -> Result<std::vector<AttemptRecord>> {
        SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query,
                                db.Prepare(std::string("SELECT ") + kAttemptColumns +
                                           " FROM attempts WHERE job_id = ? ORDER BY attempt_no, rank, id"));
        query.Bind(1, id.value());
        std::vector<AttemptRecord> out;
        while (true) {
          SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
          if (!row) return out;
          SKYRUN_ASSIGN_OR_RETURN(AttemptRecord attempt, AttemptFromRow(query));
          out.push_back(std::move(attempt));
        }
      });
}

Result<std::vector<EventRecord>> SqliteStore::ListEvents(JobId id) {
  return Read<std::vector<EventRecord>>(
      "listing events of job " + id.ToString(), [&](SqliteDb& db) -> Result<std::vector<EventRecord>> {
        SKYRUN_ASSIGN_OR_RETURN(SqliteQuery query, db.Prepare(std::string("SELECT ") + kEventColumns +
                                                              " FROM events WHERE job_id = ? ORDER BY id"));
        query.Bind(1, id.value());
        std::vector<EventRecord> out;
        while (true) {
          SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
          if (!row) return out;
          SKYRUN_ASSIGN_OR_RETURN(EventRecord event, EventFromRow(query));
          out.push_back(std::move(event));
        }
      });
}

Result<std::vector<std::pair<JobState, int64_t>>> SqliteStore::CountJobsByState() {
  return CountJobs(std::nullopt);
}

Result<std::vector<std::pair<JobState, int64_t>>> SqliteStore::CountTenantJobsByState(TenantId tenant) {
  return CountJobs(tenant);
}

Result<std::vector<std::pair<JobState, int64_t>>> SqliteStore::CountJobs(std::optional<TenantId> tenant) {
  using Counts = std::vector<std::pair<JobState, int64_t>>;
  return Read<Counts>("counting jobs by state", [&](SqliteDb& db) -> Result<Counts> {
    Counts counts;
    for (JobState state :
         {JobState::kSubmitted, JobState::kQueued, JobState::kScheduled, JobState::kRunning,
          JobState::kRecovering, JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
      counts.emplace_back(state, 0);
    }
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery query,
        db.Prepare(tenant ? "SELECT state, count(*) FROM jobs WHERE tenant_id = ? GROUP BY state"
                          : "SELECT state, count(*) FROM jobs GROUP BY state"));
    if (tenant) query.Bind(1, tenant->value());
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) return counts;
      auto state = ParseJobState(query.Text(0));
      if (!state) return Internal("jobs in an unknown state \"" + query.Text(0) + "\"");
      for (auto& [s, n] : counts) {
        if (s == *state) n = query.Int(1);
      }
    }
  });
}

Result<std::vector<std::pair<int64_t, std::string>>> SqliteStore::ListLiveUploads() {
  using Live = std::vector<std::pair<int64_t, std::string>>;
  return Read<Live>("listing the uploads of live jobs", [&](SqliteDb& db) -> Result<Live> {
    SKYRUN_ASSIGN_OR_RETURN(
        SqliteQuery query,
        db.Prepare("SELECT DISTINCT coalesce(tenant_id, 0), upload FROM jobs WHERE upload != '' "
                   "AND state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')"));
    Live live;
    while (true) {
      SKYRUN_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) return live;
      live.emplace_back(query.Int(0), query.Text(1));
    }
  });
}

}  // namespace skyrun
