// Named volumes at the API (storage/volume_store.h):
//   GET    /v1/volumes          the caller's tenant's volumes, with size, usage and
//                               the claims Kubernetes drivers made for them
//   POST   /v1/volumes          {"name": "data", "size_bytes": 1073741824} (size optional)
//   DELETE /v1/volumes/NAME     removes it and its data; "claims_left" names its
//                               claims, which stay in their clusters
// and the submission check of a spec's `volumes:`. Every call is scoped to
// the token's tenant: another tenant's volume answers 404, as if it did not
// exist, for reading, removing and mounting alike. Viewers may list only.
//
// Who calls it: server.cc (the routes and Submit). Thread-safety: stateless
// functions over the thread-safe VolumeStore.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "model/job_spec.h"
#include "storage/volume_store.h"
#include "store/store.h"

namespace skyrun {

nlohmann::json VolumeToJson(const storage::VolumeInfo& v);

Result<nlohmann::json> ListVolumesAs(const storage::VolumeStore& volumes, const TokenRecord& who);
// 201 body: the new volume. `body` is the request's JSON text.
Result<nlohmann::json> CreateVolumeAs(storage::VolumeStore& volumes, const TokenRecord& who,
                                      const std::string& body);
Result<nlohmann::json> RemoveVolumeAs(storage::VolumeStore& volumes, const TokenRecord& who,
                                      const std::string& name);

// OK when every volume the spec names exists for `tenant_name`; otherwise
// InvalidArgument naming the first missing one. `volumes` nullptr: a spec
// with volumes is refused (this server keeps none).
Status CheckSpecVolumes(const storage::VolumeStore* volumes, const JobSpec& spec,
                        const std::string& tenant_name);

}  // namespace skyrun
