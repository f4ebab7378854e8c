// Token administration through the API: list, revoke, and what a new token
// carries (prefix, expiry). Who may do what:
//   - a platform admin (an admin token of the system tenant) sees and revokes
//     every token;
//   - a tenant admin sees and revokes only its own tenant's tokens (another
//     tenant's token is "not found", as if it did not exist);
//   - members and viewers may do neither (PermissionDenied).
// The last live admin token of the system tenant cannot be revoked: nobody
// could administer the platform after it (the store checks this atomically).
//
// Who calls it: server.cc's routes. Thread-safety: stateless functions over
// the thread-safe Store.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace skyrun {

// The longest expiry a token may be given (ten years).
inline constexpr int64_t kMaxTokenLifetimeSeconds = 3650LL * 24 * 3600;

// A token's record for the API: never its hash. "state" is active, revoked
// or expired at `now`; times are RFC 3339 ("" = never).
nlohmann::json TokenToJson(const TokenRecord& token, Micros now);

// The prefix and expiry of a new token: `expires_in` is "" (never) or a
// duration ("30d", "12h"), counted from `now`, at most ten years.
Result<TokenOptions> NewTokenOptions(const std::string& token, const std::string& expires_in, Micros now);

// GET /v1/admin/tokens[?tenant=NAME]: {"tokens": [...]}.
Result<nlohmann::json> ListTokensAs(Store& store, const TokenRecord& who, const std::string& tenant_filter,
                                    Micros now);

// POST /v1/admin/tokens/ID/revoke: the revoked token's record.
Result<nlohmann::json> RevokeTokenAs(Store& store, const TokenRecord& who, const std::string& id_text,
                                     Micros now);

}  // namespace skyrun
