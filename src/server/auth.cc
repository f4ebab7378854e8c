#include "server/auth.h"

#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace skyrun {

Result<std::string> GenerateToken() {
  unsigned char bytes[20];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal(std::string("cannot read random bytes for a token: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  return "skyrun_" + HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string HashToken(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string TokenPrefix(const std::string& token) {
  return token.substr(0, 15);
}

Result<TokenRecord> Authenticate(Store& store, const std::string& header, Micros now) {
  if (header.empty()) {
    return Unauthenticated("missing bearer token: send 'Authorization: Bearer <token>'");
  }
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || !EqualsIgnoreCase(header.substr(0, prefix.size()), prefix)) {
    return Unauthenticated("the Authorization header must be 'Bearer <token>'");
  }
  std::string token = Trim(header.substr(prefix.size()));
  auto rec = store.LookupToken(HashToken(token));
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) return Unauthenticated("the token is not valid");
    return rec.status();
  }
  if (rec->Revoked()) {
    return Unauthenticated("the token was revoked at " + FormatTimestamp(rec->revoked_at) +
                           "; ask an admin of tenant '" + rec->tenant_name + "' for a new one");
  }
  if (rec->ExpiredAt(now)) {
    return Unauthenticated("the token expired at " + FormatTimestamp(rec->expires_at) +
                           "; ask an admin of tenant '" + rec->tenant_name + "' for a new one");
  }
  return rec;
}

Result<TokenRecord> TokenAuthenticator::Authenticate(const std::string& header) {
  const Micros now = clock_->Now();
  SKYRUN_ASSIGN_OR_RETURN(TokenRecord who, skyrun::Authenticate(*store_, header, now));
  bool due = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = recorded_.emplace(who.id.value(), who.last_used_at).first;
    if (now - it->second >= kTokenUseResolution) {
      it->second = now;
      due = true;
    }
  }
  if (due) {
    Status recorded = store_->RecordTokenUse(who.id, now);
    if (!recorded.ok()) {
      // The request goes on: last use is informative. Try again next time.
      std::lock_guard<std::mutex> lock(mu_);
      recorded_[who.id.value()] = 0;
    }
  }
  return who;
}

}  // namespace skyrun
