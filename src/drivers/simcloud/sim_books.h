// A SimCloud's books on disk, so that a server restart continues the cloud
// where it was rather than starting it afresh: when the simulation started
// (spot price series and recorded preemptions count from it), every instance
// with its offer, times and what was logged of it, the event log, the
// configured refusals used, the price points logged. Billing is derived from
// these (SimCloud::Billing), so a restarted cloud bills every second once.
//
// The file is JSON, written whole to FILE.tmp, fsynced and renamed over FILE
// (a crash leaves the old or the new books, never half of one).
//
// Callers: sim_cloud.cc (after each change; at Create). Thread-safety: pure
// functions; the caller serializes writes to one file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/capacity.h"

namespace skyrun {

struct SimHeldInstance {
  Instance inst;
  bool ready_logged = false;
  bool notice_logged = false;
  bool end_logged = false;
};

struct SimBooks {
  Micros start = 0;
  std::vector<SimHeldInstance> held;  // in provision order
  std::vector<CapacityEvent> events;  // seq = index + 1
  std::vector<int64_t> refusals;      // per config errors entry
  std::vector<bool> price_points_logged;
};

std::string SimBooksToJson(const SimBooks& books);
// InvalidArgument naming what is wrong for a file that is not books.
Result<SimBooks> SimBooksFromJson(const std::string& text);

// Atomic write (FILE.tmp, fsync, rename); creates the directory.
Status SaveSimBooks(const std::string& path, const SimBooks& books);
// nullopt when the file does not exist (a cloud never started with it).
Result<std::optional<SimBooks>> LoadSimBooks(const std::string& path);

}  // namespace skyrun
