#include "catalog/offers_builder.h"

#include <map>
#include <tuple>

namespace skyrun::catalog {
namespace {

// GCP's limits for an N1 VM with GPUs attached: at most this many vCPUs and
// this much memory for N GPUs of a model (cloud.google.com/compute/docs/gpus,
// "N1 general-purpose" table).
struct N1Limit {
  const char* model;
  int count;
  int max_vcpus;
  int max_memory_gib;
};
constexpr N1Limit kN1Limits[] = {
    {"T4", 1, 48, 312},   {"T4", 2, 48, 312},  {"T4", 4, 96, 624},   {"P4", 1, 24, 156},
    {"P4", 2, 48, 312},   {"P4", 4, 96, 624},  {"P100", 1, 16, 104}, {"P100", 2, 32, 208},
    {"P100", 4, 64, 208}, {"V100", 1, 12, 78}, {"V100", 2, 24, 156}, {"V100", 4, 48, 312},
    {"V100", 8, 96, 624},
};

// "a2-highgpu-4g" with prefix "a2-highgpu-" -> 4; 0 when it does not match.
int GpusInName(const std::string& type, const std::string& prefix) {
  if (!type.starts_with(prefix)) return 0;
  std::string rest = type.substr(prefix.size());
  if (rest == "1g") return 1;
  if (rest == "2g") return 2;
  if (rest == "4g") return 4;
  if (rest == "8g") return 8;
  return 0;
}

Offer BaseOffer(const std::string& provider, const VmRow& row) {
  Offer offer;
  offer.provider = provider;
  offer.region = row.region;
  offer.zone = row.zone;
  offer.instance_type = row.instance_type;
  offer.accelerator = row.accelerator;
  offer.accelerator_count = row.accelerator_count;
  offer.gpu_memory_mib = row.accelerator.empty() ? 0 : row.gpu_memory_mib;
  offer.cpus = row.cpus.value_or(MilliCpu(0));
  offer.memory = row.memory.value_or(MemoryMiB(0));
  offer.price = row.price.value_or(0);
  offer.spot_price = row.spot_price;
  return offer;
}

}  // namespace

GcpGpuRule GcpGpusFor(const std::string& type, const VmRow& vm) {
  GcpGpuRule rule;
  if (int n = GpusInName(type, "a2-highgpu-")) {
    rule.choices = {{"A100", n}};
  } else if (type == "a2-megagpu-16g") {
    rule.choices = {{"A100", 16}};
  } else if (int m = GpusInName(type, "a2-ultragpu-")) {
    rule.choices = {{"A100-80GB", m}};
  } else if (int h = GpusInName(type, "a3-highgpu-")) {
    rule.choices = {{"H100", h}};
  } else if (type == "a3-edgegpu-8g" || type == "a3-edgegpu-8g-nolssd") {
    rule.choices = {{"H100", 8}};
  } else if (type == "a3-megagpu-8g") {
    rule.choices = {{"H100-MEGA", 8}};
  } else if (type == "a3-ultragpu-8g" || type == "a3-ultragpu-8g-nolssd") {
    rule.choices = {{"H200", 8}};
  } else if (type == "a4-highgpu-8g") {
    rule.choices = {{"B200", 8}};
  } else if (type.starts_with("g2-standard-")) {
    static const std::map<std::string, int> kL4 = {{"4", 1},  {"8", 1},  {"12", 1}, {"16", 1},
                                                   {"32", 1}, {"24", 2}, {"48", 4}, {"96", 8}};
    auto it = kL4.find(type.substr(std::string("g2-standard-").size()));
    if (it != kL4.end()) rule.choices = {{"L4", it->second}};
  } else if (type.starts_with("n1-")) {
    rule.optional = true;
    const int64_t vcpus = vm.cpus ? vm.cpus->raw() : 0;
    const int64_t memory = vm.memory ? vm.memory->raw() : 0;
    for (const N1Limit& limit : kN1Limits) {
      if (vcpus <= int64_t{limit.max_vcpus} * kMilliPerUnit &&
          memory <= int64_t{limit.max_memory_gib} * 1024) {
        rule.choices.push_back({limit.model, limit.count});
      }
    }
  } else {
    rule.optional = true;  // n2-* and other CPU families
  }
  return rule;
}

Result<std::vector<Offer>> BuildOffers(const std::string& provider, const std::vector<VmRow>& rows,
                                       const std::string& source) {
  // GPU price rows by (zone key, model, count). The zone key is region/zone
  // so that a file without zones still pairs within a region.
  using GpuKey = std::tuple<std::string, std::string, int>;
  std::map<GpuKey, const VmRow*> gpu_rows;
  for (const VmRow& row : rows) {
    if (!row.instance_type.empty()) continue;
    if (row.accelerator.empty()) {
      return InvalidArgument(source + ":" + std::to_string(row.line) +
                             ": a row with neither InstanceType nor AcceleratorName");
    }
    gpu_rows.emplace(GpuKey{row.region + "/" + row.zone, row.accelerator, row.accelerator_count}, &row);
  }
  std::vector<Offer> offers;
  for (const VmRow& row : rows) {
    if (row.instance_type.empty() || !row.price) continue;
    if (!row.cpus || !row.memory) {
      return InvalidArgument(source + ":" + std::to_string(row.line) + ": instance type '" +
                             row.instance_type + "' has no " + (row.cpus ? "MemoryGiB" : "vCPUs"));
    }
    // A row that names its accelerators (AWS, Azure, Lambda), or a file
    // without GPU price rows, is an offer as it stands.
    if (!row.accelerator.empty() || gpu_rows.empty()) {
      offers.push_back(BaseOffer(provider, row));
      continue;
    }
    GcpGpuRule rule = GcpGpusFor(row.instance_type, row);
    if (rule.optional) offers.push_back(BaseOffer(provider, row));
    for (const GcpGpuChoice& choice : rule.choices) {
      auto it = gpu_rows.find(GpuKey{row.region + "/" + row.zone, choice.accelerator, choice.count});
      if (it == gpu_rows.end() || !it->second->price) continue;
      const VmRow& gpu = *it->second;
      Offer offer = BaseOffer(provider, row);
      offer.accelerator = choice.accelerator;
      offer.accelerator_count = choice.count;
      offer.gpu_memory_mib = gpu.gpu_memory_mib;
      offer.price = *row.price + *gpu.price;
      if (row.spot_price && gpu.spot_price) {
        offer.spot_price = *row.spot_price + *gpu.spot_price;
      } else {
        offer.spot_price.reset();
      }
      offers.push_back(std::move(offer));
    }
  }
  return offers;
}

}  // namespace skyrun::catalog
