// Images at the API (tenant-scoped; image/image_manager.h):
//   POST /v1/images/pull   {"ref": REF}  pulls now; the image and what it fetched
//   GET  /v1/images                      the tenant's images and pulls in progress
//   POST /v1/images/rm     {"ref": REF}  forgets one of the tenant's images
//   POST /v1/images/prune                forgets all of them
// Who calls it: server.cc (the routes). Thread-safety: stateless functions
// over the thread-safe ImageManager.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "image/image_manager.h"

namespace skyrun {

// The {"ref": "..."} body of pull and rm; what is wrong with it otherwise.
Result<std::string> ParseImageRefBody(const std::string& body);
nlohmann::json PullResultToJson(const image::PullResult& pulled);
nlohmann::json ImagesToJson(const image::ImageManager& images, const std::string& tenant);

}  // namespace skyrun
