// libFuzzer target for the catalog's file readers: the strict CSV reader,
// then the same bytes as a SkyPilot vms.csv (turned into offers, GCP
// joining included), as a regions table and as both egress tables. Checks
// what the reader promises: every record has the header's width, and every
// field's line:column lies inside the input; offers have finite,
// non-negative prices; tiered egress costs are finite and never fall as the
// volume grows. Any crash, sanitizer report or abort() here is a bug.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/csv.h"
#include "catalog/egress.h"
#include "catalog/offers_builder.h"
#include "catalog/vms_csv.h"

namespace {

using namespace skyrun::catalog;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "catalog_fuzz: %s\n", what);
  std::abort();
}

void CheckDocument(const CsvDocument& doc, std::string_view text) {
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  auto check_field = [&](const CsvField& f) {
    if (f.line < 1 || f.line > lines || f.column < 1 || static_cast<size_t>(f.column) > text.size() + 1) {
      Fail("a field's line:column is outside the input");
    }
  };
  for (const CsvField& f : doc.header.fields) check_field(f);
  for (const CsvRecord& r : doc.records) {
    if (r.fields.size() != doc.header.fields.size()) Fail("a record's width differs from the header's");
    for (const CsvField& f : r.fields) check_field(f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ParseCsv(text, "fuzz.csv");
  if (!doc.ok()) {
    if (doc.status().message().find("fuzz.csv") == std::string::npos)
      Fail("an error that does not name the file");
    return 0;
  }
  CheckDocument(*doc, text);

  auto rows = ParseVmsCsv(text, "fuzz.csv");
  if (rows.ok()) {
    for (const char* provider : {"gcp", "aws"}) {
      auto offers = BuildOffers(provider, *rows, "fuzz.csv");
      if (!offers.ok()) continue;
      for (const auto& o : *offers) {
        if (!std::isfinite(o.price) || o.price < 0) Fail("an offer with a bad price");
        if (o.spot_price && (!std::isfinite(*o.spot_price) || *o.spot_price < 0)) Fail("a bad spot price");
        if (o.accelerator_count < 0 || o.cpus.raw() < 0 || o.memory.raw() < 0) Fail("a negative quantity");
      }
    }
  }

  EgressTable table;
  if (table.AddInternet(*doc).ok()) {
    for (const auto& record : doc->records) {
      const std::string& provider = record.fields[*doc->Column("provider")].text;
      double last = 0;
      for (double gb : {0.0, 0.5, 1.0, 100.0, 1024.0, 10240.0, 15000.0, 153600.0, 1e9}) {
        double cost = *table.InternetCost(provider, gb);
        if (!std::isfinite(cost) || cost < last) Fail("egress cost not finite or falling with volume");
        last = cost;
      }
    }
  }
  if (table.AddInterRegion(*doc).ok()) {
    for (const char* from : {"EU", "NA", ""}) {
      std::optional<double> rate =
          table.InterRegionRate(doc->records.empty() ? "x" : doc->records[0].fields[0].text, from, "NA");
      if (rate && (!std::isfinite(*rate) || *rate < 0)) Fail("a bad inter-region rate");
    }
  }
  return 0;
}
