// The server URL a person gives the CLI (--server, SKYRUN_SERVER), checked
// before any request: http or https, a host, a port in range, nothing else.
// Without this, `--server ftp://h:1` became "http://ftp://h:1" and the error
// blamed the network.
//
// Who calls it: ApiClient::Create. Thread-safety: a pure function.
#pragma once

#include <string>

#include "common/status.h"

namespace skyrun {

// "h:8787" -> "http://h:8787"; "https://h/" -> "https://h". `source` names
// where the URL came from ("--server", "SKYRUN_SERVER") for the message.
// InvalidArgument says what is wrong and what a valid one looks like.
Result<std::string> NormalizeServerUrl(const std::string& url, const std::string& source);

}  // namespace skyrun
