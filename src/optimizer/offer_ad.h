// The ad of an offer, so that a job's `requirements` read offers the way they
// read nodes (expr/vocabulary.h): Provider, Region, Zone, Country, Continent,
// InstanceType, GpuModel, Gpus, GpuMemoryMB, GpuClass, Cpus, CpusMilli,
// MemoryMiB, HourlyPrice (per instance, at the price paid), SpotPrice, Spot.
// Callers: StageCandidates. Thread-safety: as expr::Ad (interns into schema).
#pragma once

#include "catalog/catalog.h"
#include "catalog/offer.h"
#include "expr/schema.h"

namespace skyrun {

// `region` may be null (Country and Continent are then UNDEFINED).
expr::Ad OfferAd(const Offer& offer, bool spot, const RegionInfo* region, expr::Schema& schema);

}  // namespace skyrun
