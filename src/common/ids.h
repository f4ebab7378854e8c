// Typed ids: a JobId never passes for an AttemptId. Values are the integers
// the state store assigns (0 = unset). Nodes have no id of this kind: a node
// is named by its backend ("slurm/hpc1/node3") and indexed by the scheduler's
// fleet (scheduler/fleet.h's NodeIndex). Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace skyrun {

template <typename Tag>
class TypedId {
 public:
  constexpr TypedId() = default;
  constexpr explicit TypedId(int64_t value) : value_(value) {}
  constexpr int64_t value() const { return value_; }
  constexpr bool valid() const { return value_ > 0; }
  std::string ToString() const { return std::to_string(value_); }
  friend constexpr bool operator==(TypedId a, TypedId b) { return a.value_ == b.value_; }
  friend constexpr auto operator<=>(TypedId a, TypedId b) { return a.value_ <=> b.value_; }

 private:
  int64_t value_ = 0;
};

using JobId = TypedId<struct JobIdTag>;
using TaskId = TypedId<struct TaskIdTag>;
using AttemptId = TypedId<struct AttemptIdTag>;
using EventId = TypedId<struct EventIdTag>;
using TenantId = TypedId<struct TenantIdTag>;
using TokenId = TypedId<struct TokenIdTag>;

}  // namespace skyrun

template <typename Tag>
struct std::hash<skyrun::TypedId<Tag>> {
  size_t operator()(skyrun::TypedId<Tag> id) const noexcept { return std::hash<int64_t>()(id.value()); }
};
