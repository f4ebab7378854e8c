#include "optimizer/offer_ad.h"

#include <string>
#include <vector>

#include "expr/ads.h"

namespace skyrun {

OfferAdBuilder::OfferAdBuilder(expr::Schema& schema)
    : schema_(&schema),
      name_(schema.Intern("Name")),
      backend_(schema.Intern("Backend")),
      provider_(schema.Intern("Provider")),
      region_(schema.Intern("Region")),
      zone_(schema.Intern("Zone")),
      country_(schema.Intern("Country")),
      continent_(schema.Intern("Continent")),
      instance_type_(schema.Intern("InstanceType")),
      cpus_(schema.Intern("Cpus")),
      cpus_milli_(schema.Intern("CpusMilli")),
      memory_(schema.Intern("MemoryMiB")),
      gpus_(schema.Intern("Gpus")),
      gpu_model_(schema.Intern("GpuModel")),
      gpu_models_(schema.Intern("GpuModels")),
      gpu_memory_(schema.Intern("GpuMemoryMB")),
      gpu_class_(schema.Intern("GpuClass")),
      spot_(schema.Intern("Spot")),
      hourly_price_(schema.Intern("HourlyPrice")),
      spot_price_(schema.Intern("SpotPrice")),
      labels_(schema.Intern("Labels")) {}

expr::Ad OfferAdBuilder::Build(const Offer& offer, bool spot, const RegionInfo* region) const {
  using expr::Value;
  expr::Ad ad(schema_);
  std::string name = offer.provider + "/" + offer.region;
  if (!offer.zone.empty()) name += "/" + offer.zone;
  if (!offer.instance_type.empty()) name += "/" + offer.instance_type;
  ad.SetSlot(name_, Value::String(name));
  ad.SetSlot(backend_, Value::String(offer.provider));
  ad.SetSlot(provider_, Value::String(std::string_view(offer.provider).substr(0, offer.provider.find('/'))));
  ad.SetSlot(region_, Value::String(offer.region));
  if (!offer.zone.empty()) ad.SetSlot(zone_, Value::String(offer.zone));
  if (region) {
    ad.SetSlot(country_, Value::String(region->country));
    ad.SetSlot(continent_, Value::String(region->continent));
  }
  if (!offer.instance_type.empty()) ad.SetSlot(instance_type_, Value::String(offer.instance_type));
  ad.SetSlot(cpus_, Value::Int(offer.cpus.raw() / 1000));
  ad.SetSlot(cpus_milli_, Value::Int(offer.cpus.raw()));
  ad.SetSlot(memory_, Value::Int(offer.memory.raw()));
  ad.SetSlot(gpus_, Value::Int(offer.accelerator_count));
  if (!offer.accelerator.empty()) {
    ad.SetSlot(gpu_model_, Value::String(offer.accelerator));
    std::vector<Value> models(static_cast<size_t>(offer.accelerator_count), Value::String(offer.accelerator));
    ad.SetSlot(gpu_models_, Value::List(models.data(), static_cast<uint32_t>(models.size())));
    if (offer.gpu_memory_mib > 0) ad.SetSlot(gpu_memory_, Value::Int(offer.gpu_memory_mib));
    ad.SetSlot(gpu_class_, Value::String(expr::GpuClassOf(offer.accelerator)));
  }
  ad.SetSlot(spot_, Value::Bool(false));
  ad.SetSlot(hourly_price_, Value::Real(offer.price));
  if (offer.spot_price) ad.SetSlot(spot_price_, Value::Real(*offer.spot_price));
  ad.SetSlot(labels_, Value::List(nullptr, 0));
  if (spot) MakeSpot(offer, ad);
  return ad;
}

void OfferAdBuilder::MakeSpot(const Offer& offer, expr::Ad& ad) const {
  ad.SetSlot(spot_, expr::Value::Bool(true));
  ad.SetSlot(hourly_price_, expr::Value::Real(offer.spot_price ? *offer.spot_price : offer.price));
}

}  // namespace skyrun
