// Bearer tokens: generated from the kernel's random source, shown once, and
// stored only as their SHA-256 hash. The server resolves a request's
// Authorization header to the token's tenant and role.
// Thread-safety: thread-safe (the Store is).
#pragma once

#include <string>

#include "common/status.h"
#include "store/store.h"

namespace skyrun {

// "skyrun_" followed by 40 hex characters (160 random bits).
Result<std::string> GenerateToken();
// Lowercase hex SHA-256 of the token: what the store keeps.
std::string HashToken(const std::string& token);

// "Bearer X" -> the token record, or Unauthenticated with why.
Result<TokenRecord> Authenticate(Store& store, const std::string& authorization_header);

// The tenant whose admins administer the whole platform.
inline constexpr const char* kSystemTenant = "default";

}  // namespace skyrun
