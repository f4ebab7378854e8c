// Builds the drivers of every backend named in the server config.
#pragma once

#include <memory>
#include <vector>

#include "common/clock.h"
#include "drivers/driver.h"
#include "server/config.h"

namespace skyrun {

// `images` (may be nullptr: an image then needs local.runtime) is the image
// manager the local pool and simulated clouds pull and run images with.
Result<std::vector<std::unique_ptr<Driver>>> BuildDrivers(const ServerConfig& config,
                                                          const std::string& state_dir, Clock* clock,
                                                          image::ImageManager* images = nullptr);

}  // namespace skyrun
