// Resource quantities: integers in fixed units (milli-CPU, MiB, milli-GPU), with
// explicit construction and checked arithmetic. No floating point in fit
// decisions. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

#include "common/check.h"

namespace skyrun {

template <typename Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(int64_t raw) : raw_(raw) {}
  constexpr int64_t raw() const { return raw_; }
  constexpr bool IsZero() const { return raw_ == 0; }
  constexpr bool IsPositive() const { return raw_ > 0; }

  Quantity operator+(Quantity o) const {
    int64_t r;
    SKYRUN_CHECK(!__builtin_add_overflow(raw_, o.raw_, &r));
    return Quantity(r);
  }
  Quantity operator-(Quantity o) const {
    int64_t r;
    SKYRUN_CHECK(!__builtin_sub_overflow(raw_, o.raw_, &r));
    return Quantity(r);
  }
  Quantity operator*(int64_t k) const {
    int64_t r;
    SKYRUN_CHECK(!__builtin_mul_overflow(raw_, k, &r));
    return Quantity(r);
  }
  friend Quantity operator*(int64_t k, Quantity q) { return q * k; }
  Quantity operator-() const { return Quantity() - *this; }
  // Integer division, for an even split (a multi-GPU share per device).
  Quantity operator/(int64_t k) const {
    SKYRUN_CHECK(k != 0);
    return Quantity(raw_ / k);
  }
  Quantity& operator+=(Quantity o) { return *this = *this + o; }
  Quantity& operator-=(Quantity o) { return *this = *this - o; }
  friend constexpr bool operator==(Quantity a, Quantity b) { return a.raw_ == b.raw_; }
  friend constexpr auto operator<=>(Quantity a, Quantity b) { return a.raw_ <=> b.raw_; }

 private:
  int64_t raw_ = 0;
};

using MilliCpu = Quantity<struct MilliCpuTag>;    // 1000 = one CPU
using MemoryMiB = Quantity<struct MemoryMiBTag>;  // mebibytes
using MilliGpu = Quantity<struct MilliGpuTag>;    // 1000 = one whole GPU

constexpr int64_t kMilliPerUnit = 1000;

// JSON (found by argument-dependent lookup, so this header needs no JSON
// library): a quantity is written and read as its raw integer.
template <typename Json, typename Tag>
void to_json(Json& j, Quantity<Tag> q) {
  j = q.raw();
}
template <typename Json, typename Tag>
void from_json(const Json& j, Quantity<Tag>& q) {
  q = Quantity<Tag>(j.template get<int64_t>());
}

// "8" -> 8000 milli-CPU; for display, 8500 -> "8.5".
std::string FormatMilli(int64_t milli);
inline std::string FormatMilli(MilliCpu q) {
  return FormatMilli(q.raw());
}
inline std::string FormatMilli(MilliGpu q) {
  return FormatMilli(q.raw());
}

}  // namespace skyrun
