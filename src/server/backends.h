// Builds the drivers of every backend named in the server config.
#pragma once

#include <memory>
#include <vector>

#include "common/clock.h"
#include "drivers/driver.h"
#include "server/config.h"

namespace skyrun {

Result<std::vector<std::unique_ptr<Driver>>> BuildDrivers(const ServerConfig& config,
                                                          const std::string& state_dir, Clock* clock);

}  // namespace skyrun
