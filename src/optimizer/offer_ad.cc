#include "optimizer/offer_ad.h"

#include "expr/ads.h"

namespace skyrun {

expr::Ad OfferAd(const Offer& offer, bool spot, const RegionInfo* region, expr::Schema& schema) {
  expr::Ad ad(&schema);
  ad.SetString("Name", offer.provider + "/" + offer.region + (offer.zone.empty() ? "" : "/" + offer.zone) +
                           (offer.instance_type.empty() ? "" : "/" + offer.instance_type));
  ad.SetString("Backend", offer.provider);
  ad.SetString("Provider", offer.provider.substr(0, offer.provider.find('/')));
  ad.SetString("Region", offer.region);
  if (!offer.zone.empty()) ad.SetString("Zone", offer.zone);
  if (region) {
    ad.SetString("Country", region->country);
    ad.SetString("Continent", region->continent);
  }
  if (!offer.instance_type.empty()) ad.SetString("InstanceType", offer.instance_type);
  ad.SetInt("Cpus", offer.cpus.raw() / 1000);
  ad.SetInt("CpusMilli", offer.cpus.raw());
  ad.SetInt("MemoryMiB", offer.memory.raw());
  ad.SetInt("Gpus", offer.accelerator_count);
  if (!offer.accelerator.empty()) {
    ad.SetString("GpuModel", offer.accelerator);
    ad.SetStringList("GpuModels", std::vector<std::string>(offer.accelerator_count, offer.accelerator));
    if (offer.gpu_memory_mib > 0) ad.SetInt("GpuMemoryMB", offer.gpu_memory_mib);
    ad.SetString("GpuClass", expr::GpuClassOf(offer.accelerator));
  }
  ad.SetBool("Spot", spot);
  ad.SetReal("HourlyPrice", spot && offer.spot_price ? *offer.spot_price : offer.price);
  if (offer.spot_price) ad.SetReal("SpotPrice", *offer.spot_price);
  ad.SetStringList("Labels", {});
  return ad;
}

}  // namespace skyrun
