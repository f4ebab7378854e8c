// Egress for the data a task really moved (issue 12 item 7): the bytes the
// driver reports by object store location (DataMoved::in_by_location,
// out_by_location) priced at the catalog's egress rates between that store
// and where the task ran. Inputs leave the store's provider for the
// placement; outputs leave the placement for the store. What the node's
// cache served crossed no network and is not billed.
//
// GB are decimal (10^9 bytes), as clouds bill. Each charge is priced alone at
// the catalog's tiers from zero (Catalog::EgressCost), as the broker prices
// a planned input.
//
// Callers: the controller, when a task attempt ends; tests. Thread-safety:
// a pure function of its arguments.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "model/billing.h"
#include "model/job.h"

namespace skyrun {

inline constexpr double kBytesPerGb = 1e9;

// The charges for one task's moved data, ran at `placement` (a location;
// `placement_name` is what the charge's destination or source says, such as
// "aws/us-east-1" or "local"). One charge per store location and direction
// with bytes; job, attempt_no and at are the caller's. A move within one
// location (or one a catalog prices at 0) is still listed, at $0, so the
// report shows the bytes.
std::vector<EgressCharge> MovedDataCharges(const DataMoved& moved, const Location& placement,
                                           const std::string& placement_name, const Catalog& catalog);

}  // namespace skyrun
