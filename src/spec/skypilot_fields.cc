#include "spec/skypilot_fields.h"

#include <algorithm>
#include <set>

#include "common/strings.h"
#include "spec/job_fields.h"
#include "spec/resource_fields.h"

namespace skyrun::spec_internal {
namespace {

const std::vector<std::string> kFields = {
    "cloud", "region",   "zone",   "image_id", "disk_size",  "disk_tier",    "network_tier", "labels",
    "ports", "autostop", "any_of", "ordered",  "candidates", "job_recovery", "spot_recovery"};

// Keys that describe the whole job, not one choice among places or GPUs.
const std::set<std::string> kJobWide = {"labels", "autostop", "job_recovery", "spot_recovery",
                                        "any_of", "ordered",  "candidates"};

const std::vector<std::string> kRecoveryFields = {"strategy", "max_restarts_on_errors",
                                                  "recover_on_exit_codes", "restart_on_errors"};

// `bare_is_container`: on Kubernetes SkyPilot takes an image_id without
// "docker:" as a container image too.
void ReadImageId(FieldReader& reader, const Field& f, bool bare_is_container, JobSpec* job) {
  constexpr const char* kVmImages =
      "VM images (AMIs, GCP and Azure images) are chosen when the broker provisions VMs, which is not built "
      "yet; run in a container with image_id: docker:IMAGE";
  if (!f.value.IsScalar()) {
    reader.Problem(f, std::string(kVmImages) + ", got " + Describe(f.value));
    return;
  }
  auto text = reader.NonEmptyString(f, "docker:IMAGE, such as docker:pytorch/pytorch:2.3.0-cuda12.1");
  if (!text) return;
  std::string trimmed = Trim(*text);
  bool docker = trimmed.rfind("docker:", 0) == 0;
  if (!docker && !bare_is_container) {
    reader.Problem(f, std::string(kVmImages) + ", got " + Quote(trimmed));
    return;
  }
  auto image = ValidImageName(reader, f, Trim(docker ? trimmed.substr(7) : trimmed));
  if (image) job->image = *image;
}

void ReadLabels(FieldReader& reader, const Field& f, JobSpec* job) {
  auto entries = reader.Entries(f, "a map of labels such as {team: research}");
  if (!entries) return;
  for (const auto& e : *entries) {
    if (Trim(e.key).empty() || !reader.CheckText(e.key_pos, e.path, e.key, TextKind::kLine)) {
      if (Trim(e.key).empty()) reader.Problem(e.key_pos, f.path, "a label name is empty");
      continue;
    }
    if (e.IsNull()) {
      job->labels[e.key] = "";
      continue;
    }
    if (auto v = reader.String(e, "a label value such as research")) job->labels[e.key] = *v;
  }
}

// autostop: true, an idle time (10, "10m") or {idle_minutes, down, ...}.
// skyrun frees a job's nodes as soon as its run ends, which is what every
// one of these asks for; only `false` (keep the nodes) cannot be honoured.
void ReadAutostop(FieldReader& reader, const Field& f) {
  if (f.value.IsMap()) {
    auto fields = reader.Fields(f, {"idle_minutes", "down", "wait_for", "hook", "hook_timeout"},
                                "a map such as {idle_minutes: 10, down: true}");
    if (!fields) return;
    for (const auto& g : *fields) {
      if (g.key != "down") continue;
      if (auto down = reader.Bool(g); down && !*down)
        reader.Problem(g,
                       "skyrun frees a job's nodes when its run ends and cannot keep them stopped; "
                       "leave down out");
    }
    return;
  }
  if (f.value.IsScalar()) {
    std::string v = ToLower(Trim(f.value.Scalar()));
    if (v == "false" || v == "no" || v == "off") {
      reader.Problem(f,
                     "skyrun frees a job's nodes when its run ends and cannot keep them up; leave "
                     "autostop out");
    }
    return;
  }
  reader.Problem(f, "expected true, an idle time such as 10m, or a map, got " + Describe(f.value));
}

void NotBuilt(FieldReader& reader, const Field& f, const std::string& message) {
  reader.Problem(f.key_pos, f.path, message);
}

// any_of / candidates / ordered: a list of partial resources. skyrun keeps a
// set of places and a set of GPU models, not pairs of them; so the choices
// may differ in their places or in their GPUs, not in both.
void ReadChoices(FieldReader& reader, const Field& f, bool ordered, ResourceRequest* out, JobSpec* job) {
  auto items = reader.List(f, "a list of resources such as [{infra: aws}, {infra: gcp}]", false);
  if (!items) return;
  std::vector<ResourceRequest> choices;
  size_t problems_before = reader.problem_count();
  for (const auto& item : *items) {
    if (item.IsNull() || !item.value.IsMap()) {
      reader.Problem(item, "expected a map of resources such as {infra: aws}, got " + Describe(item.value));
      continue;
    }
    ResourceRequest choice;
    choice.cpus_milli = out->cpus_milli;
    choice.cpus_exact = out->cpus_exact;
    choice.memory_mib = out->memory_mib;
    choice.memory_exact = out->memory_exact;
    ReadResources(reader, item, &choice, ResourceScope::kChoice, job);
    if (choice.cpus_milli != out->cpus_milli || choice.memory_mib != out->memory_mib ||
        choice.use_spot != out->use_spot || !choice.requirements.empty() || !choice.rank.empty()) {
      reader.Problem(item,
                     "a choice may name places (infra, cloud, region, zone) and GPUs (accelerators) only; "
                     "give cpus, memory and the rest once, outside " +
                         f.key);
    }
    choices.push_back(std::move(choice));
  }
  if (reader.problem_count() != problems_before || choices.empty()) return;
  bool same_places = true, same_gpus = true;
  for (const auto& c : choices) {
    same_places = same_places && c.infra == choices.front().infra;
    same_gpus = same_gpus && c.accelerators == choices.front().accelerators;
  }
  if (!same_places && !same_gpus) {
    reader.Problem(f,
                   "these choices pair places with GPUs; skyrun keeps a set of places and a set of GPUs, "
                   "not pairs of them: let the choices differ in places only or in GPUs only");
    return;
  }
  bool anywhere = false;
  std::vector<std::string> places;
  std::vector<std::string> models;
  std::map<std::string, int> gpus;
  for (const auto& c : choices) {
    if (c.infra.empty()) anywhere = true;
    for (const auto& p : c.infra)
      if (std::find(places.begin(), places.end(), p) == places.end()) places.push_back(p);
    for (const auto& model : c.accelerator_order.empty() ? std::vector<std::string>{} : c.accelerator_order)
      if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
    for (const auto& [model, count] : c.accelerators) {
      if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
      auto [it, inserted] = gpus.emplace(model, count);
      if (!inserted && it->second != count) {
        reader.Problem(f, model + " is asked for with two counts (" + std::to_string(it->second) + " and " +
                              std::to_string(count) + "); skyrun takes one count per GPU model: keep one");
        return;
      }
    }
  }
  if (!out->infra.empty() && !same_places) {
    reader.Problem(f, "infra is given both here and in the choices; give the places in one of them");
    return;
  }
  if (!out->accelerators.empty() && !same_gpus) {
    reader.Problem(f, "accelerators are given both here and in the choices; give them in one of them");
    return;
  }
  if (!anywhere && !places.empty()) out->infra = places;
  if (!gpus.empty()) {
    out->accelerators = gpus;
    out->accelerator_order = models;
    for (const auto& c : choices)
      if (c.gpu_milli.IsPositive()) out->gpu_milli = c.gpu_milli;
  }
  if (ordered) {
    if (!reader.broker_fields()) {
      NotBuilt(reader, f,
               "a preference order is weighed by the broker's planner (skyrun plan) only; placement at "
               "submission takes the first that fits of any: write any_of instead");
      return;
    }
    out->infra_ordered = true;
  }
}

void ReadJobRecovery(FieldReader& reader, const Field& f, JobSpec* job) {
  if (f.value.IsScalar()) {
    if (auto s = ReadRecoveryStrategy(reader, f)) job->recovery.strategy = *s;
    return;
  }
  auto fields =
      reader.Fields(f, kRecoveryFields, "a strategy such as FAILOVER, or {strategy: FAILOVER, ...}");
  if (!fields) return;
  for (const auto& g : *fields) {
    if (g.key == "strategy") {
      if (auto s = ReadRecoveryStrategy(reader, g)) job->recovery.strategy = *s;
    } else if (g.key == "max_restarts_on_errors" || g.key == "restart_on_errors") {
      if (auto v = reader.Int(g, 0, 100)) job->recovery.max_restarts_on_errors = static_cast<int>(*v);
    } else if (g.key == "recover_on_exit_codes") {
      auto items = reader.List(g, "a list of exit codes such as [33]", /*scalar_is_one_item=*/true);
      if (!items) continue;
      for (const auto& item : *items)
        if (auto code = reader.Int(item, 0, 255))
          job->recovery.recover_on_exit_codes.push_back(static_cast<int>(*code));
    }
  }
}

}  // namespace

const std::vector<std::string>& SkyPilotResourceFields() {
  return kFields;
}

std::optional<std::string> ReadRecoveryStrategy(FieldReader& reader, const Field& f) {
  auto text = reader.NonEmptyString(f, "a recovery strategy such as FAILOVER");
  if (!text) return std::nullopt;
  std::string s = ToLower(Trim(*text));
  if (s == "failover" || s == "eager_next_region") return s;
  if (s == "none") return std::string("none");
  if (s == "dynamic_node_set") {
    reader.Problem(f, "DYNAMIC_NODE_SET (elastic node sets) is not built yet; use FAILOVER");
    return std::nullopt;
  }
  reader.Problem(f, "expected FAILOVER, EAGER_NEXT_REGION or NONE, got " + Quote(*text));
  return std::nullopt;
}

void ReadSkyPilotResourceField(FieldReader& reader, const Field& f, ResourceScope scope, ResourceRequest* out,
                               JobSpec* job, CloudPlace* place) {
  const std::string& k = f.key;
  if (scope != ResourceScope::kJob && kJobWide.count(k) != 0) {
    NotBuilt(reader, f,
             k + " applies to the whole job: give it in the job's resources" +
                 (scope == ResourceScope::kChoice ? ", not in a choice" : ", not in a role's"));
    return;
  }
  if (k == "image_id" && scope != ResourceScope::kJob) {
    // A VM image is refused as such; a container image belongs to the whole job.
    JobSpec scratch;
    size_t before = reader.problem_count();
    ReadImageId(reader, f, /*bare_is_container=*/false, &scratch);
    if (reader.problem_count() == before)
      NotBuilt(reader, f,
               "a container image applies to the whole job: give image_id once, in the job's resources");
  } else if (k == "image_id") {
    place->image_id.emplace(f);
  } else if (k == "cloud") {
    place->cloud.emplace(f);
  } else if (k == "region") {
    place->region.emplace(f);
  } else if (k == "zone") {
    place->zone.emplace(f);
  } else if (k == "labels") {
    ReadLabels(reader, f, job);
  } else if (k == "autostop") {
    ReadAutostop(reader, f);
  } else if (k == "job_recovery" || k == "spot_recovery") {
    ReadJobRecovery(reader, f, job);
  } else if (k == "any_of" || k == "candidates") {
    ReadChoices(reader, f, /*ordered=*/false, out, job);
  } else if (k == "ordered") {
    ReadChoices(reader, f, /*ordered=*/true, out, job);
  } else if (k == "disk_size") {
    if (reader.Int(f, 1, 1'000'000))
      NotBuilt(reader, f,
               "disk sizes are not scheduled yet (nodes report no disk, and the broker that provisions VMs "
               "is not built); remove the field");
  } else if (k == "disk_tier" || k == "network_tier") {
    if (reader.String(f, "a tier such as best"))
      NotBuilt(reader, f,
               k + " is chosen when the broker provisions VMs, which is not built yet; remove the field");
  } else if (k == "ports") {
    NotBuilt(reader, f,
             "opening ports belongs to serving, which is not built yet; remove ports (and service) to run "
             "the task as a batch job");
  }
}

void FinishCloudPlace(FieldReader& reader, const CloudPlace& place, bool infra_given, ResourceRequest* out,
                      JobSpec* job) {
  if (place.image_id) {
    bool kubernetes = place.cloud && place.cloud->value.IsScalar() &&
                      ToLower(Trim(place.cloud->value.Scalar())) == "kubernetes";
    for (const auto& p : out->infra) kubernetes = kubernetes || p.rfind("kubernetes", 0) == 0;
    ReadImageId(reader, *place.image_id, kubernetes, job);
  }
  if (!place.cloud && !place.region && !place.zone) return;
  const Field& first = place.cloud ? *place.cloud : place.region ? *place.region : *place.zone;
  if (infra_given) {
    reader.Problem(first.key_pos, first.path,
                   "give the place either as infra or as cloud/region/zone, not both");
    return;
  }
  if (!place.cloud) {
    reader.Problem(first.key_pos, first.path, "a region or zone needs its cloud, such as cloud: aws");
    return;
  }
  std::vector<std::string> parts;
  for (const auto* part : {&place.cloud, &place.region, &place.zone}) {
    if (!*part) continue;
    auto text = reader.NonEmptyString(**part, "a name such as aws, us-east-1 or us-east-1a");
    if (!text) return;
    parts.push_back(ToLower(Trim(*text)));
  }
  if (place.zone && !place.region) {
    reader.Problem(place.zone->key_pos, place.zone->path,
                   "a zone needs its region, such as region: us-east-1");
    return;
  }
  std::string joined = Join(parts, "/");
  bool shape_ok = parts.size() < 3 ? IsInfraPlace(joined)
                                   : IsInfraPlace(parts[0] + "/" + parts[1]) && IsInfraPlace(parts[2]);
  if (!shape_ok) {
    reader.Problem(first, std::string("expected ") + InfraPlaceHelp() + ", got " + Quote(joined));
    return;
  }
  if (parts.size() == 3 && !reader.broker_fields()) {
    reader.Problem(place.zone->key_pos, place.zone->path,
                   "zones are weighed by the broker's planner (skyrun plan) only; give cloud and region");
    return;
  }
  out->infra.push_back(joined);
}

}  // namespace skyrun::spec_internal
