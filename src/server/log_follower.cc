#include "server/log_follower.h"

#include <fstream>

namespace skyrun {

LogFollower::LogFollower(Store* store, Controller* controller, Clock* clock, LogQuery query)
    : store_(store), controller_(controller), clock_(clock), query_(query) {}

void LogFollower::Drain(std::string* out, bool at_end) {
  for (const auto& [rank, path] : paths_) {
    if (query_.rank >= 0 && rank != query_.rank) continue;
    if (path.empty()) continue;
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    in.seekg(offsets_[rank]);
    std::string buf(1 << 20, '\0');
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<size_t>(in.gcount()));
    offsets_[rank] += static_cast<long long>(buf.size());
    std::string& pending = partial_[rank];
    pending += buf;
    std::string prefix = query_.prefix ? "(rank " + std::to_string(rank) + ") " : "";
    size_t start = 0;
    while (true) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      out->append(prefix).append(pending, start, nl - start + 1);
      start = nl + 1;
    }
    pending.erase(0, start);
    if (at_end && !pending.empty()) {
      out->append(prefix).append(pending).append("\n");
      pending.clear();
    }
  }
}

std::string LogFollower::ReadAll() {
  auto job = store_->GetJob(query_.job);
  if (!job.ok()) return "";
  int attempt = query_.attempt_no > 0 ? query_.attempt_no : job->attempt_no;
  if (attempt <= 0) return "";
  auto paths = controller_->LogPaths(query_.job, attempt);
  if (!paths.ok()) return "";
  for (const auto& [rank, path] : *paths) paths_[rank] = path;
  std::string out;
  Drain(&out, /*at_end=*/true);
  return out;
}

bool LogFollower::Next(std::string* out) {
  if (finished_) return false;
  auto job = store_->GetJob(query_.job);
  if (!job.ok()) {
    finished_ = true;
    return false;
  }
  int current = query_.attempt_no > 0 ? query_.attempt_no : job->attempt_no;
  if (current != attempt_ && current > 0) {
    if (attempt_ > 0) {
      Drain(out, /*at_end=*/true);
      out->append("--- attempt " + std::to_string(current) + " ---\n");
    }
    attempt_ = current;
    paths_.clear();
    offsets_.clear();
    partial_.clear();
  }
  // Ask again while a rank has no log yet: a Slurm rank's log appears only
  // once Slurm starts it, and its handle is known only once sbatch answered.
  bool missing = paths_.empty();
  for (const auto& entry : paths_) missing = missing || entry.second.empty();
  if (attempt_ > 0 && missing) {
    auto paths = controller_->LogPaths(query_.job, attempt_);
    if (paths.ok())
      for (const auto& [rank, path] : *paths) paths_[rank] = path;
  }
  bool ended = IsTerminal(job->state) ||
               (query_.attempt_no > 0 && job->attempt_no > query_.attempt_no);
  size_t before = out->size();
  Drain(out, ended);
  if (ended) {
    finished_ = true;
    return false;
  }
  if (out->size() == before) clock_->SleepFor(100 * kMicrosPerMilli);
  return true;
}

}  // namespace skyrun
