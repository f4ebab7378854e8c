#include "catalog/offers_cli.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <tuple>

#include "common/strings.h"
#include "common/text_table.h"

#ifndef SKYRUN_BUILTIN_CATALOG_DIR
#define SKYRUN_BUILTIN_CATALOG_DIR "data/catalog"
#endif

namespace skyrun::catalog {
namespace {

constexpr int kMaxCount = 1024;

std::string Money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", usd);
  return buf;
}

std::string Gib(int64_t mib) {
  char buf[32];
  if (mib % 1024 == 0) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(mib / 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(mib) / 1024);
  }
  return buf;
}

void PrintTable(const std::vector<Offer>& offers, std::ostream& out) {
  Table t({"PROVIDER", "REGION", "ZONE", "INSTANCE", "GPU", "GPUS", "GPU_MEM_GIB", "VCPUS", "MEM_GIB", "$/H",
           "SPOT_$/H"});
  for (const Offer& o : offers) {
    t.AddRow({o.provider, o.region, o.zone.empty() ? "-" : o.zone,
              o.instance_type.empty() ? "-" : o.instance_type, o.accelerator.empty() ? "-" : o.accelerator,
              std::to_string(o.accelerator_count), o.gpu_memory_mib ? Gib(o.gpu_memory_mib) : "-",
              FormatMilli(o.cpus.raw()), Gib(o.memory.raw()), Money(o.price),
              o.spot_price ? Money(*o.spot_price) : "-"});
  }
  t.Print(out);
}

}  // namespace

nlohmann::json OfferToJson(const Offer& o) {
  nlohmann::json j;
  j["provider"] = o.provider;
  j["region"] = o.region;
  j["zone"] = o.zone;
  j["instance_type"] = o.instance_type;
  j["accelerator"] = o.accelerator;
  j["accelerator_count"] = o.accelerator_count;
  j["gpu_memory_mib"] = o.gpu_memory_mib;
  j["vcpus"] = static_cast<double>(o.cpus.raw()) / kMilliPerUnit;
  j["memory_mib"] = o.memory.raw();
  j["price"] = o.price;
  j["spot_price"] = o.spot_price ? nlohmann::json(*o.spot_price) : nlohmann::json(nullptr);
  return j;
}

Status ParseAcceleratorArg(std::string_view arg, OfferFilter* filter) {
  filter->accelerator.clear();
  filter->count.reset();
  std::string text = Trim(arg);
  if (text.empty()) return Status::Ok();
  size_t colon = text.find(':');
  filter->accelerator = Trim(text.substr(0, colon));
  if (filter->accelerator.empty()) {
    return InvalidArgument("'" + text +
                           "': the accelerator name is missing (write A100:8, or A100 for any count)");
  }
  if (colon != std::string::npos) {
    std::optional<int64_t> count = ParseInt64(Trim(text.substr(colon + 1)));
    if (!count || *count < 1 || *count > kMaxCount) {
      return InvalidArgument("'" + text + "': the count after ':' must be a whole number from 1 to " +
                             std::to_string(kMaxCount));
    }
    filter->count = static_cast<int>(*count);
  }
  return Status::Ok();
}

std::vector<Offer> SelectOffers(const Catalog& catalog, const OfferFilter& filter) {
  return SelectOffers(catalog.offers(), filter);
}

std::vector<Offer> SelectOffers(const std::vector<Offer>& offers, const OfferFilter& filter) {
  std::vector<Offer> out;
  for (const Offer& o : offers) {
    if (filter.accelerator.empty()) {
      if (!o.accelerator.empty()) continue;
    } else {
      if (!EqualsIgnoreCase(o.accelerator, filter.accelerator)) continue;
      if (filter.count && o.accelerator_count != *filter.count) continue;
    }
    if (!filter.clouds.empty() &&
        std::none_of(filter.clouds.begin(), filter.clouds.end(),
                     [&](const std::string& c) { return EqualsIgnoreCase(c, o.provider); })) {
      continue;
    }
    if (!filter.region.empty() && o.region != filter.region) continue;
    if (filter.spot && !o.spot_price) continue;
    out.push_back(o);
  }
  std::sort(out.begin(), out.end(), [&](const Offer& a, const Offer& b) {
    double pa = filter.spot ? *a.spot_price : a.price;
    double pb = filter.spot ? *b.spot_price : b.price;
    return std::tie(pa, a.provider, a.region, a.zone, a.instance_type, a.accelerator_count) <
           std::tie(pb, b.provider, b.region, b.zone, b.instance_type, b.accelerator_count);
  });
  return out;
}

std::string BuiltinCatalogDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path installed = exe.parent_path().parent_path() / "share" / "skyrun" / "catalog";
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
  return SKYRUN_BUILTIN_CATALOG_DIR;
}

int RunOffersCommand(const OffersCliArgs& args, std::ostream& out, std::ostream& err) {
  OfferFilter filter;
  if (Status s = ParseAcceleratorArg(args.accelerator, &filter); !s.ok()) {
    err << "skyrun offers: " << s.message() << "\n";
    return 2;
  }
  if (args.output != "table" && args.output != "json") {
    err << "skyrun offers: -o must be table or json, not '" << args.output << "'\n";
    return 2;
  }
  if (args.limit < 0) {
    err << "skyrun offers: --limit must be 0 (all) or more\n";
    return 2;
  }
  filter.clouds = args.clouds;
  filter.region = args.region;
  filter.spot = args.spot;
  std::vector<std::string> dirs = args.catalogs;
  if (dirs.empty()) dirs.push_back(BuiltinCatalogDir());
  Result<Catalog> catalog = Catalog::LoadDirs(dirs);
  if (!catalog.ok()) {
    err << "skyrun offers: loading the catalog: " << catalog.status().message() << "\n";
    return 2;
  }
  for (const std::string& cloud : filter.clouds) {
    bool known = std::any_of(catalog->offers().begin(), catalog->offers().end(),
                             [&](const Offer& o) { return EqualsIgnoreCase(o.provider, cloud); });
    if (!known) {
      err << "skyrun offers: the catalog has no provider '" << cloud << "'\n";
      return 2;
    }
  }
  std::vector<Offer> offers = SelectOffers(*catalog, filter);
  if (args.limit > 0 && offers.size() > static_cast<size_t>(args.limit)) offers.resize(args.limit);
  if (args.output == "json") {
    nlohmann::json j;
    j["offers"] = nlohmann::json::array();
    for (const Offer& o : offers) j["offers"].push_back(OfferToJson(o));
    out << j.dump(2) << "\n";
    return 0;
  }
  if (offers.empty()) {
    err << "skyrun offers: no offer matches";
    if (!filter.accelerator.empty()) {
      err << " " << filter.accelerator;
      if (filter.count) err << ":" << *filter.count;
    }
    err << " (try without --region, --cloud or --spot, or another count)\n";
    return 0;
  }
  PrintTable(offers, out);
  return 0;
}

}  // namespace skyrun::catalog
