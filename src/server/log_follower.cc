#include "server/log_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/strings.h"

namespace skyrun {

namespace {

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Reads up to `limit` bytes at `offset`; "" when the file is missing or ends there.
std::string ReadAt(const std::string& path, int64_t offset, int64_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string buf(static_cast<size_t>(limit), '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n =
        ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(offset) + static_cast<off_t>(got));
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  buf.resize(got);
  return buf;
}

// Where the last `lines` lines of the file start (a final newline ends the
// last line rather than starting an empty one).
int64_t TailStart(const std::string& path, int64_t size, int64_t lines) {
  if (lines <= 0) return size;
  constexpr int64_t kBlock = 64 * 1024;
  int64_t end = size;
  int64_t seen = 0;
  bool skip_final_newline = true;
  while (end > 0) {
    int64_t start = std::max<int64_t>(0, end - kBlock);
    std::string block = ReadAt(path, start, end - start);
    if (block.size() != static_cast<size_t>(end - start)) return 0;
    for (int64_t i = static_cast<int64_t>(block.size()) - 1; i >= 0; --i) {
      if (block[static_cast<size_t>(i)] != '\n') {
        skip_final_newline = false;
        continue;
      }
      if (skip_final_newline) {
        skip_final_newline = false;
        continue;
      }
      if (++seen == lines) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

}  // namespace

Result<std::map<int, int64_t>> ParseLogOffsets(const std::string& text) {
  std::map<int, int64_t> out;
  auto bad = [&] {
    return InvalidArgument(
        "?offset= must be a byte count (e.g. offset=1048576) or rank:bytes pairs (e.g. "
        "offset=0:1048576,1:2048), got '" +
        text.substr(0, 64) + "'");
  };
  if (text.find(':') == std::string::npos) {
    auto n = ParseInt64(text);
    if (!n || *n < 0) return bad();
    out[-1] = *n;
    return out;
  }
  for (const auto& part : Split(text, ',')) {
    size_t colon = part.find(':');
    if (colon == std::string::npos) return bad();
    auto rank = ParseInt64(part.substr(0, colon));
    auto bytes = ParseInt64(part.substr(colon + 1));
    if (!rank || !bytes || *rank < 0 || *rank > 1'000'000 || *bytes < 0) return bad();
    out[static_cast<int>(*rank)] = *bytes;
  }
  return out;
}

std::string FormatLogOffsets(const std::map<int, int64_t>& offsets) {
  if (offsets.size() == 1) return std::to_string(offsets.begin()->second);
  std::string out;
  for (const auto& [rank, bytes] : offsets) {
    if (!out.empty()) out += ",";
    out += std::to_string(rank) + ":" + std::to_string(bytes);
  }
  return out;
}

LogFollower::LogFollower(Store* store, Controller* controller, Clock* clock, LogQuery query)
    : store_(store), controller_(controller), clock_(clock), query_(std::move(query)) {}

Status LogFollower::Open() {
  SKYRUN_ASSIGN_OR_RETURN(JobRecord job, store_->GetJob(query_.job));
  int attempt = query_.attempt_no > 0 ? query_.attempt_no : job.attempt_no;
  if (attempt <= 0) return Status::Ok();  // not started yet: nothing, or (following) wait for it
  attempt_ = attempt;
  ResolvePaths();
  return Status::Ok();
}

// Looks up the log of every selected rank that has none yet; a rank whose
// log becomes known starts at its offset, its tail or 0.
void LogFollower::ResolvePaths() {
  bool missing = paths_.empty();
  for (const auto& entry : paths_) missing = missing || entry.second.empty();
  if (!missing) return;
  // A Slurm rank's log appears only once Slurm starts it, and its handle is
  // known only once sbatch answered: ask again while one is missing.
  auto paths = controller_->LogPaths(query_.job, attempt_);
  if (!paths.ok()) return;
  for (const auto& [rank, path] : *paths) {
    if (query_.rank >= 0 && rank != query_.rank) continue;
    if (!paths_[rank].empty() || path.empty()) continue;
    paths_[rank] = path;
    int64_t size = FileSize(path);
    int64_t start = 0;
    if (first_attempt_) {
      if (auto it = query_.offsets.find(rank); it != query_.offsets.end())
        start = it->second;
      else if (auto all = query_.offsets.find(-1); all != query_.offsets.end())
        start = all->second;
      else if (query_.tail_lines)
        start = TailStart(path, size, *query_.tail_lines);
    }
    if (!query_.follow) start = std::min(start, size);
    offsets_[rank] = start;
    end_[rank] = size;
  }
}

bool LogFollower::Drain(std::string* out, bool at_end) {
  bool any = false;
  for (const auto& [rank, path] : paths_) {
    if (path.empty()) continue;
    int64_t& offset = offsets_[rank];
    int64_t limit = kChunkBytes;
    if (!query_.follow) limit = std::min(limit, end_[rank] - offset);
    std::string& pending = partial_[rank];
    if (limit > 0) {
      std::string buf = ReadAt(path, offset, limit);
      offset += static_cast<int64_t>(buf.size());
      any = any || !buf.empty();
      pending += buf;
    }
    std::string prefix = query_.prefix ? "(rank " + std::to_string(rank) + ") " : "";
    size_t start = 0;
    while (true) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      out->append(prefix).append(pending, start, nl - start + 1);
      start = nl + 1;
    }
    pending.erase(0, start);
    // A line longer than a chunk goes out in pieces, so memory stays bounded.
    if (!pending.empty() && (at_end || static_cast<int64_t>(pending.size()) >= kChunkBytes)) {
      out->append(prefix).append(pending);
      // With prefixes every piece is a line of its own; raw output stays byte-exact.
      if (query_.prefix) out->append("\n");
      pending.clear();
    }
  }
  return any;
}

bool LogFollower::Next(std::string* out) {
  if (finished_) return false;
  if (!query_.follow) {
    if (attempt_ > 0 && Drain(out, /*at_end=*/false)) return true;
    if (attempt_ > 0) Drain(out, /*at_end=*/true);
    finished_ = true;
    return false;
  }
  auto job = store_->GetJob(query_.job);
  if (!job.ok()) {
    finished_ = true;
    return false;
  }
  int current = query_.attempt_no > 0 ? query_.attempt_no : job->attempt_no;
  bool ended = IsTerminal(job->state) || (query_.attempt_no > 0 && job->attempt_no > query_.attempt_no);
  if (attempt_ <= 0 && current > 0) attempt_ = current;
  if (attempt_ <= 0) {
    if (ended) {
      finished_ = true;
      return false;
    }
    clock_->SleepFor(200 * kMicrosPerMilli);
    return true;
  }
  ResolvePaths();
  if (ended || current != attempt_) {
    // This attempt is over: send what is left of it, chunk by chunk, to the end.
    if (Drain(out, /*at_end=*/false)) return true;
    Drain(out, /*at_end=*/true);
    if (current == attempt_) {
      finished_ = true;
      return false;
    }
    out->append("--- attempt " + std::to_string(current) + " ---\n");
    attempt_ = current;
    first_attempt_ = false;
    paths_.clear();
    offsets_.clear();
    end_.clear();
    partial_.clear();
    ResolvePaths();
    return true;
  }
  if (!Drain(out, /*at_end=*/false)) clock_->SleepFor(200 * kMicrosPerMilli);
  return true;
}

}  // namespace skyrun
