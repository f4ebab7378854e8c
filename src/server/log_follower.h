// LogFollower: reads a job's task logs for the API, merging ranks line by
// line with a "(rank N) " prefix, and when following, keeps reading until the
// job ends (crossing into new attempts as recovery starts them).
// Thread-safety: one follower per request; not shared.
#pragma once

#include <map>
#include <string>

#include "common/clock.h"
#include "controller/controller.h"
#include "store/store.h"

namespace skyrun {

struct LogQuery {
  JobId job;
  int attempt_no = 0;  // 0 = the current attempt (and, when following, the next ones)
  int rank = -1;       // -1 = all ranks
  bool follow = false;
  bool prefix = true;
};

class LogFollower {
 public:
  LogFollower(Store* store, Controller* controller, Clock* clock, LogQuery query);

  // Everything written so far, once.
  std::string ReadAll();
  // Appends the next chunk to *out (may wait up to ~200 ms for new output);
  // returns false once the job has ended and everything was sent.
  bool Next(std::string* out);

 private:
  // Reads new complete lines of every selected rank; at_end flushes partial lines.
  void Drain(std::string* out, bool at_end);

  Store* store_;
  Controller* controller_;
  Clock* clock_;
  LogQuery query_;
  int attempt_ = -1;                              // attempt being read
  std::map<int, std::string> paths_;              // rank -> log file
  std::map<int, long long> offsets_;              // rank -> bytes consumed
  std::map<int, std::string> partial_;            // rank -> unfinished line
  bool finished_ = false;
  int idle_rounds_ = 0;
};

}  // namespace skyrun
