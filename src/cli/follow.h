// Following a job from the CLI through server restarts: `skyrun logs -f` and
// `skyrun launch` keep going when the server dies and comes back (a restart,
// an upgrade, a crash), retrying with backoff for a while and saying so on
// stderr, then resuming the log after the bytes already printed.
//
// Who calls it: cli/commands.cc (launch, logs -f). Thread-safety: one call at
// a time per ApiClient.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/client.h"
#include "common/status.h"

namespace skyrun {

// How long and how often to retry while the server cannot be reached: waits of
// first_delay_s, doubling up to max_delay_s, until give_up_after_s have passed
// since the server was last seen.
struct RetryPolicy {
  double first_delay_s = 0.5;
  double max_delay_s = 5.0;
  double give_up_after_s = 60.0;

  // The default, with give_up_after_s from SKYRUN_RETRY_SECONDS when set
  // (0 = do not retry). InvalidArgument names the variable when it is not a
  // duration ("90", "90s", "2m").
  static Result<RetryPolicy> FromEnvironment();
  // The wait before retry number n (0-based): first_delay_s * 2^n, capped.
  double DelayBefore(int n) const;
};

// The response header of a log stream from a server that honours ?offset=N:
// the byte offset of the log at which the stream starts (0 on a first
// request). The client sends ?offset= only to a server that sent this header;
// from any other it expects the log from byte 0 and skips what it printed.
inline constexpr const char* kLogOffsetHeader = "X-Skyrun-Log-Offset";

// Writes job `id`'s log to `out` until the job ends (the stream's end and a
// terminal state). `query` is appended to the logs URL ("&rank=1"). A
// transport error or 503 starts an outage: said once on `err`, retried per
// `policy`, and resumed without repeating printed bytes. Other errors (401,
// 404) are returned at once.
Status FollowJobLogs(ApiClient& client, int64_t id, const std::string& query, const RetryPolicy& policy,
                     std::ostream& out, std::ostream& err);

// GET that rides out an outage the same way (launch's placement wait).
Result<nlohmann::json> GetWithRetry(ApiClient& client, const std::string& path, const RetryPolicy& policy,
                                    std::ostream& err);

}  // namespace skyrun
