#include "server/token_admin.h"

#include "common/strings.h"
#include "server/auth.h"

namespace skyrun {

namespace {

std::string TimeOrEmpty(Micros t) {
  return t == 0 ? "" : FormatTimestamp(t);
}

// The tenant whose tokens `who` administers: unset = every tenant.
Result<std::optional<TenantId>> AdministeredTenant(const TokenRecord& who, const std::string& action) {
  if (IsPlatformAdmin(who)) return std::optional<TenantId>();
  if (who.role == AccessRole::kAdmin) return std::optional<TenantId>(who.tenant);
  return PermissionDenied("only an admin can " + action + " (this token is a " + RoleName(who.role) +
                          " of tenant '" + who.tenant_name + "')");
}

}  // namespace

nlohmann::json TokenToJson(const TokenRecord& token, Micros now) {
  std::string state = token.Revoked() ? "revoked" : token.ExpiredAt(now) ? "expired" : "active";
  return {{"id", token.id.value()},
          {"prefix", token.prefix},
          {"tenant", token.tenant_name},
          {"role", RoleName(token.role)},
          {"description", token.description},
          {"created_at", TimeOrEmpty(token.created_at)},
          {"last_used_at", TimeOrEmpty(token.last_used_at)},
          {"expires_at", TimeOrEmpty(token.expires_at)},
          {"revoked_at", TimeOrEmpty(token.revoked_at)},
          {"state", state}};
}

Result<TokenOptions> NewTokenOptions(const std::string& token, const std::string& expires_in, Micros now) {
  TokenOptions options;
  options.prefix = TokenPrefix(token);
  if (expires_in.empty()) return options;
  auto seconds = ParseDurationSeconds(expires_in);
  if (!seconds.ok()) return InvalidArgument("expires_in: " + seconds.status().message());
  if (*seconds <= 0) return InvalidArgument("expires_in: a token must live for at least a second");
  if (*seconds > kMaxTokenLifetimeSeconds) {
    return InvalidArgument("expires_in: '" + expires_in + "' is longer than ten years (3650d)");
  }
  options.expires_at = now + *seconds * kMicrosPerSecond;
  return options;
}

Result<nlohmann::json> ListTokensAs(Store& store, const TokenRecord& who, const std::string& tenant_filter,
                                    Micros now) {
  SKYRUN_ASSIGN_OR_RETURN(std::optional<TenantId> scope, AdministeredTenant(who, "list tokens"));
  if (!tenant_filter.empty()) {
    if (scope && tenant_filter != who.tenant_name) {
      return PermissionDenied("an admin of tenant '" + who.tenant_name + "' lists only its own tokens");
    }
    SKYRUN_ASSIGN_OR_RETURN(TenantRecord tenant, store.GetTenantByName(tenant_filter));
    scope = tenant.id;
  }
  SKYRUN_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, store.ListTokens(scope));
  nlohmann::json out = nlohmann::json::array();
  for (const TokenRecord& t : tokens) out.push_back(TokenToJson(t, now));
  return nlohmann::json{{"tokens", out}};
}

Result<nlohmann::json> RevokeTokenAs(Store& store, const TokenRecord& who, const std::string& id_text,
                                     Micros now) {
  SKYRUN_ASSIGN_OR_RETURN(std::optional<TenantId> scope, AdministeredTenant(who, "revoke tokens"));
  Status not_found = NotFound("token " + id_text + " not found");
  auto id = ParseInt64(id_text);
  if (!id || *id <= 0) return not_found;
  if (scope) {
    // A tenant admin may not learn whether another tenant's token exists.
    SKYRUN_ASSIGN_OR_RETURN(std::vector<TokenRecord> own, store.ListTokens(scope));
    bool mine = false;
    for (const TokenRecord& t : own) mine = mine || t.id.value() == *id;
    if (!mine) return not_found;
  }
  SKYRUN_ASSIGN_OR_RETURN(TenantRecord system, store.GetTenantByName(kSystemTenant));
  auto revoked = store.RevokeToken(TokenId(*id), system.id);
  if (!revoked.ok()) return revoked.status().code() == StatusCode::kNotFound ? not_found : revoked.status();
  return TokenToJson(*revoked, now);
}

}  // namespace skyrun
