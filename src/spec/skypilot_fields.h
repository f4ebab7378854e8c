// SkyPilot's task YAML, read as it is (issue 15): the fields of SkyPilot's
// `resources` that skyrun's own spec spells differently, each mapped onto
// skyrun's meaning or refused with what is not built yet — never accepted
// and ignored. docs/migrating.md tabulates them.
//
//   cloud/region/zone      -> infra "cloud[/region[/zone]]"
//   any_of, candidates     -> infra (places) or accelerators (models): any one
//   ordered                -> the same, tried in order (broker only for now)
//   image_id: docker:IMG   -> the job's image (on Kubernetes a bare image too); VM images refused
//   job_recovery, spot_recovery (FAILOVER, EAGER_NEXT_REGION, NONE) -> recovery
//   labels                 -> the job's labels
//   autostop               -> accepted: a job's nodes are freed when it ends
//   disk_size, disk_tier, network_tier, ports -> refused, with the reason
//
// Called by resource_fields.cc (ReadResources) only. Thread-safety: see FieldReader.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/job_spec.h"
#include "spec/field_reader.h"

namespace skyrun::spec_internal {

// Where a `resources` map is: the job's own, a ps-worker role's, or one
// choice of any_of/ordered. Job-wide SkyPilot fields (image_id, labels,
// job_recovery, ...) belong to the job's resources only.
enum class ResourceScope { kJob, kRole, kChoice };

// The SkyPilot keys ReadResources accepts besides skyrun's own.
const std::vector<std::string>& SkyPilotResourceFields();

// The cloud/region/zone of a resources map, gathered while it is read.
struct CloudPlace {
  std::optional<Field> cloud, region, zone;
  std::optional<Field> image_id;  // read once the cloud is known
};

// Reads one SkyPilot field `f` of a resources map at `scope`. `job` is the
// job being read (never null at kJob). cloud/region/zone are only gathered
// into *place; FinishCloudPlace turns them into infra.
void ReadSkyPilotResourceField(FieldReader& reader, const Field& f, ResourceScope scope, ResourceRequest* out,
                               JobSpec* job, CloudPlace* place);

// cloud[/region[/zone]] -> one infra place, unless `infra` was also given;
// and image_id -> job->image (a bare image is a container on Kubernetes).
void FinishCloudPlace(FieldReader& reader, const CloudPlace& place, bool infra_given, ResourceRequest* out,
                      JobSpec* job);

// A job's recovery strategy as SkyPilot writes it (upper or lower case):
// FAILOVER and EAGER_NEXT_REGION -> failover, NONE -> none.
std::optional<std::string> ReadRecoveryStrategy(FieldReader& reader, const Field& f);

}  // namespace skyrun::spec_internal
