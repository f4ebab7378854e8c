#include "cli/server_url.h"

#include <cctype>

#include "common/strings.h"

namespace skyrun {

namespace {

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

}  // namespace

Result<std::string> NormalizeServerUrl(const std::string& url, const std::string& source) {
  const std::string what = source + " \"" + url + "\"";
  const std::string example = "; expected http://HOST:PORT or https://HOST:PORT, e.g. http://127.0.0.1:8787";
  for (char c : url) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ') {
      return InvalidArgument(what + ": the server URL contains a space or control character" + example);
    }
  }
  std::string scheme = "http";
  std::string rest = url;
  if (size_t sep = url.find("://"); sep != std::string::npos) {
    scheme = ToLower(url.substr(0, sep));
    rest = url.substr(sep + 3);
    if (scheme != "http" && scheme != "https") {
      return InvalidArgument(what + ": the scheme \"" + url.substr(0, sep) +
                             "\" is not supported; the skyrun API speaks http or https" + example);
    }
  }
  // Trailing slashes are harmless; any other path is not (the API lives at the root).
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) {
    return InvalidArgument(what + ": a server URL has no path (the API is served at the root)" + example);
  }
  if (rest.find('@') != std::string::npos) {
    return InvalidArgument(
        what + ": a server URL carries no user name or password (pass a token with --token)" + example);
  }
  std::string host;
  std::string port_text;
  if (!rest.empty() && rest[0] == '[') {  // IPv6 literal: [::1]:8787
    size_t close = rest.find(']');
    if (close == std::string::npos)
      return InvalidArgument(what + ": an IPv6 address lacks its ']'" + example);
    host = rest.substr(0, close + 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return InvalidArgument(what + ": expected ':PORT' after the IPv6 address" + example);
      port_text = after.substr(1);
      if (port_text.empty()) return InvalidArgument(what + ": the port is empty" + example);
    }
    if (host.size() <= 2) return InvalidArgument(what + ": the host is empty" + example);
  } else {
    size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return InvalidArgument(what + ": the port is empty" + example);
    }
    if (host.empty()) return InvalidArgument(what + ": the host is empty" + example);
    for (char c : host) {
      if (!IsHostChar(c)) {
        return InvalidArgument(what + ": the host \"" + host + "\" is not a host name or address" + example);
      }
    }
  }
  if (!port_text.empty()) {
    auto port = ParseInt64(port_text);
    if (!port || port_text[0] == '+' || *port < 1 || *port > 65535) {
      return InvalidArgument(what + ": the port \"" + port_text + "\" is not a number from 1 to 65535" +
                             example);
    }
    return scheme + "://" + host + ":" + std::to_string(*port);
  }
  return scheme + "://" + host;
}

}  // namespace skyrun
