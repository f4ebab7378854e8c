// Network helpers: the few socket calls skyrun makes outside the HTTP library.
// Thread-safety: thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace skyrun {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
Result<int> PickFreeTcpPort();

}  // namespace skyrun
