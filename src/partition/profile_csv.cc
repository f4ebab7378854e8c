#include "partition/profile_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "partition/csv.h"
#include "partition/load.h"

namespace skyrun::partition {
namespace {

std::string Where(const CsvTable& t, const CsvTable::Row& row, const std::string& column) {
  return t.source + ":" + std::to_string(row.line) + ": column " + column;
}

std::optional<double> ParseDouble(const std::string& s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A count (FLOPs, bytes): an integer, or a decimal / scientific number rounded
// to the nearest integer.
Result<int64_t> ParseCount(const CsvTable& t, const CsvTable::Row& row, const std::string& column) {
  const std::string& s = row.fields[*t.Column(column)];
  if (auto exact = ParseInt64(s)) {
    if (*exact < 0)
      return InvalidArgument(Where(t, row, column) + ": '" + s + "' is negative; counts are >= 0");
    return *exact;
  }
  auto v = ParseDouble(s);
  if (!v || *v < 0 || *v >= 9.2e18) {
    return InvalidArgument(Where(t, row, column) + ": '" + s +
                           "' is not a count (expected a non-negative number such as 123456 or 3.6e10)");
  }
  return static_cast<int64_t>(std::llround(*v));
}

Result<double> ParsePositive(const CsvTable& t, const CsvTable::Row& row, const std::string& column,
                             const char* expected) {
  const std::string& s = row.fields[*t.Column(column)];
  auto v = ParseDouble(s);
  if (!v || *v <= 0) return InvalidArgument(Where(t, row, column) + ": '" + s + "' is not " + expected);
  return *v;
}

Result<double> ParseNonNegative(const CsvTable& t, const CsvTable::Row& row, const std::string& column,
                                const char* expected) {
  const std::string& s = row.fields[*t.Column(column)];
  auto v = ParseDouble(s);
  if (!v || *v < 0) return InvalidArgument(Where(t, row, column) + ": '" + s + "' is not " + expected);
  return *v;
}

Result<int64_t> ParseMemoryColumn(const CsvTable& t, const CsvTable::Row& row) {
  const std::string& s = row.fields[*t.Column("memory_mib")];
  if (auto mib = ParseInt64(s)) {
    if (*mib < 0) return InvalidArgument(Where(t, row, "memory_mib") + ": '" + s + "' is negative");
    return *mib;
  }
  // "16GiB", "512MiB": sizes with a unit.
  bool has_unit = !s.empty() && std::isalpha(static_cast<unsigned char>(s.back()));
  if (has_unit) {
    auto parsed = ParseMemoryMiB(s);
    if (parsed.ok()) return *parsed;
  }
  return InvalidArgument(Where(t, row, "memory_mib") + ": '" + s +
                         "' is not a memory size (MiB as an integer, or with a unit such as 16GiB)");
}

// At least 1 bit/s: zero means "unlimited" inside the partitioner.
int64_t GbpsToBps(double gbps) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(gbps * 1e9)));
}
int64_t MicrosToNanos(double us) {
  return static_cast<int64_t>(std::llround(us * 1e3));
}

}  // namespace

Result<ModelProfile> ParseModelCsv(std::string_view text, const std::string& source) {
  SKYRUN_ASSIGN_OR_RETURN(CsvTable t, ParseCsv(text, source));
  SKYRUN_RETURN_IF_ERROR(CheckColumns(t, {"name", "fwd_flops", "bwd_flops", "param_bytes", "act_bytes"},
                                      {"out_bytes", "mem_bytes"}));
  ModelProfile model;
  model.name = source;
  for (const auto& row : t.rows) {
    Unit u;
    u.name = row.fields[*t.Column("name")];
    if (u.name.empty())
      return InvalidArgument(t.source + ":" + std::to_string(row.line) + ": empty unit name");
    SKYRUN_ASSIGN_OR_RETURN(u.fwd_flops, ParseCount(t, row, "fwd_flops"));
    SKYRUN_ASSIGN_OR_RETURN(u.bwd_flops, ParseCount(t, row, "bwd_flops"));
    SKYRUN_ASSIGN_OR_RETURN(u.param_bytes, ParseCount(t, row, "param_bytes"));
    SKYRUN_ASSIGN_OR_RETURN(u.act_bytes, ParseCount(t, row, "act_bytes"));
    u.out_bytes = u.act_bytes;
    if (t.Column("out_bytes")) {
      SKYRUN_ASSIGN_OR_RETURN(u.out_bytes, ParseCount(t, row, "out_bytes"));
    }
    if (t.Column("mem_bytes")) {
      SKYRUN_ASSIGN_OR_RETURN(u.mem_bytes, ParseCount(t, row, "mem_bytes"));
    } else {
      if (u.param_bytes > (int64_t{1} << 60) || u.act_bytes > (int64_t{1} << 60)) {
        return InvalidArgument(t.source + ":" + std::to_string(row.line) + ": byte counts above 2^60");
      }
      u.mem_bytes = TrainingMemoryBytes(u.param_bytes, u.act_bytes);
    }
    model.units.push_back(std::move(u));
  }
  if (model.units.empty())
    return InvalidArgument(source + ": no units; add one row per layer after the header");
  SKYRUN_RETURN_IF_ERROR(ValidateModel(model));
  return model;
}

Result<DeviceSet> ParseDevicesCsv(std::string_view text, const std::string& source,
                                  std::optional<int64_t> ref_flops_per_second) {
  SKYRUN_ASSIGN_OR_RETURN(CsvTable t, ParseCsv(text, source));
  SKYRUN_RETURN_IF_ERROR(
      CheckColumns(t, {"name", "memory_mib"}, {"slowness", "bench_seconds", "bandwidth_gbps", "latency_us"}));
  bool has_slowness = t.Column("slowness").has_value();
  bool has_seconds = t.Column("bench_seconds").has_value();
  if (has_slowness == has_seconds) {
    return InvalidArgument(
        source +
        ": give each device's speed in exactly one column: 'slowness' (relative, 1 = "
        "fastest) or 'bench_seconds' (measured seconds of examples/partition/device_bench.py)");
  }
  DeviceSet set;
  std::vector<double> seconds;
  for (const auto& row : t.rows) {
    DeviceProfile d;
    d.name = row.fields[*t.Column("name")];
    if (has_slowness) {
      const std::string& s = row.fields[*t.Column("slowness")];
      auto milli = ParseMilli(s);
      if (!milli.ok() || *milli <= 0) {
        return InvalidArgument(
            Where(t, row, "slowness") + ": '" + s +
            "' is not a positive slowness with at most 3 decimals (1 = the fastest device)");
      }
      d.slowness_milli = *milli;
    } else {
      SKYRUN_ASSIGN_OR_RETURN(double sec,
                              ParsePositive(t, row, "bench_seconds", "a positive number of seconds"));
      seconds.push_back(sec);
    }
    SKYRUN_ASSIGN_OR_RETURN(d.memory_mib, ParseMemoryColumn(t, row));
    if (t.Column("bandwidth_gbps")) {
      SKYRUN_ASSIGN_OR_RETURN(double gbps,
                              ParsePositive(t, row, "bandwidth_gbps", "a positive bandwidth in Gbit/s"));
      d.bandwidth_bps = GbpsToBps(gbps);
    }
    if (t.Column("latency_us")) {
      SKYRUN_ASSIGN_OR_RETURN(double us,
                              ParseNonNegative(t, row, "latency_us", "a latency in microseconds (>= 0)"));
      d.latency_ns = MicrosToNanos(us);
    }
    set.devices.push_back(std::move(d));
  }
  if (set.devices.empty())
    return InvalidArgument(source + ": no devices; add one row per device after the header");
  if (has_seconds) {
    double fastest = *std::min_element(seconds.begin(), seconds.end());
    for (size_t i = 0; i < seconds.size(); ++i) {
      set.devices[i].slowness_milli =
          std::llround(static_cast<double>(kSlownessScale) * seconds[i] / fastest);
    }
    set.ref_flops_per_second =
        static_cast<int64_t>(std::llround(static_cast<double>(kDeviceBenchFlops) / fastest));
  }
  if (ref_flops_per_second) set.ref_flops_per_second = *ref_flops_per_second;
  SKYRUN_RETURN_IF_ERROR(ValidateDevices(set));
  return set;
}

Status ParseLinksCsv(std::string_view text, const std::string& source, DeviceSet* devices) {
  SKYRUN_ASSIGN_OR_RETURN(CsvTable t, ParseCsv(text, source));
  SKYRUN_RETURN_IF_ERROR(CheckColumns(t, {"from", "to", "bandwidth_gbps"}, {"latency_us"}));
  std::vector<std::string> names;
  for (const auto& d : devices->devices) names.push_back(d.name);
  auto find = [&](const CsvTable::Row& row, const std::string& column) -> Result<int> {
    const std::string& name = row.fields[*t.Column(column)];
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<int>(it - names.begin());
    std::string message = Where(t, row, column) + ": no device named '" + name + "' in the devices file";
    if (auto near = NearestName(name, names)) message += "; did you mean '" + *near + "'?";
    return InvalidArgument(message);
  };
  for (const auto& row : t.rows) {
    LinkSpec l;
    SKYRUN_ASSIGN_OR_RETURN(l.from, find(row, "from"));
    SKYRUN_ASSIGN_OR_RETURN(l.to, find(row, "to"));
    if (l.from == l.to) {
      return InvalidArgument(t.source + ":" + std::to_string(row.line) +
                             ": a link joins two different devices");
    }
    SKYRUN_ASSIGN_OR_RETURN(double gbps,
                            ParsePositive(t, row, "bandwidth_gbps", "a positive bandwidth in Gbit/s"));
    l.bandwidth_bps = GbpsToBps(gbps);
    if (t.Column("latency_us")) {
      SKYRUN_ASSIGN_OR_RETURN(double us,
                              ParseNonNegative(t, row, "latency_us", "a latency in microseconds (>= 0)"));
      l.latency_ns = MicrosToNanos(us);
    }
    devices->links.push_back(l);
  }
  return ValidateDevices(*devices);
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "': check the path and that the file is readable");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Internal("reading '" + path + "' failed");
  return buffer.str();
}

}  // namespace skyrun::partition
