#include "drivers/slurm/squeue_json.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace skyrun {
namespace {

using Json = nlohmann::json;

// A number as 22.05 prints it (42) or as later releases do
// ({"set": true, "infinite": false, "number": 42}); nullopt when unset.
std::optional<int64_t> Number(const Json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_unsigned()) return static_cast<int64_t>(j.get<uint64_t>());
  if (j.is_object()) {
    if (j.value("set", true) == false || j.value("infinite", false)) return std::nullopt;
    auto n = j.find("number");
    if (n != j.end()) return Number(*n);
  }
  return std::nullopt;
}

std::string Text(const Json& job, const char* key) {
  auto it = job.find(key);
  return it != job.end() && it->is_string() ? it->get<std::string>() : "";
}

// "RUNNING" (22.05) or ["RUNNING", "COMPLETING"] (later: the base state first).
std::string State(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_array() && !j.empty() && j.front().is_string()) return j.front().get<std::string>();
  return "";
}

void ExitCode(const Json& j, SlurmJobInfo* job) {
  if (j.is_object()) {
    if (auto code = Number(j.value("return_code", Json()))) job->exit_code = static_cast<int>(*code);
    const Json signal = j.value("signal", Json());
    // {"id": N} (23.11+), {"signal_id": N} (23.02), or a bare number.
    const Json id = signal.is_object()
                        ? (signal.contains("id") ? signal["id"] : signal.value("signal_id", Json()))
                        : signal;
    if (auto sig = Number(id)) {
      if (*sig != 0) job->exit_signal = static_cast<int>(*sig);
    }
    return;
  }
  // The wait status: code in the high byte, the signal in the low seven bits.
  if (auto status = Number(j)) {
    job->exit_code = static_cast<int>((*status >> 8) & 0xff);
    if ((*status & 0x7f) != 0) job->exit_signal = static_cast<int>(*status & 0x7f);
  }
}

Micros Seconds(const Json& j) {
  auto s = Number(j);
  return s && *s > 0 ? *s * kMicrosPerSecond : 0;
}

}  // namespace

Result<std::map<std::string, SlurmJobInfo>> ParseSqueueJson(const std::string& text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("jobs") || !doc["jobs"].is_array()) {
    return InvalidArgument("squeue --json printed no job list: '" + Trim(text).substr(0, 120) + "'");
  }
  if (auto errors = doc.find("errors"); errors != doc.end() && errors->is_array() && !errors->empty()) {
    return InvalidArgument("squeue --json reported: " + errors->front().dump().substr(0, 200));
  }
  std::map<std::string, SlurmJobInfo> jobs;
  for (const Json& j : doc["jobs"]) {
    if (!j.is_object()) continue;
    auto id = Number(j.value("job_id", Json()));
    if (!id) continue;
    SlurmJobInfo job;
    job.job_id = std::to_string(*id);
    job.name = Text(j, "name");
    job.state = State(j.value("job_state", Json()));
    if (job.state.empty()) {
      return InvalidArgument("squeue --json: job " + job.job_id + " has no job_state");
    }
    job.reason = Text(j, "state_reason");
    if (job.reason == "None") job.reason.clear();
    job.node_list = Text(j, "nodes");
    job.batch_host = Text(j, "batch_host");
    ExitCode(j.value("exit_code", Json()), &job);
    job.start_time = Seconds(j.value("start_time", Json()));
    job.end_time = Seconds(j.value("end_time", Json()));
    DropEstimatedTimes(&job);
    jobs[job.job_id] = std::move(job);
  }
  return jobs;
}

}  // namespace skyrun
