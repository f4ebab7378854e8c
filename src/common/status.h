// Status and Result<T>: how every fallible function in skyrun reports failure.
//
// A handful of codes, as in LevelDB. "Does not fit" is not an error: the
// scheduler reports it as an outcome. Library exceptions are caught at a
// module's edge and turned into a Status. Thread-safety: plain values.
#pragma once

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace skyrun {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (spec, flag, body)
  kNotFound,         // no such object (or not visible to this tenant)
  kAlreadyExists,
  kFailedPrecondition,  // the object is not in a state that allows this
  kUnauthenticated,     // no or wrong credentials
  kPermissionDenied,    // credentials fine, role insufficient
  kResourceExhausted,   // quota, budget, capacity
  kUnavailable,         // transient: retry may help
  kInternal,            // a bug or an environment failure
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Prepends context: "loading config: " + message.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status AlreadyExists(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status Internal(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) {
      std::cerr << "FATAL: Result constructed from an OK status without a value\n";
      std::abort();
    }
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }

 private:
  T& Checked() const {
    if (!value_) {
      std::cerr << "FATAL: value() on an error Result: " << status_.ToString() << "\n";
      std::abort();
    }
    return const_cast<T&>(*value_);
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace skyrun

// Returns early from the enclosing function with the status if it is not OK.
#define SKYRUN_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::skyrun::Status skyrun_status_ = (expr);        \
    if (!skyrun_status_.ok()) return skyrun_status_; \
  } while (0)

#define SKYRUN_CONCAT_INNER(a, b) a##b
#define SKYRUN_CONCAT(a, b) SKYRUN_CONCAT_INNER(a, b)
// SKYRUN_ASSIGN_OR_RETURN(auto x, Foo()); declares x or returns Foo()'s error.
#define SKYRUN_ASSIGN_OR_RETURN(decl, expr)                  \
  auto SKYRUN_CONCAT(skyrun_result_, __LINE__) = (expr);     \
  if (!SKYRUN_CONCAT(skyrun_result_, __LINE__).ok())         \
    return SKYRUN_CONCAT(skyrun_result_, __LINE__).status(); \
  decl = std::move(SKYRUN_CONCAT(skyrun_result_, __LINE__)).value()
