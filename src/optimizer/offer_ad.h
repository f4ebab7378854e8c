// The ad of an offer, so that a job's `requirements` read offers the way they
// read nodes (expr/vocabulary.h): Provider, Region, Zone, Country, Continent,
// InstanceType, GpuModel, GpuModels, Gpus, GpuMemoryMB, GpuClass, Cpus,
// CpusMilli, MemoryMiB, HourlyPrice (per instance, at the price paid),
// SpotPrice, Spot, Name, Backend, Labels.
//
// OfferAdBuilder interns the names once, so building an ad per offer costs
// only its values (the optimizer builds thousands per plan).
// Callers: StageCandidates. Thread-safety: as expr::Ad (interns into schema
// at construction; Build only reads it).
#pragma once

#include <cstdint>

#include "catalog/catalog.h"
#include "catalog/offer.h"
#include "expr/schema.h"

namespace skyrun {

class OfferAdBuilder {
 public:
  explicit OfferAdBuilder(expr::Schema& schema);

  // `region` may be null (Country and Continent are then UNDEFINED).
  expr::Ad Build(const Offer& offer, bool spot, const RegionInfo* region) const;
  // Turns an on-demand ad into the spot one (Spot, HourlyPrice) in place.
  void MakeSpot(const Offer& offer, expr::Ad& ad) const;

 private:
  expr::Schema* schema_;
  uint32_t name_, backend_, provider_, region_, zone_, country_, continent_, instance_type_, cpus_,
      cpus_milli_, memory_, gpus_, gpu_model_, gpu_models_, gpu_memory_, gpu_class_, spot_, hourly_price_,
      spot_price_, labels_;
};

}  // namespace skyrun
