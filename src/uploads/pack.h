// The client's side of uploads: packs what a job spec names on this machine
// (workdir tree, local file_mounts sources, partition profile; see
// spec_inputs.h for which) into one archive, with the same relative paths it
// has from the spec file's directory. `skyrun launch` and `skyrun partition
// measure` call it before submitting.
//
// Links inside a packed directory are kept as links when they stay inside
// that directory and refused otherwise, with the link's path: the server
// never sees a link that leads out. A named path that is itself a link is
// followed (it is the client's own file). Devices, fifos and sockets are
// refused. Thread-safety: stateless.
#pragma once

#include <string>

#include "common/status.h"
#include "model/job_spec.h"

namespace skyrun::uploads {

struct PackedUpload {
  std::string archive;  // empty when the spec names nothing to upload
  std::string sha256;   // of archive
  int64_t files = 0;
  int64_t file_bytes = 0;
};

// `spec_dir` is the directory of the spec file, where relative paths start.
Result<PackedUpload> PackSpecInputs(const JobSpec& spec, const std::string& spec_dir);

}  // namespace skyrun::uploads
