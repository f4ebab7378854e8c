#include "controller/backend_worker.h"

#include <chrono>

namespace skyrun {

namespace {

struct InventoryRequest {};
struct PollRequest {
  std::vector<std::string> handles;
};
struct LaunchRequest {
  AttemptLaunch launch;
  std::shared_ptr<const JobSpec> spec;
};
struct CancelRequest {
  JobId job;
  int rank = 0;
  std::string handle;
};
using Request = std::variant<InventoryRequest, PollRequest, LaunchRequest, CancelRequest>;

}  // namespace

struct BackendWorker::State {
  std::mutex mu;
  std::condition_variable cv;  // a request arrived, or stop
  std::condition_variable idle_cv;
  std::condition_variable exited_cv;
  std::deque<Request> requests;
  std::vector<BackendEvent> events;
  bool busy = false;  // a request is running
  bool inventory_asked = false;
  bool poll_asked = false;
  bool stop = false;
  bool exited = false;
  std::function<void()> on_event;
};

namespace {

BackendEvent Serve(Driver* driver, Request& req) {
  if (std::holds_alternative<InventoryRequest>(req)) {
    InventoryAnswer a;
    a.nodes = driver->Inventory();
    return a;
  }
  if (auto* p = std::get_if<PollRequest>(&req)) {
    PollAnswer a;
    a.states = driver->PollMany(p->handles);
    a.handles = std::move(p->handles);
    a.states.resize(a.handles.size());  // a driver that answered short: the rest stay PENDING
    return a;
  }
  if (auto* l = std::get_if<LaunchRequest>(&req)) {
    LaunchAnswer a;
    a.job = l->launch.job_id;
    a.attempt_no = l->launch.attempt_no;
    l->launch.spec = l->spec.get();
    a.handles = driver->Launch(l->launch);
    return a;
  }
  auto& c = std::get<CancelRequest>(req);
  CancelAnswer a;
  a.job = c.job;
  a.rank = c.rank;
  a.handle = c.handle;
  a.status = driver->Cancel(c.handle);
  return a;
}

}  // namespace

void BackendWorker::Run(Driver* driver, std::shared_ptr<State> st) {
  std::unique_lock<std::mutex> lock(st->mu);
  while (true) {
    st->cv.wait(lock, [&] { return st->stop || !st->requests.empty(); });
    if (st->stop) break;
    Request req = std::move(st->requests.front());
    st->requests.pop_front();
    st->busy = true;
    lock.unlock();
    BackendEvent ev = Serve(driver, req);
    lock.lock();
    if (std::holds_alternative<InventoryAnswer>(ev)) st->inventory_asked = false;
    if (std::holds_alternative<PollAnswer>(ev)) st->poll_asked = false;
    st->events.push_back(std::move(ev));
    auto on_event = st->on_event;
    lock.unlock();
    if (on_event) on_event();
    lock.lock();
    // Idle only after the callback: whoever waited for idle sees its effect.
    st->busy = false;
    if (st->requests.empty()) st->idle_cv.notify_all();
  }
  st->exited = true;
  st->exited_cv.notify_all();
  st->idle_cv.notify_all();
}

BackendWorker::BackendWorker(Driver* driver, std::function<void()> on_event)
    : driver_(driver), state_(std::make_shared<State>()) {
  state_->on_event = std::move(on_event);
  thread_ = std::thread(Run, driver, state_);
}

BackendWorker::~BackendWorker() {
  Stop(5 * kMicrosPerSecond);
}

bool BackendWorker::RequestInventory() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->inventory_asked || state_->stop) return false;
    state_->inventory_asked = true;
    state_->requests.push_back(InventoryRequest{});
  }
  state_->cv.notify_one();
  return true;
}

bool BackendWorker::RequestPoll(std::vector<std::string> handles) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->poll_asked || state_->stop) return false;
    state_->poll_asked = true;
    state_->requests.push_back(PollRequest{std::move(handles)});
  }
  state_->cv.notify_one();
  return true;
}

void BackendWorker::RequestLaunch(AttemptLaunch launch, std::shared_ptr<const JobSpec> spec) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->requests.push_back(LaunchRequest{std::move(launch), std::move(spec)});
  }
  state_->cv.notify_one();
}

void BackendWorker::RequestCancel(JobId job, int rank, std::string handle) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->requests.push_back(CancelRequest{job, rank, std::move(handle)});
  }
  state_->cv.notify_one();
}

bool BackendWorker::InventoryInFlight() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->inventory_asked;
}

bool BackendWorker::PollInFlight() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->poll_asked;
}

std::vector<BackendEvent> BackendWorker::TakeEvents() {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<BackendEvent> out;
  out.swap(state_->events);
  return out;
}

bool BackendWorker::WaitIdle(Micros timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->idle_cv.wait_for(lock, std::chrono::microseconds(timeout), [&] {
    return state_->exited || (state_->requests.empty() && !state_->busy);
  });
}

bool BackendWorker::Stop(Micros wait) {
  if (!thread_.joinable()) return true;
  bool ended;
  {
    std::unique_lock<std::mutex> lock(state_->mu);
    state_->stop = true;
    state_->on_event = nullptr;  // the controller may be gone by the time a stuck call returns
    state_->cv.notify_all();
    ended = state_->exited_cv.wait_for(lock, std::chrono::microseconds(wait), [&] { return state_->exited; });
  }
  if (ended) {
    thread_.join();
  } else {
    thread_.detach();
  }
  return ended;
}

}  // namespace skyrun
