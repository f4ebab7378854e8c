// TenantSlots: a per-tenant cap on something held for a while (open log
// follows). Acquire hands out a slot that is given back when its last copy
// is destroyed, so a stream that ends in any way (done, client gone, server
// stopping) frees its slot.
// Called by the API server's handlers. Thread-safety: thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace skyrun {

class TenantSlots {
 public:
  explicit TenantSlots(int per_tenant) : per_tenant_(per_tenant) {}

  int per_tenant() const { return per_tenant_; }

  // A slot, or nullptr when the tenant holds per_tenant() already.
  std::shared_ptr<void> TryAcquire(const std::string& tenant) {
    std::lock_guard<std::mutex> lock(state_->mu);
    int& held = state_->held[tenant];
    if (held >= per_tenant_) return nullptr;
    ++held;
    std::shared_ptr<State> state = state_;
    // A non-null token: callers test the pointer for "got a slot".
    return std::shared_ptr<char>(new char(0), [state, tenant](char* token) {
      delete token;
      std::lock_guard<std::mutex> lock(state->mu);
      if (--state->held[tenant] == 0) state->held.erase(tenant);
    });
  }

  int held(const std::string& tenant) const {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->held.find(tenant);
    return it == state_->held.end() ? 0 : it->second;
  }

 private:
  struct State {
    std::mutex mu;
    std::map<std::string, int> held;
  };
  int per_tenant_;
  // Shared with the slots, which may outlive this object in a closing stream.
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace skyrun
