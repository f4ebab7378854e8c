#include "cli/follow.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "common/strings.h"

namespace skyrun {

Result<RetryPolicy> RetryPolicy::FromEnvironment() {
  RetryPolicy policy;
  const char* env = std::getenv("SKYRUN_RETRY_SECONDS");
  if (env != nullptr && *env != '\0') {
    auto seconds = ParseDurationSeconds(env);
    if (!seconds.ok()) {
      return InvalidArgument("SKYRUN_RETRY_SECONDS=\"" + std::string(env) +
                             "\": " + seconds.status().message());
    }
    policy.give_up_after_s = static_cast<double>(*seconds);
  }
  return policy;
}

double RetryPolicy::DelayBefore(int n) const {
  double delay = first_delay_s * std::pow(2.0, std::min(n, 30));
  return std::min(delay, max_delay_s);
}

namespace {

bool IsTerminalState(const nlohmann::json& job) {
  std::string state = job.value("state", "");
  return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED";
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s == std::floor(s) ? "%.0f s" : "%.1f s", s);
  return buf;
}

// One outage of the server as the client sees it: said once, retried with
// backoff, given up after the policy's time since the server was last seen.
class Outage {
 public:
  Outage(ApiClient& client, const RetryPolicy& policy, std::ostream& err, std::string doing)
      : client_(client), policy_(policy), err_(err), doing_(std::move(doing)) {}

  // After a failure that a restart of the server would explain: false when it
  // is not worth retrying (policy, or time is up); else waits and returns true.
  bool WaitBeforeRetry(const Status& failure) {
    if (failure.code() != StatusCode::kUnavailable || policy_.give_up_after_s <= 0) return false;
    auto now = std::chrono::steady_clock::now();
    if (retries_ == 0) {
      started_ = now;
      err_ << "skyrun: lost the server at " << client_.server() << " while " << doing_ << " ("
           << failure.message() << "); retrying for up to " << Seconds(policy_.give_up_after_s)
           << " (SKYRUN_RETRY_SECONDS)\n"
           << std::flush;
    }
    double waited = std::chrono::duration<double>(now - started_).count();
    if (waited >= policy_.give_up_after_s) return false;
    double delay = std::min(policy_.DelayBefore(retries_), policy_.give_up_after_s - waited);
    ++retries_;
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    return true;
  }

  // The server answered: the outage (if any) is over.
  void Recovered() {
    if (retries_ == 0) return;
    err_ << "skyrun: the server at " << client_.server() << " is back; " << doing_ << " again\n"
         << std::flush;
    retries_ = 0;
  }

  Status GiveUp(const Status& failure) const {
    if (retries_ == 0) return failure;
    return Unavailable("gave up after " + Seconds(policy_.give_up_after_s) + " without the server (" +
                       failure.message() + ")");
  }

 private:
  ApiClient& client_;
  const RetryPolicy& policy_;
  std::ostream& err_;
  std::string doing_;
  int retries_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

Result<nlohmann::json> GetWithRetry(ApiClient& client, const std::string& path, const RetryPolicy& policy,
                                    std::ostream& err) {
  Outage outage(client, policy, err, "reading " + path);
  while (true) {
    auto got = client.Get(path);
    if (got.ok()) {
      outage.Recovered();
      return got;
    }
    if (!outage.WaitBeforeRetry(got.status())) return outage.GiveUp(got.status());
  }
}

Status FollowJobLogs(ApiClient& client, int64_t id, const std::string& query, const RetryPolicy& policy,
                     std::ostream& out, std::ostream& err) {
  const std::string job_path = "/v1/jobs/" + std::to_string(id);
  Outage outage(client, policy, err, "following job " + std::to_string(id));
  int64_t printed = 0;  // bytes of this follow written to `out`
  // Whether the server said it honours ?offset= (kLogOffsetHeader). Until it
  // does, none is sent: a server that ignored it would start at byte 0 while
  // one that honoured it silently would not, and only the header tells them
  // apart. Either way the bytes before `printed` are skipped here.
  bool server_takes_offset = false;
  while (true) {
    std::string path = job_path + "/logs?follow=true" + query;
    if (printed > 0 && server_takes_offset) path += "&offset=" + std::to_string(printed);
    // Bytes of this stream that were printed before (a server that does not
    // honour ?offset= starts again at byte 0).
    int64_t skip = 0;
    Status streamed = client.Stream(
        path,
        [&](const char* data, size_t n) {
          size_t drop = static_cast<size_t>(std::min<int64_t>(skip, static_cast<int64_t>(n)));
          skip -= static_cast<int64_t>(drop);
          if (n > drop) {
            out.write(data + drop, static_cast<std::streamsize>(n - drop));
            out.flush();
            printed += static_cast<int64_t>(n - drop);
          }
          return true;
        },
        [&](const StreamResponse& response) {
          if (response.status >= 300) return;
          outage.Recovered();
          int64_t start = 0;
          if (auto h = response.headers.find(ToLower(kLogOffsetHeader)); h != response.headers.end()) {
            start = ParseInt64(h->second).value_or(0);
            server_takes_offset = true;
          }
          skip = std::max<int64_t>(0, printed - start);
        });
    if (!streamed.ok()) {
      if (outage.WaitBeforeRetry(streamed)) continue;
      Status gave_up = outage.GiveUp(streamed);
      if (gave_up.code() != StatusCode::kUnavailable) return gave_up;
      return Unavailable(gave_up.message() + "; job " + std::to_string(id) +
                         " may still be running: follow it again with `skyrun logs " + std::to_string(id) +
                         " -f` once the server is back");
    }
    // The stream ended: normally because the job did, but a server that stops
    // (SIGTERM) ends it early too. The job's state may trail the stream's end
    // by a moment; give it a few seconds before resuming the follow.
    for (int i = 0; i < 10; ++i) {
      SKYRUN_ASSIGN_OR_RETURN(nlohmann::json job, GetWithRetry(client, job_path, policy, err));
      if (IsTerminalState(job)) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

}  // namespace skyrun
