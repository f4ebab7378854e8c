// Bearer tokens: generated from the kernel's random source, shown once, and
// stored only as their SHA-256 hash. The server resolves a request's
// Authorization header to the token's tenant and role; revoked and expired
// tokens are refused.
// Thread-safety: thread-safe (the Store is).
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "store/store.h"

namespace skyrun {

// "skyrun_" followed by 40 hex characters (160 random bits).
Result<std::string> GenerateToken();
// Lowercase hex SHA-256 of the token: what the store keeps.
std::string HashToken(const std::string& token);

// What the store keeps to identify a token to people: "skyrun_" and the first
// 8 hex characters (32 of the 160 random bits; the other 128 stay secret).
std::string TokenPrefix(const std::string& token);

// "Bearer X" -> the token record, or Unauthenticated with why: missing,
// malformed, unknown, revoked (and when) or expired (and when). The message is
// about the presented token only; it never tells anything of other tokens.
Result<TokenRecord> Authenticate(Store& store, const std::string& authorization_header, Micros now);

// The tenant whose admins administer the whole platform.
inline constexpr const char* kSystemTenant = "default";

inline bool IsPlatformAdmin(const TokenRecord& who) {
  return who.role == AccessRole::kAdmin && who.tenant_name == kSystemTenant;
}

// How stale a token's last_used_at may be: the server writes a token's use at
// most this often, so that authentication costs no durable write per request.
inline constexpr Micros kTokenUseResolution = 60 * kMicrosPerSecond;

// Authenticate, plus the bookkeeping of last use (at most one store write per
// token per kTokenUseResolution; the write happens on the request that finds
// the recorded time stale, and a failed write only delays the record).
// Thread-safety: thread-safe.
class TokenAuthenticator {
 public:
  TokenAuthenticator(Store* store, Clock* clock) : store_(store), clock_(clock) {}
  Result<TokenRecord> Authenticate(const std::string& authorization_header);

 private:
  Store* store_;
  Clock* clock_;
  std::mutex mu_;
  std::unordered_map<int64_t, Micros> recorded_;  // token id -> last use written (guarded by mu_)
};

}  // namespace skyrun
