// The image config's `User` ("1000", "1000:1000", "app", "app:staff",
// "app:1000", "1000:staff") as the uid and gid a task sees inside the
// bubblewrap user namespace (drivers/local/sandbox.h). Names are looked up
// in the image's own /etc/passwd and /etc/group, never the host's; a user
// given without a group gets its passwd entry's primary group (0 for a bare
// uid that passwd does not list, as OCI runtimes do). The task still runs as
// its tenant's host uid: these ids are only what it sees of itself.
//
// The files are read beneath the rootfs without following links (a link
// planted by an image cannot point the lookup at a host file), at most 1 MiB
// each.
//
// Callers: the local driver when it launches a task in an image.
// Thread-safety: a pure function over the file system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace skyrun::image {

struct ImageUser {
  int64_t uid = 0;
  int64_t gid = 0;
};

// nullopt for an empty `user` (the image names none). InvalidArgument for an
// id out of range (0..4294967294), a malformed value, or a name the image's
// passwd/group does not list.
Result<std::optional<ImageUser>> ResolveImageUser(const std::string& rootfs, const std::string& user);

}  // namespace skyrun::image
