// LogFollower: reads a job's task logs for the API, every byte, in bounded
// chunks (at most kChunkBytes per rank per call), merging ranks line by line
// with a "(rank N) " prefix. Without follow it serves each rank's log up to
// its size when the request came (so the response can say where to resume);
// with follow it keeps reading until the job ends, then drains every log to
// its end, crossing into new attempts as recovery starts them.
//
// Positions: `offset` and `tail` select where each rank's reading starts;
// offsets are bytes of the rank's log file (not of the prefixed output).
// Thread-safety: one follower per request; not shared.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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
  std::map<int, int64_t> offsets;     // rank -> byte to start from (-1 key: every rank)
  std::optional<int64_t> tail_lines;  // start at the last N lines of each rank
};

// Parses `offset=`: "B" (every selected rank) or "R:B,R:B".
Result<std::map<int, int64_t>> ParseLogOffsets(const std::string& text);
// The inverse, for the X-Skyrun-Next-Offset header: "B" when one rank, else "R:B,...".
std::string FormatLogOffsets(const std::map<int, int64_t>& offsets);

class LogFollower {
 public:
  static constexpr int64_t kChunkBytes = 1 << 20;

  LogFollower(Store* store, Controller* controller, Clock* clock, LogQuery query);

  // Resolves the attempt and its logs, and the start and (without follow) end
  // of each rank. Call once before Next.
  Status Open();
  // Where each rank's reading ends without follow (the next offsets).
  const std::map<int, int64_t>& end_offsets() const { return end_; }
  int attempt() const { return attempt_; }

  // Appends the next chunk to *out (when following, may wait ~200 ms for new
  // output); returns false once everything was sent.
  bool Next(std::string* out);

 private:
  // Reads up to kChunkBytes of each selected rank (up to its end without
  // follow); emits complete lines, and partial ones too at_end. Returns true
  // if any bytes were read.
  bool Drain(std::string* out, bool at_end);
  void ResolvePaths();
  void StartRanks();

  Store* store_;
  Controller* controller_;
  Clock* clock_;
  LogQuery query_;
  int attempt_ = -1;                    // attempt being read
  bool first_attempt_ = true;           // offsets and tail apply to the first attempt read
  std::map<int, std::string> paths_;    // rank -> log file
  std::map<int, int64_t> offsets_;      // rank -> bytes consumed
  std::map<int, int64_t> end_;          // rank -> where reading stops (without follow)
  std::map<int, std::string> partial_;  // rank -> unfinished line
  bool finished_ = false;
};

}  // namespace skyrun
