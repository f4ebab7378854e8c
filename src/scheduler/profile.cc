#include "scheduler/profile.h"

#include "common/strings.h"

namespace skyrun {

ProfileSpec DefaultProfileSpec() {
  ProfileSpec s;
  s.plugins = {{"gang-capacity"}, {"expression"}, {"node-state"}, {"max-hourly-cost"}};
  // The job's rank outweighs any packing preference (weights 10^4 : 1 over
  // scores normalised to 0..100), as before the framework.
  s.scores = {{"expression-rank", 10000}, {"best-fit", 1}};
  return s;
}

namespace {

Status Problem(const ProfileEntry& e, const std::string& what) {
  std::string where = e.where.empty() ? "scheduler profile" : e.where;
  return InvalidArgument(where + ": " + what);
}

Result<std::unique_ptr<Plugin>> Make(const ProfileEntry& e) {
  auto p = MakePlugin(e.name);
  if (!p)
    return Problem(e, "unknown scheduler plugin '" + e.name + "' (known: " + Join(PluginNames(), ", ") + ")");
  return p;
}

}  // namespace

Result<Profile> BuildProfile(const ProfileSpec& spec) {
  Profile out;
  SKYRUN_ASSIGN_OR_RETURN(auto sort, Make(spec.queue_sort));
  out.queue_sort = dynamic_cast<QueueSortPlugin*>(sort.get());
  if (!out.queue_sort)
    return Problem(spec.queue_sort, "'" + spec.queue_sort.name + "' is not a queue sort plugin");
  out.owned.push_back(std::move(sort));

  SKYRUN_ASSIGN_OR_RETURN(auto picker, Make(spec.device_picker));
  out.device_picker = dynamic_cast<DevicePicker*>(picker.get());
  if (!out.device_picker)
    return Problem(spec.device_picker, "'" + spec.device_picker.name + "' is not a device picker");
  out.owned.push_back(std::move(picker));

  for (const ProfileEntry& e : spec.plugins) {
    SKYRUN_ASSIGN_OR_RETURN(auto p, Make(e));
    bool used = false;
    if (auto* x = dynamic_cast<PreFilterPlugin*>(p.get())) used = true, out.pre_filters.push_back(x);
    if (auto* x = dynamic_cast<FilterPlugin*>(p.get())) used = true, out.filters.push_back(x);
    if (auto* x = dynamic_cast<PostFilterPlugin*>(p.get())) used = true, out.post_filters.push_back(x);
    if (auto* x = dynamic_cast<ReservePlugin*>(p.get())) used = true, out.reserves.push_back(x);
    if (auto* x = dynamic_cast<PermitPlugin*>(p.get())) used = true, out.permits.push_back(x);
    if (!used)
      return Problem(e, "'" + e.name + "' has no pre-filter, filter, post-filter, reserve or permit step");
    out.owned.push_back(std::move(p));
  }
  if (spec.reservations < 0 || spec.reservations > ProfileSpec::kMaxReservations) {
    std::string where = spec.reservations_where.empty() ? "scheduler profile" : spec.reservations_where;
    return InvalidArgument(where + ": reservations must be 0.." +
                           std::to_string(ProfileSpec::kMaxReservations) + ", got " +
                           std::to_string(spec.reservations));
  }
  out.reservations = spec.reservations;
  for (const ProfileEntry& e : spec.scores) {
    SKYRUN_ASSIGN_OR_RETURN(auto p, Make(e));
    auto* s = dynamic_cast<ScorePlugin*>(p.get());
    if (!s) return Problem(e, "'" + e.name + "' is not a score plugin");
    if (!(e.weight >= 0)) return Problem(e, "a score weight must be >= 0");
    out.scores.push_back({s, e.weight});
    out.owned.push_back(std::move(p));
  }
  return out;
}

}  // namespace skyrun
