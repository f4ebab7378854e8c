// Profiles: which plugins the scheduler runs at each extension point, in
// which order, and how much each score weighs. Written in the server config
// (`scheduler: {profile: ...}`, docs/config.md); today's behaviour is
// DefaultProfileSpec(): strict priority then FIFO; the job's requirements and
// node policies filter; the job's rank first, then best fit (fewest idle GPUs
// left, then least free CPU); shares on the fullest GPU that has room.
// Thread-safety: a Profile is used by one scheduler on one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "scheduler/plugin.h"

namespace skyrun {

struct ProfileEntry {
  ProfileEntry() = default;
  ProfileEntry(std::string n, double w = 1, std::string at = "")  // NOLINT: brace lists read best
      : name(std::move(n)), weight(w), where(std::move(at)) {}
  std::string name;
  double weight = 1;  // scores only
  std::string where;  // "server.yaml:12:7 scheduler.profile.filters[1]", for errors
};

struct ProfileSpec {
  ProfileEntry queue_sort{"priority-fifo"};
  // Plugins used at every point they implement except score, in this order
  // (pre-filter, filter, post-filter, reserve, permit).
  std::vector<ProfileEntry> plugins;
  std::vector<ProfileEntry> scores;  // score plugins with their weights
  ProfileEntry device_picker{"best-fit"};
  // How many of the waiting jobs, in priority order, get a reservation
  // (reservation.h): a planned start that lower-priority jobs may not delay.
  // 0 turns reservations off (backfill anything that fits now).
  int reservations = kDefaultReservations;
  std::string reservations_where;  // for errors
  static constexpr int kDefaultReservations = 4;
  static constexpr int kMaxReservations = 1000;
};
ProfileSpec DefaultProfileSpec();

struct Profile {
  std::vector<std::unique_ptr<Plugin>> owned;
  QueueSortPlugin* queue_sort = nullptr;
  std::vector<PreFilterPlugin*> pre_filters;
  std::vector<FilterPlugin*> filters;
  std::vector<PostFilterPlugin*> post_filters;
  std::vector<std::pair<ScorePlugin*, double>> scores;
  std::vector<ReservePlugin*> reserves;
  std::vector<PermitPlugin*> permits;
  DevicePicker* device_picker = nullptr;
  int reservations = ProfileSpec::kDefaultReservations;
};

// Builds the plugins; an unknown name, a plugin at a point it does not
// implement or a negative weight is an error that says where it was written.
Result<Profile> BuildProfile(const ProfileSpec& spec);

}  // namespace skyrun
