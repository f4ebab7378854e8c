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

Result<TokenRecord> Authenticate(Store& store, const std::string& header) {
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
  return rec;
}

}  // namespace skyrun
