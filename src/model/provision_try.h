// ProvisionTry: one attempt of the broker to place a job somewhere — what it
// chose (a pool offer it tried to buy, or a registered cluster), where, and
// how that went: bought, refused (with the pool's error and the place the
// refusal blocked for the job), or nothing left to try. The provisioner
// writes one per try; `skyrun status JOB` and GET /v1/jobs/ID show them.
// Thread-safety: plain values.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/ids.h"

namespace skyrun {

struct ProvisionTry {
  JobId job;
  int attempt_no = 1;  // the attempt being placed
  Micros at = 0;
  std::string backend;   // "simcloud/sim1", "local"
  std::string provider;  // of the offer
  std::string region;
  std::string zone;
  std::string instance_type;  // empty for a registered cluster
  bool spot = false;
  int count = 0;            // instances asked for
  double hourly_price = 0;  // USD per hour for the whole placement
  std::string outcome;      // "provisioned", "cluster", "capacity", "quota", "other", "none"
  std::string detail;       // instance ids bought, or the error / why nothing is left
  std::string blocked;      // what the refusal blocked: "zone aws/us-east-1/us-east-1a"; "" = nothing
};

// A place a capacity or quota refusal blocks for every job until `until`
// (controller/provisioner.h BlockHold), kept so that a restarted server still
// avoids it. One row per place: a later refusal of it moves `until`.
struct HeldBlockRow {
  std::string scope;  // "zone", "region" or "provider"
  std::string provider;
  std::string region;  // "" for a provider block
  std::string zone;    // "" unless a zone block
  std::string why;     // "capacity error"
  Micros until = 0;    // wall time (Clock::Now())
};

}  // namespace skyrun
