// BackendWorker: the one thread that talks to one backend. The controller's
// cycle never calls a driver's slow methods itself (Inventory, Poll, Launch,
// Cancel run subprocesses: sinfo, squeue, sbatch, kubectl, each with a
// timeout of seconds); it asks its backend's worker and reads the answers at
// its next cycle as events. A backend that hangs delays only its own jobs:
// the cycle, the other backends and the API go on.
//
// Requests run in the order asked, one at a time; an inventory or a poll is
// asked at most once while one is waiting or running (a second ask is
// dropped), so a slow backend's queue does not grow with the cycles.
//
// Callers: the controller (all methods) under its cycle lock; the worker's
// thread calls the driver and `on_event` (which must not take that lock).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "drivers/driver.h"

namespace skyrun {

struct InventoryAnswer {
  Result<std::vector<Node>> nodes = std::vector<Node>{};
};
struct PollAnswer {
  std::vector<std::string> handles;
  std::vector<TaskStatus> states;  // by handle
};
struct LaunchAnswer {
  JobId job;
  int attempt_no = 0;
  Result<std::vector<std::string>> handles = std::vector<std::string>{};
};
struct CancelAnswer {
  JobId job;
  int rank = 0;
  std::string handle;
  Status status;
};
using BackendEvent = std::variant<InventoryAnswer, PollAnswer, LaunchAnswer, CancelAnswer>;

class BackendWorker {
 public:
  // Starts the thread. `driver` must outlive the worker's thread (see Stop).
  // `on_event` is called (on the worker's thread) after each answer is queued.
  BackendWorker(Driver* driver, std::function<void()> on_event);
  ~BackendWorker();
  BackendWorker(const BackendWorker&) = delete;
  BackendWorker& operator=(const BackendWorker&) = delete;

  Driver* driver() const { return driver_; }

  // False when one is already waiting or running (nothing is queued then).
  bool RequestInventory();
  bool RequestPoll(std::vector<std::string> handles);
  // The launch owns its copy of the spec: the job may change or end meanwhile.
  void RequestLaunch(AttemptLaunch launch, std::shared_ptr<const JobSpec> spec);
  void RequestCancel(JobId job, int rank, std::string handle);

  bool InventoryInFlight() const;
  bool PollInFlight() const;

  // The answers that arrived since the last call, in order.
  std::vector<BackendEvent> TakeEvents();
  // Waits until every request asked so far is answered (true), or `timeout`
  // passes (false). For Start() and tests.
  bool WaitIdle(Micros timeout);
  // Asks the thread to finish and waits up to `wait` for it. A thread stuck
  // in a driver call past that is detached (it ends when the call returns,
  // within the driver's own command timeout) so that shutdown never hangs.
  // True when the thread ended in time.
  bool Stop(Micros wait);

 private:
  struct State;
  static void Run(Driver* driver, std::shared_ptr<State> state);
  Driver* driver_;
  std::shared_ptr<State> state_;  // shared with the thread, which may outlive this object (Stop)
  std::thread thread_;
};

}  // namespace skyrun
