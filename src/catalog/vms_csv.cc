#include "catalog/vms_csv.h"

#include <charconv>
#include <cmath>
#include <map>

#include "catalog/csv.h"

namespace skyrun::catalog {
namespace {

// Largest values accepted: far above any real instance, small enough that
// the conversions to integers below cannot overflow.
constexpr double kMaxCpus = 1e6;
constexpr double kMaxMemoryGiB = 1e8;
constexpr double kMaxAccelerators = 1024;
constexpr double kMaxPrice = 1e7;

Result<std::optional<double>> Number(const CsvDocument& doc, const CsvField& field, std::string_view column,
                                     double max) {
  if (field.text.empty()) return std::optional<double>();
  double value = 0;
  const char* begin = field.text.data();
  const char* end = begin + field.text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return InvalidArgument(doc.Where(field) + ": " + std::string(column) + " '" + field.text +
                           "' is not a number");
  }
  if (value < 0 || value > max) {
    return InvalidArgument(doc.Where(field) + ": " + std::string(column) + " " + field.text +
                           " is out of range [0, " + std::to_string(static_cast<int64_t>(max)) + "]");
  }
  return std::optional<double>(value);
}

}  // namespace

int64_t GpuMemoryFromInfo(std::string_view gpu_info) {
  constexpr std::string_view kKey = "'SizeInMiB':";
  size_t at = gpu_info.find(kKey);
  if (at == std::string_view::npos) return 0;
  size_t pos = at + kKey.size();
  while (pos < gpu_info.size() && gpu_info[pos] == ' ') ++pos;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(gpu_info.data() + pos, gpu_info.data() + gpu_info.size(), value);
  if (ec != std::errc() || value < 0 || ptr == gpu_info.data() + pos) return 0;
  return value;
}

int64_t KnownGpuMemoryMiB(std::string_view model) {
  // Per device (a K80 board holds two 12 GiB devices; the catalog counts devices).
  static const std::map<std::string_view, int64_t> kMemory = {
      {"A10", 24 * 1024},        {"A100", 40 * 1024},      {"A100-80GB", 80 * 1024}, {"B200", 180 * 1024},
      {"H100", 80 * 1024},       {"H100-MEGA", 80 * 1024}, {"H200", 141 * 1024},     {"K80", 12 * 1024},
      {"L4", 24 * 1024},         {"L40S", 48 * 1024},      {"M60", 8 * 1024},        {"P100", 16 * 1024},
      {"P4", 8 * 1024},          {"T4", 16 * 1024},        {"V100", 16 * 1024},      {"V100-32GB", 32 * 1024},
      {"Radeon MI25", 16 * 1024}};
  auto it = kMemory.find(model);
  return it == kMemory.end() ? 0 : it->second;
}

Result<std::vector<VmRow>> ParseVmsCsv(std::string_view text, const std::string& source) {
  Result<CsvDocument> parsed = ParseCsv(text, source);
  if (!parsed.ok()) return parsed.status();
  const CsvDocument& doc = *parsed;
  const char* kRequired[] = {"InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs",
                             "MemoryGiB",    "Price",           "SpotPrice",        "Region"};
  std::map<std::string, size_t> col;
  for (const char* name : kRequired) {
    std::optional<size_t> at = doc.Column(name);
    if (!at) {
      return InvalidArgument(
          source + ":" + std::to_string(doc.header.line) + ": the header has no '" + name +
          "' column (a SkyPilot vms.csv has InstanceType, AcceleratorName, AcceleratorCount, "
          "vCPUs, MemoryGiB, Price, SpotPrice, Region)");
    }
    col[name] = *at;
  }
  std::optional<size_t> gpu_info_col = doc.Column("GpuInfo");
  std::optional<size_t> zone_col = doc.Column("AvailabilityZone");

  std::vector<VmRow> rows;
  rows.reserve(doc.records.size());
  for (const CsvRecord& record : doc.records) {
    auto field = [&](const char* name) -> const CsvField& { return record.fields[col[name]]; };
    VmRow row;
    row.line = record.line;
    row.instance_type = field("InstanceType").text;
    row.accelerator = field("AcceleratorName").text;
    row.region = field("Region").text;
    if (row.region.empty()) return InvalidArgument(doc.Where(field("Region")) + ": Region is empty");
    if (zone_col) row.zone = record.fields[*zone_col].text;

    auto count = Number(doc, field("AcceleratorCount"), "AcceleratorCount", kMaxAccelerators);
    if (!count.ok()) return count.status();
    if (*count) {
      if (**count != std::floor(**count)) {
        return InvalidArgument(doc.Where(field("AcceleratorCount")) + ": AcceleratorCount " +
                               field("AcceleratorCount").text + " is not a whole number");
      }
      row.accelerator_count = static_cast<int>(**count);
    }
    if (!row.accelerator.empty() && row.accelerator_count == 0) {
      return InvalidArgument(doc.Where(field("AcceleratorCount")) + ": AcceleratorName '" + row.accelerator +
                             "' with no AcceleratorCount");
    }
    auto cpus = Number(doc, field("vCPUs"), "vCPUs", kMaxCpus);
    if (!cpus.ok()) return cpus.status();
    if (*cpus) row.cpus = MilliCpu(std::llround(**cpus * kMilliPerUnit));
    auto memory = Number(doc, field("MemoryGiB"), "MemoryGiB", kMaxMemoryGiB);
    if (!memory.ok()) return memory.status();
    if (*memory) row.memory = MemoryMiB(std::llround(**memory * 1024));
    auto price = Number(doc, field("Price"), "Price", kMaxPrice);
    if (!price.ok()) return price.status();
    row.price = *price;
    auto spot = Number(doc, field("SpotPrice"), "SpotPrice", kMaxPrice);
    if (!spot.ok()) return spot.status();
    row.spot_price = *spot;

    if (gpu_info_col) row.gpu_memory_mib = GpuMemoryFromInfo(record.fields[*gpu_info_col].text);
    if (row.gpu_memory_mib == 0) row.gpu_memory_mib = KnownGpuMemoryMiB(row.accelerator);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace skyrun::catalog
